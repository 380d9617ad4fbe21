import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type OpenAIClient from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { PlaygroundLogExporter } from '../../src/export/log-exporter.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { recordId } from '../../src/ingest/record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { normalizeReadableLogRecord, normalizeReadableSpan } from '../../src/translate/normalize.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { exportBatch, SUCCESS, tempDir } from './support.js';

/**
 * The real `@opentelemetry/instrumentation-openai` against a fake OpenAI server on 127.0.0.1: its spans carry no
 * message content; the content comes as GenAI log events. Both are captured in memory, and each test decides
 * which reaches the playground first.
 */
const spanMemory = new InMemorySpanExporter();
const logMemory = new InMemoryLogRecordExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanMemory)] });
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logMemory })] });
const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setLoggerProvider(loggerProvider);
instrumentation.enable();
// Loaded through require so the instrumentation's require hook patches it.
const OpenAI = createRequire(import.meta.url)('openai') as typeof OpenAIClient;

let fake: FakeOpenAI;
let counter = 0;

/** One chat completion through the instrumented client: its span and its log records. */
async function chatCall(): Promise<{ span: ReadableSpan; logs: ReadableLogRecord[]; question: string; id: string }> {
  spanMemory.reset();
  logMemory.reset();
  const question = `What is ${++counter} + ${counter}?`;
  const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
  await client.chat.completions.create({
    model: 'gpt-4o-mini',
    temperature: 0.2,
    messages: [
      { role: 'system', content: 'Answer with a number.' },
      { role: 'user', content: question },
    ],
  });
  await loggerProvider.forceFlush();
  const [span] = spanMemory.getFinishedSpans();
  const logs = [...logMemory.getFinishedLogRecords()];
  return { span, logs, question, id: recordId(span.spanContext().traceId, span.spanContext().spanId) };
}

function exportLogs(exporter: PlaygroundLogExporter, logs: ReadableLogRecord[]): Promise<{ code: number }> {
  return new Promise((resolve) => exporter.export(logs, resolve));
}

const expectedMessages = (question: string) => [
  { role: 'system', content: 'Answer with a number.' },
  { role: 'user', content: question },
];

let pgServer: PostgresServer;
const dir = tempDir();

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  fake = await startFakeOpenAI();
  pgServer = await startPostgres();
});

afterAll(async () => {
  instrumentation.disable();
  await fake?.close();
  await pgServer?.destroy();
  dir.remove();
});

const stores: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: dir.file(`join-${Date.now()}-${Math.random().toString(36).slice(2)}.db`) })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await pgServer.createDatabase('genspan_join') })],
];

