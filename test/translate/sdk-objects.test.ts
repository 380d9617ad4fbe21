import { createRequire } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { normalizeReadableLogRecord, normalizeReadableSpan } from '../../src/translate/normalize.js';
import { translateSpan } from '../../src/translate/translate.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

// The in-app exporter hands the translator SDK objects as they are: ReadableSpan and ReadableLogRecord.
// Here @opentelemetry/instrumentation-openai patches `openai` in this process (loaded with require, which
// require-in-the-middle sees) and its real SDK spans and log records are translated directly.
const spans = new InMemorySpanExporter();
const logs = new InMemoryLogRecordExporter();
let fake: FakeOpenAI;

beforeAll(async () => {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  registerInstrumentations({
    instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
    tracerProvider,
    loggerProvider,
  });
  const { OpenAI } = createRequire(import.meta.url)('openai');
  fake = await startFakeOpenAI();
  const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'sk-fake-key', maxRetries: 0 });
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello SDK' }], temperature: 0 });
}, 60_000);

afterAll(async () => {
  await fake?.close();
});

describe('SDK objects', () => {
  it('translates a ReadableSpan with its ReadableLogRecords as it translates their normalized forms', () => {
    const [span] = spans.getFinishedSpans();
    const records = logs.getFinishedLogRecords();
    expect(records.length).toBe(2);
    const direct = translateSpan(span, records);
    const normalized = translateSpan(normalizeReadableSpan(span), records.map(normalizeReadableLogRecord));
    expect(direct).toEqual(normalized);
    const generation = direct!.generation as ChatGenerationData;
    expect(direct!.source).toBe('genai-events');
    expect(generation.messages).toEqual([{ role: 'user', content: 'Hello SDK' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Hello SDK' });
    expect(generation.settings).toEqual({ temperature: 0 });
    const seconds = span.endTime[0] - span.startTime[0] + (span.endTime[1] - span.startTime[1]) / 1e9;
    expect(generation.duration).toBeCloseTo(seconds, 9);
  });
});
