import { createRequire } from 'node:module';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import type OpenAIClient from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_ENDPOINT_ENV, register } from '../../src/export/register.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { tempDir } from './support.js';

describe('register() with @opentelemetry/instrumentation-openai (content sent as log events)', () => {
  const dir = tempDir();
  let fake: FakeOpenAI;
  // Only the playground store is under test: no OTLP export, whatever the environment says; put back afterwards.
  const savedOtlpEnv = OTLP_ENDPOINT_ENV.map((name) => [name, process.env[name]] as const);
  beforeAll(async () => {
    for (const name of OTLP_ENDPOINT_ENV) delete process.env[name];
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    for (const [name, value] of savedOtlpEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await fake?.close();
    dir.remove();
  });

  it('lands each call in the SQLite file with its messages and completion, joined from the log records', async () => {
    const path = dir.file('openai.db');
    const telemetry = register({ path, serviceName: 'support-bot' });
    // Instrumentations use the global providers register() has just set.
    const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
    instrumentation.enable();
    const OpenAI = createRequire(import.meta.url)('openai') as typeof OpenAIClient;
    const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });

    const questions = ['Where is my parcel?', 'Can I change the address?', 'How long does a refund take?'];
    for (const question of questions) {
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a support agent.' },
          { role: 'user', content: question },
        ],
      });
    }
    await telemetry.shutdown();
    instrumentation.disable();

    const store = new SqliteStore({ path });
    try {
      const { items } = await store.list();
      expect(items).toHaveLength(3);
      for (const question of questions) {
        const record = items.find((item) => JSON.stringify(item.generation.messages).includes(question));
        expect(record, `the generation asking "${question}"`).toBeDefined();
        expect(record?.scope.name).toBe('@opentelemetry/instrumentation-openai');
        expect(record?.serviceName).toBe('support-bot');
        expect(record?.generation).toMatchObject({
          type: 'CHAT',
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'You are a support agent.' },
            { role: 'user', content: question },
          ],
          messageCompletion: { role: 'assistant', content: `Fake reply to: ${question}` },
        });
      }
    } finally {
      await store.close();
    }
  });
});
