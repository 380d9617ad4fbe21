import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { type ExportResult, loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { PlaygroundLogExporter } from '../../src/export/log-exporter.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import { recordId } from '../../src/ingest/record.js';
import { step } from '../../src/step/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { GenerationStore } from '../../src/store/types.js';
import { normalizeReadableSpan } from '../../src/translate/normalize.js';
import { chatGeneration, DiagCapture, exportBatch, exportCall, FAILED, SpanFactory, SUCCESS, tempDir } from './support.js';

async function allRecords(store: GenerationStore): Promise<GenerationRecord[]> {
  const records: GenerationRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, cursor });
    records.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return records;
}

function idOf(span: ReadableSpan): string {
  return recordId(span.spanContext().traceId, span.spanContext().spanId);
}

/** Another connection holding SQLite's write lock, as a second writer process would. */
function holdWriteLock(path: string): { release(): void } {
  const db = new Database(path);
  db.exec('BEGIN EXCLUSIVE');
  return {
    release: () => {
      db.exec('COMMIT');
      db.close();
    },
  };
}

/** Passes exports through, counting how often each export's result callback runs. */
class CountingExporter implements SpanExporter {
  readonly callbackCounts: number[] = [];
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: PlaygroundExporter) {}
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const index = this.callbackCounts.push(0) - 1;
    this.inner.export(spans, (result) => {
      this.callbackCounts[index]++;
      this.results[index] = result;
      resultCallback(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

describe('PlaygroundExporter into SQLite', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteStore;
  const spans = new SpanFactory();
  const diagnostics = new DiagCapture();

  beforeEach(() => {
    dir = tempDir();
    store = new SqliteStore({ path: dir.file('genspan.db'), busyTimeoutMs: 20 });
    diagnostics.lines.length = 0;
    diagnostics.install();
  });

  afterEach(async () => {
    diagnostics.uninstall();
    await store.close();
    dir.remove();
  });

  it('stores a record for each LLM span from genspan steps and ignores the other spans', async () => {
    const llm = spans.llmSpans(5);
    const plain = spans.plainSpans(4);
    const exporter = new PlaygroundExporter({ store });

    const result = await exportBatch(exporter, [plain[0], llm[0], llm[1], plain[1], llm[2], plain[2], llm[3], plain[3], llm[4]]);

    expect(result.code).toBe(SUCCESS);
    const records = await allRecords(store);
    expect(records).toHaveLength(5);
    for (const span of llm) {
      const record = await store.get(idOf(span));
      expect(record?.spanId).toBe(span.spanContext().spanId);
      expect(record?.source).toBe('genspan');
      expect(record?.generation).toMatchObject({
        type: 'CHAT',
        model: 'gpt-4o-mini',
        messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user' }],
        messageCompletion: { role: 'assistant' },
      });
    }
    for (const span of plain) expect(await store.get(idOf(span))).toBeUndefined();
    expect(exporter.droppedRecords).toBe(0);
  });

  it('answers SUCCESS at once for a batch without LLM spans', async () => {
    const exporter = new PlaygroundExporter({ store });
    const call = exportCall(exporter, spans.plainSpans(3));
    expect((await call.result).code).toBe(SUCCESS);
    expect(call.calls()).toBe(1);
    expect(await allRecords(store)).toHaveLength(0);
  });

  it('stores a span delivered twice once, and its ingest counts say so', async () => {
    const exporter = new PlaygroundExporter({ store });
    const batch = [...spans.llmSpans(3), ...spans.plainSpans(2)];
    expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
    expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
    expect(await allRecords(store)).toHaveLength(3);
    const again = await exporter.ingest.ingestSpans(batch.map(normalizeReadableSpan));
    expect(again).toEqual({ stored: 0, duplicates: 3, ignored: 2, updated: 0, failed: 0 });
  });

  it('takes steps through a BatchSpanProcessor whose forceFlush exports batches concurrently; each callback runs once', async () => {
    const counting = new CountingExporter(new PlaygroundExporter({ store }));
    const provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(counting, { maxExportBatchSize: 100, maxQueueSize: 5000, scheduledDelayMillis: 60_000 })],
    });
    const tracer = provider.getTracer('genspan');
    for (let i = 0; i < 1200; i++) {
      step({ name: `llm-${i}`, type: 'llm', tracer }, (s) => {
        s.generation = chatGeneration(i);
      });
      step({ name: `tool-${i}`, type: 'tool', tracer }, () => undefined);
    }
    await provider.forceFlush();

    expect(counting.callbackCounts.length).toBe(24);
    expect(counting.callbackCounts.every((count) => count === 1)).toBe(true);
    expect(counting.results.every((result) => result.code === SUCCESS)).toBe(true);
    const records = await allRecords(store);
    expect(records).toHaveLength(1200);
    expect(new Set(records.map((r) => r.id)).size).toBe(1200);
    await provider.shutdown();
  });

  it('calls the callback once when the BatchSpanProcessor has timed the export out, and stores the batch later', async () => {
    // The processor reports its export timeout to the global error handler.
    const timedOut = new Promise<void>((resolve) =>
      setGlobalErrorHandler((error) => {
        if (error instanceof Error && error.message === 'Timeout') resolve();
      }),
    );
    const counting = new CountingExporter(
      new PlaygroundExporter({ store, initialBackoffMillis: 50, maxBackoffMillis: 200, maxRetries: 100 }),
    );
    const processor = new BatchSpanProcessor(counting, { maxExportBatchSize: 10, scheduledDelayMillis: 10, exportTimeoutMillis: 300 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('genspan');

    try {
      const lock = holdWriteLock(store.path);
      for (let i = 0; i < 10; i++) {
        step({ name: `llm-${i}`, type: 'llm', tracer }, (s) => {
          s.generation = chatGeneration(i);
        });
      }
      await timedOut;
      expect(counting.callbackCounts).toEqual([0]);

      lock.release();
      await counting.forceFlush();
      expect(counting.callbackCounts).toEqual([1]);
      expect(counting.results[0].code).toBe(SUCCESS);
      expect(await allRecords(store)).toHaveLength(10);
      // Shutting the processor and the exporter down settles nothing more: the callback stays called once.
      await provider.shutdown();
      expect(counting.callbackCounts).toEqual([1]);
    } finally {
      setGlobalErrorHandler(loggingErrorHandler());
    }
  });

  it('retries while another connection holds the write lock (SQLITE_BUSY) and stores every batch once the lock is released', async () => {
    const exporter = new PlaygroundExporter({ store, initialBackoffMillis: 20, maxBackoffMillis: 100, maxRetries: 1000 });
    const lock = holdWriteLock(store.path);
    const calls = [
      exportCall(exporter, spans.llmSpans(20)),
      exportCall(exporter, spans.llmSpans(20)),
      exportCall(exporter, spans.llmSpans(20)),
    ];
    await diagnostics.logged(/SQLITE_BUSY/);
    expect(exporter.bufferedRecords).toBe(60);
    expect(calls.map((call) => call.calls())).toEqual([0, 0, 0]);

    lock.release();
    const results = await Promise.all(calls.map((call) => call.result));
    expect(results.map((r) => r.code)).toEqual([SUCCESS, SUCCESS, SUCCESS]);
    expect(calls.map((call) => call.calls())).toEqual([1, 1, 1]);
    expect(await allRecords(store)).toHaveLength(60);
    expect(exporter.droppedRecords).toBe(0);
    expect(diagnostics.matching(/could not write 20 generation records .*SQLITE_BUSY.*retry 1 in/).length).toBeGreaterThan(0);
  });

  it('reports FAILED and counts the drop when the buffer is full, and keeps what it buffered', async () => {
    const exporter = new PlaygroundExporter({
      store,
      maxBufferedRecords: 25,
      initialBackoffMillis: 20,
      maxBackoffMillis: 50,
      maxRetries: 1000,
    });
    const lock = holdWriteLock(store.path);
    const first = exportCall(exporter, spans.llmSpans(20));
    // export() queues the batch before it returns.
    expect(exporter.bufferedRecords).toBe(20);

    const overflow = exportCall(exporter, [...spans.llmSpans(8), ...spans.plainSpans(5)]);
    const overflowResult = await overflow.result;
    expect(overflowResult.code).toBe(FAILED);
    expect(overflowResult.error?.message).toMatch(/dropped 8 generation records: the buffer is full/);
    expect(exporter.droppedRecords).toBe(8);
    expect(diagnostics.matching(/dropped 8 generation records: the buffer is full .*\(8 dropped in total\)/)).toHaveLength(1);
    expect(diagnostics.matching(/dropped 8 generation records/)[0].level).toBe('error');

    const fits = exportCall(exporter, spans.llmSpans(5));
    lock.release();
    expect((await first.result).code).toBe(SUCCESS);
    expect((await fits.result).code).toBe(SUCCESS);
    expect([first.calls(), overflow.calls(), fits.calls()]).toEqual([1, 1, 1]);
    expect(await allRecords(store)).toHaveLength(25);
    expect(exporter.droppedRecords).toBe(8);
  });

  it('reports FAILED and counts the drop when the retries are exhausted', async () => {
    const exporter = new PlaygroundExporter({ store, maxRetries: 3, initialBackoffMillis: 10, maxBackoffMillis: 20 });
    const lock = holdWriteLock(store.path);
    try {
      const call = exportCall(exporter, spans.llmSpans(7));
      const result = await call.result;
      expect(result.code).toBe(FAILED);
      expect(result.error?.message).toMatch(/dropped 7 generation records: the store still failed after 3 retries: .*SQLITE_BUSY/);
      expect(call.calls()).toBe(1);
      expect(exporter.droppedRecords).toBe(7);
      expect(exporter.bufferedRecords).toBe(0);
      expect(diagnostics.matching(/dropped 7 generation records: the store still failed after 3 retries/)).toHaveLength(1);
    } finally {
      lock.release();
    }
    expect((await exportBatch(exporter, spans.llmSpans(2))).code).toBe(SUCCESS);
    expect(await allRecords(store)).toHaveLength(2);
  });

  it('writes everything buffered on forceFlush() and shutdown(), then refuses exports without throwing', async () => {
    const exporter = new PlaygroundExporter({ store, initialBackoffMillis: 20, maxBackoffMillis: 100, maxRetries: 1000 });
    const lock = holdWriteLock(store.path);
    const first = exportCall(exporter, spans.llmSpans(15));
    // forceFlush() is called while the store is locked, and must wait through the retries until the lock goes.
    const flushed = exporter.forceFlush();
    await diagnostics.logged(/could not write 15 generation records .*SQLITE_BUSY/);
    expect(first.calls()).toBe(0);
    lock.release();
    await flushed;
    expect(first.calls()).toBe(1);
    expect(await allRecords(store)).toHaveLength(15);

    const lockAgain = holdWriteLock(store.path);
    const second = exportCall(exporter, spans.llmSpans(10));
    const shutDown = exporter.shutdown();
    await diagnostics.logged(/could not write 10 generation records .*SQLITE_BUSY/);
    expect(second.calls()).toBe(0);
    lockAgain.release();
    await shutDown;
    expect(second.calls()).toBe(1);
    expect((await second.result).code).toBe(SUCCESS);
    expect(await allRecords(store)).toHaveLength(25);

    const late = exportCall(exporter, spans.llmSpans(3));
    expect((await late.result).code).toBe(FAILED);
    expect(late.calls()).toBe(1);
    expect(exporter.droppedRecords).toBe(3);
    await exporter.shutdown();
  });

  it('drops at once (FAILED, counted) when the store was closed under it, and never throws', async () => {
    const exporter = new PlaygroundExporter({ store, initialBackoffMillis: 10, maxRetries: 1000 });
    await store.close();
    const call = exportCall(exporter, spans.llmSpans(4));
    const result = await call.result;
    expect(result.code).toBe(FAILED);
    expect(result.error?.message).toMatch(/dropped 4 generation records: the store refused them: .*closed/);
    expect(exporter.droppedRecords).toBe(4);
    expect(() => exporter.export([{} as ReadableSpan, null as unknown as ReadableSpan], () => undefined)).not.toThrow();
  });

  it('counts and logs spans it cannot read as dropped, and stores the rest', async () => {
    const exporter = new PlaygroundExporter({ store });
    const llm = spans.llmSpans(2);
    const result = await exportBatch(exporter, [llm[0], {} as ReadableSpan, llm[1], null as unknown as ReadableSpan]);
    expect(result.code).toBe(SUCCESS);
    expect(await allRecords(store)).toHaveLength(2);
    expect(exporter.droppedRecords).toBe(2);
    const lines = diagnostics.matching(/dropped 2 generation records: the spans could not be read: .*\(2 dropped in total\)/);
    expect(lines.map((line) => line.level)).toEqual(['error']);
  });

  it('answers FAILED and counts every span of the batch as dropped when selecting its LLM spans fails', async () => {
    const exporter = new PlaygroundExporter({ store });
    exporter.ingest.selectSpans = () => {
      throw new Error('translator bug');
    };
    const call = exportCall(exporter, [...spans.llmSpans(3), ...spans.plainSpans(1)]);
    const result = await call.result;
    expect(result.code).toBe(FAILED);
    expect(result.error?.message).toBe('translator bug');
    expect(call.calls()).toBe(1);
    expect(exporter.droppedRecords).toBe(4);
    expect(diagnostics.matching(/dropped 4 generation records: span export failed: translator bug \(4 dropped in total\)/)).toHaveLength(1);
    expect(exporter.bufferedRecords).toBe(0);
  });

  it('PlaygroundLogExporter counts log records it cannot read or prepare as dropped', async () => {
    const memory = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    const [span] = spans.llmSpans(1);
    const logger = loggerProvider.getLogger('@opentelemetry/instrumentation-openai');
    logger.emit({
      eventName: 'gen_ai.user.message',
      body: { content: 'hello' },
      context: trace.setSpanContext(ROOT_CONTEXT, span.spanContext()),
    });
    const [record] = memory.getFinishedLogRecords();
    const exporter = new PlaygroundLogExporter({ store });

    const partly = await new Promise<ExportResult>((resolve) => exporter.export([record, null as unknown as typeof record], resolve));
    expect(partly.code).toBe(SUCCESS);
    expect(exporter.droppedRecords).toBe(1);
    expect(diagnostics.matching(/dropped 1 log records: they could not be read: /)).toHaveLength(1);

    exporter.ingest.prepareLogs = () => {
      throw new Error('filter bug');
    };
    const failed = await new Promise<ExportResult>((resolve) => exporter.export([record, record], resolve));
    expect(failed.code).toBe(FAILED);
    expect(exporter.droppedRecords).toBe(3);
    expect(diagnostics.matching(/dropped 2 log records: log export failed: filter bug \(3 dropped in total\)/)).toHaveLength(1);
    await exporter.shutdown();
    await loggerProvider.shutdown();
  });

  it('PlaygroundLogExporter rides out SQLITE_BUSY the same way and counts what it drops', async () => {
    const memory = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    const [span] = spans.llmSpans(1);
    const logger = loggerProvider.getLogger('@opentelemetry/instrumentation-openai');
    const inSpan = trace.setSpanContext(ROOT_CONTEXT, span.spanContext());
    logger.emit({ eventName: 'gen_ai.user.message', body: { content: 'hello' }, context: inSpan });
    logger.emit({ eventName: 'gen_ai.choice', body: { index: 0, message: { content: 'hi' } }, context: inSpan });
    logger.emit({ eventName: 'app.log', body: 'not a GenAI event', context: inSpan });
    const records = memory.getFinishedLogRecords();

    const exporter = new PlaygroundLogExporter({
      store,
      initialBackoffMillis: 20,
      maxBackoffMillis: 50,
      maxRetries: 1000,
      maxBufferedRecords: 3,
    });
    const lock = holdWriteLock(store.path);
    let calls = 0;
    const result = new Promise<ExportResult>((resolve) =>
      exporter.export([...records], (value) => {
        calls++;
        resolve(value);
      }),
    );
    await diagnostics.logged(/could not write 2 log records .*SQLITE_BUSY/);
    const overflow = await new Promise<ExportResult>((resolve) => exporter.export([...records], resolve));
    expect(overflow.code).toBe(FAILED);
    expect(exporter.droppedRecords).toBe(2);

    lock.release();
    expect((await result).code).toBe(SUCCESS);
    expect(calls).toBe(1);
    const logs = await store.logsFor([span.spanContext()]);
    expect(logs.get(`${span.spanContext().traceId}:${span.spanContext().spanId}`)?.map((log) => log.eventName)).toEqual([
      'gen_ai.user.message',
      'gen_ai.choice',
    ]);
    await exporter.shutdown();
    await loggerProvider.shutdown();
  });
});
