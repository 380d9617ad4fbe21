import { createRequire } from 'node:module';
import { createOpenAI } from '@ai-sdk/openai';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { generateText } from 'ai';
import type OpenAIClient from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { PlaygroundLogExporter } from '../../src/export/log-exporter.js';
import { ChatGeneration } from '../../src/generation/index.js';
import { recordId } from '../../src/ingest/record.js';
import { step } from '../../src/step/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { batches, ORDERS, ordered } from '../support/step-trees.js';
import { SUCCESS, tempDir } from './support.js';

/** An app's spans and log records, made in this process by the real packages, kept in memory. */
interface AppCall {
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
  inner: ReadableSpan;
}

const dir = tempDir('genspan-export-layers-');
const spanMemory = new InMemorySpanExporter();
const logMemory = new InMemoryLogRecordExporter();
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanMemory)] });
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logMemory })] });
let fake: FakeOpenAI;
let client: OpenAIClient;

beforeAll(async () => {
  tracerProvider.register();
  registerInstrumentations({
    instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
    tracerProvider,
    loggerProvider,
  });
  fake = await startFakeOpenAI();
  const OpenAI = createRequire(import.meta.url)('openai') as typeof OpenAIClient;
  client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await fake?.close();
  dir.remove();
});

function templated(city: string): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptId: 'weather-prompt',
    template: [{ role: 'user', content: 'Weather in {city}?' }],
    variables: { city },
    tags: ['app'],
    messages: [{ role: 'user', content: `Weather in ${city}?` }],
  });
}

/** The call made under a genspan `llm` step, as the seed's pattern does with auto-instrumentation on. */
async function call(layer: 'openai' | 'vercel', city: string): Promise<AppCall> {
  spanMemory.reset();
  logMemory.reset();
  await step({ name: 'ask', type: 'llm' }, async (current) => {
    current.generation = templated(city);
    const messages = [{ role: 'user' as const, content: `Weather in ${city}?` }];
    if (layer === 'openai') {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    } else {
      const openai = createOpenAI({ baseURL: fake.baseURL, apiKey: 'test-key' });
      await generateText({
        model: openai.chat('gpt-4o-mini'),
        messages,
        maxRetries: 0,
        experimental_telemetry: { isEnabled: true, tracer: tracerProvider.getTracer('ai') },
      });
    }
  });
  const spans = [...spanMemory.getFinishedSpans()];
  const innerScope = layer === 'openai' ? '@opentelemetry/instrumentation-openai' : 'ai';
  const inner = spans.find((span) => span.instrumentationScope.name === innerScope && span.name !== 'ai.generateText');
  if (!inner) throw new Error(`no ${layer} span`);
  return { spans, logs: [...logMemory.getFinishedLogRecords()], inner };
}

function exported<T>(exporter: { export(items: T[], done: (result: { code: number }) => void): void }, items: T[]): Promise<number> {
  return new Promise((resolve) => exporter.export(items, (result) => resolve(result.code)));
}

describe('PlaygroundExporter and PlaygroundLogExporter: one generation per LLM call traced by two layers', () => {
  for (const layer of ['openai', 'vercel'] as const) {
    for (const order of ORDERS) {
      // Only instrumentation-openai sends content as log records.
      for (const logsFirst of layer === 'openai' ? [true, false] : [false]) {
        const logs = layer === 'openai' ? `, logs ${logsFirst ? 'first' : 'last'}` : '';
        it(`${layer} under a genspan llm step: spans exported ${order}, one by one and together${logs}`, async () => {
          for (const batchSize of [0, 1]) {
            const city = `${layer}-${order}-${logsFirst}-${batchSize}`;
            const app = await call(layer, city);
            const store = new SqliteStore({ path: dir.file(`${city}.db`) });
            try {
              const spanExporter = new PlaygroundExporter({ store });
              const logExporter = new PlaygroundLogExporter({ store });
              const sendLogs = async () => {
                if (app.logs.length > 0) expect(await exported(logExporter, app.logs)).toBe(SUCCESS);
                await logExporter.forceFlush();
              };
              if (logsFirst) await sendLogs();
              for (const batch of batches(ordered(app.spans, order), batchSize)) expect(await exported(spanExporter, batch)).toBe(SUCCESS);
              await spanExporter.forceFlush();
              if (!logsFirst) await sendLogs();

              const { items } = await store.list();
              expect(items.map((item) => item.id)).toEqual([recordId(app.inner.spanContext().traceId, app.inner.spanContext().spanId)]);
              expect(items[0].generation).toMatchObject({
                promptId: 'weather-prompt',
                template: [{ role: 'user', content: 'Weather in {city}?' }],
                variables: { city },
                messages: [expect.objectContaining({ role: 'user', content: `Weather in ${city}?` })],
                messageCompletion: expect.objectContaining({ content: `Fake reply to: Weather in ${city}?` }),
                inputTokenCount: expect.any(Number),
              });
              expect(items[0].generation.tags).toContain('app');
            } finally {
              await store.close();
            }
          }
        });
      }
    }
  }
});