describe.each(stores)('GenAI log events join their generation (%s)', (_name, openStore) => {
  let store: PlaygroundStore;
  let spanExporter: PlaygroundExporter;
  let logExporter: PlaygroundLogExporter;

  beforeAll(async () => {
    store = await openStore();
    spanExporter = new PlaygroundExporter({ store });
    logExporter = new PlaygroundLogExporter({ store });
  });

  afterAll(async () => {
    await spanExporter.shutdown();
    await logExporter.shutdown();
    await store.close();
  });

  it('the instrumentation sends content as log events, not on the span', async () => {
    const { span, logs } = await chatCall();
    expect(span.instrumentationScope.name).toBe('@opentelemetry/instrumentation-openai');
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(logs.every((log) => log.spanContext?.spanId === span.spanContext().spanId)).toBe(true);
  });

  it('logs first, then the span: the record is written with the content', async () => {
    const { span, logs, question, id } = await chatCall();
    expect((await exportLogs(logExporter, logs)).code).toBe(SUCCESS);
    expect(await store.get(id)).toBeUndefined();
    expect((await exportBatch(spanExporter, [span])).code).toBe(SUCCESS);

    const record = await store.get(id);
    expect(record?.generation).toMatchObject({
      type: 'CHAT',
      model: 'gpt-4o-mini',
      messages: expectedMessages(question),
      messageCompletion: { role: 'assistant', content: `Fake reply to: ${question}` },
    });
  });

  it('span first, then the logs: the stored record is rebuilt with the content', async () => {
    const { span, logs, question, id } = await chatCall();
    expect((await exportBatch(spanExporter, [span])).code).toBe(SUCCESS);
    const before = await store.get(id);
    expect(before?.generation).toMatchObject({ type: 'CHAT', model: 'gpt-4o-mini' });
    expect(before?.generation.messages).toEqual([]);

    // Content arriving in two log batches (the log processor batches on its own schedule) joins as it comes.
    expect((await exportLogs(logExporter, logs.slice(0, 2))).code).toBe(SUCCESS);
    expect((await store.get(id))?.generation.messages).toEqual(expectedMessages(question));
    expect((await exportLogs(logExporter, logs.slice(2))).code).toBe(SUCCESS);

    const after = await store.get(id);
    expect(after?.generation).toMatchObject({
      messages: expectedMessages(question),
      messageCompletion: { role: 'assistant', content: `Fake reply to: ${question}` },
    });
    const page = await store.list({ q: question });
    expect(page.items.map((item) => item.id)).toContain(id);
  });

  it('a log batch delivered twice and a span delivered twice change nothing', async () => {
    const { span, logs, question, id } = await chatCall();
    await exportBatch(spanExporter, [span]);
    await exportLogs(logExporter, logs);
    await exportLogs(logExporter, logs);
    await exportBatch(spanExporter, [span]);
    expect((await store.get(id))?.generation.messages).toEqual(expectedMessages(question));
    const found = await store.list({ q: question });
    expect(found.items).toHaveLength(1);
  });

  it('log records that are not GenAI events, or belong to no span, are ignored', async () => {
    const { span, logs } = await chatCall();
    const ingest = new GenerationIngest(store);
    const normalized = logs.map(normalizeReadableLogRecord);
    const result = await ingest.ingestLogs([
      ...normalized,
      { ...normalized[0], eventName: 'app.started' },
      { ...normalized[0], traceId: undefined, spanId: undefined },
    ]);
    expect(result).toMatchObject({ stored: normalized.length, ignored: 2, updated: 0 });
    const spansResult = await ingest.ingestSpans([normalizeReadableSpan(span)]);
    expect(spansResult).toMatchObject({ stored: 1, duplicates: 0, ignored: 0 });
  });

  it('a log record stored by another writer between the span writer reading logs and writing the span still joins', async () => {
    const { span, logs, question, id } = await chatCall();
    // A writer that does not take the trace's lock (`exclusive`): one that does would wait for our write to end instead.
    const other = new GenerationIngest(Object.create(store, { exclusive: { value: undefined } }) as PlaygroundStore);
    // The other writer's logs land right before our span write; it finds no span, so only our re-read can join them.
    const racing: PlaygroundStore = Object.create(store, {
      writeWithSpans: {
        value: async (...args: Parameters<PlaygroundStore['writeWithSpans']>) => {
          const result = await other.ingestLogs(logs.map(normalizeReadableLogRecord));
          expect(result.updated).toBe(0);
          return store.writeWithSpans(...args);
        },
      },
    });
    const result = await new GenerationIngest(racing).ingestSpans([normalizeReadableSpan(span)]);
    expect(result).toMatchObject({ stored: 1, updated: 1 });
    expect((await store.get(id))?.generation.messages).toEqual(expectedMessages(question));
  });
});

/** Resolves once a connection of the database waits for an advisory lock (polled, each poll a query); stops when told. */
async function advisoryLockWaiter(url: string, stop: { done: boolean }): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    while (!stop.done) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (Number(rows[0].n) > 0) return;
    }
  } finally {
    await client.end();
  }
}

describe('two writers on one PostgreSQL (two stores, as two genspan processes)', () => {
  it('a log join rebuilt from older reads cannot overwrite a newer one: the later writer waits for the trace', async () => {
    const url = await pgServer.createDatabase('genspan_two_writers');
    const first = new PostgresStore({ connectionString: url });
    const second = new PostgresStore({ connectionString: url });
    try {
      const { span, logs, question, id } = await chatCall();
      const normalized = logs.map(normalizeReadableLogRecord);
      const isChoice = (log: (typeof normalized)[number]) => log.attributes['event.name'] === 'gen_ai.choice';
      await new GenerationIngest(first).ingestSpans([normalizeReadableSpan(span)]);

      // The first writer joins the input messages to the span and pauses before storing that rebuild.
      let reached!: () => void;
      const paused = new Promise<void>((resolve) => (reached = resolve));
      let resume!: () => void;
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      const pausing = Object.create(first, {
        updateGenerations: {
          async value(this: PostgresStore, records: readonly GenerationRecord[]) {
            reached();
            await resumed;
            return PostgresStore.prototype.updateGenerations.call(this, records);
          },
        },
      }) as PostgresStore;
      const firstJoin = new GenerationIngest(pausing).ingestLogs(normalized.filter((log) => !isChoice(log)));
      await paused;

      // The second writer brings the choice; the first resumes once the second waits for the trace (or, were there no
      // lock, has stored its rebuild, which the first's older one would then overwrite).
      const stop = { done: false };
      const secondJoin = new GenerationIngest(second).ingestLogs(normalized.filter(isChoice)).finally(() => (stop.done = true));
      await Promise.race([secondJoin, advisoryLockWaiter(url, stop)]);
      stop.done = true;
      resume();
      await Promise.all([firstJoin, secondJoin]);

      const record = await second.get(id);
      expect(record?.generation.messages).toEqual(expectedMessages(question));
      expect(record?.generation.messageCompletion).toMatchObject({ role: 'assistant', content: `Fake reply to: ${question}` });
    } finally {
      await first.close();
      await second.close();
    }
  });
});
