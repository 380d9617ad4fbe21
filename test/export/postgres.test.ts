import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { ChatGeneration } from '../../src/generation/index.js';
import { recordId } from '../../src/ingest/record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { type PostgresServer, startPostgres, stoppableServer } from '../support/postgres.js';
import { DiagCapture, type ExportCall, exportBatch, exportCall, FAILED, SpanFactory, SUCCESS } from './support.js';

function idOf(span: ReadableSpan): string {
  return recordId(span.spanContext().traceId, span.spanContext().spanId);
}

/** Counts rows straight in the database, so the check does not depend on the store's own read path. */
async function storedIds(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>('SELECT id FROM genspan_generations');
    return result.rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

describe('PlaygroundExporter into PostgreSQL (a real throwaway server)', () => {
  let server: PostgresServer;
  const spans = new SpanFactory();

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.destroy();
  });

  it('stores each LLM span once, ignores the others, and answers SUCCESS for a duplicate delivery', async () => {
    const url = await server.createDatabase('genspan_export');
    const store = new PostgresStore({ connectionString: url });
    try {
      const exporter = new PlaygroundExporter({ store });
      const llm = spans.llmSpans(12);
      const batch = [...spans.plainSpans(6), ...llm];
      expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
      expect((await exportBatch(exporter, llm.slice(0, 5))).code).toBe(SUCCESS);
      const ids = await storedIds(url);
      expect(ids.sort()).toEqual(llm.map(idOf).sort());
      const record = await store.get(idOf(llm[3]));
      expect(record?.generation).toMatchObject({ type: 'CHAT', messages: [{ role: 'system' }, { role: 'user' }] });
      await exporter.shutdown();
    } finally {
      await store.close();
    }
  });

  it('stores generations whose text holds NUL (U+0000) alongside the rest of their batch', async () => {
    const url = await server.createDatabase('genspan_export_nul');
    const store = new PostgresStore({ connectionString: url });
    const diagnostics = new DiagCapture().install();
    try {
      const exporter = new PlaygroundExporter({ store });
      const withNul = spans.llmSpanWith(
        new ChatGeneration({
          model: 'gpt\u0000mini',
          tags: ['nul\u0000tag'],
          messages: [{ role: 'user', content: 'binary \u0000 input' }],
          messageCompletion: { role: 'assistant', content: 'reply\u0000' },
        }),
      );
      const batch = [...spans.llmSpans(2), withNul, ...spans.llmSpans(2)];
      expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
      expect(exporter.droppedRecords).toBe(0);
      expect((await storedIds(url)).sort()).toEqual(batch.map(idOf).sort());
      const record = await store.get(idOf(withNul));
      expect(record?.generation).toMatchObject({
        model: 'gpt\u0000mini',
        tags: ['nul\u0000tag'],
        messages: [{ role: 'user', content: 'binary \u0000 input' }],
        messageCompletion: { content: 'reply\u0000' },
      });
      expect((await store.list({ tag: 'nul\u0000tag', q: '\u0000 input' })).items.map((item) => item.id)).toEqual([record?.id]);
      expect(diagnostics.matching(/could not write|dropped/)).toEqual([]);
      await exporter.shutdown();
    } finally {
      diagnostics.uninstall();
      await store.close();
    }
  });

  it('settles shutdown() and every callback when PostgreSQL stops answering, the records counted as dropped', async () => {
    const url = await server.createDatabase('genspan_export_hung');
    const creator = new PostgresStore({ connectionString: url });
    await creator.ready();
    await creator.close();
    const store = new PostgresStore({ connectionString: url, pool: { query_timeout: 200 } });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // A lock held elsewhere: every insert waits for an answer that does not come in time.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE genspan_generations IN ACCESS EXCLUSIVE MODE');
      const exporter = new PlaygroundExporter({ store, maxRetries: 2, initialBackoffMillis: 10, maxBackoffMillis: 20 });
      const call = exportCall(exporter, spans.llmSpans(5));
      await exporter.shutdown();
      expect(call.calls()).toBe(1);
      const result = await call.result;
      expect(result.code).toBe(FAILED);
      expect(result.error?.message).toMatch(
        /dropped 5 generation records: the store still failed after 2 retries: .*did not answer within 200 ms/,
      );
      expect(exporter.droppedRecords).toBe(5);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await store.close();
    }
  });

  it('rides out PostgreSQL stopping in the middle of a stream of exports: every generation stored exactly once', async () => {
    const stoppable = await stoppableServer(server);
    const url = await stoppable.server.createDatabase('genspan_export_restart');
    const store = new PostgresStore({ connectionString: url, pool: { max: 4 } });
    const diagnostics = new DiagCapture().install();
    const holder = new pg.Client({ connectionString: url });
    // The fast shutdown below cuts the holder's connection: that error is expected, and checked.
    const holderCut = new Promise<Error>((resolve) => holder.on('error', resolve));
    try {
      const exporter = new PlaygroundExporter({
        store,
        initialBackoffMillis: 50,
        maxBackoffMillis: 250,
        maxRetries: 200,
        maxBufferedRecords: 100_000,
      });
      const batches: ReadableSpan[][] = [];
      const calls: ExportCall[] = [];
      const exportNext = () => {
        const batch = [...spans.llmSpans(40), ...spans.plainSpans(5)];
        batches.push(batch);
        calls.push(exportCall(exporter, batch));
      };

      // While PostgreSQL answers: each batch stored before the next is sent.
      for (let i = 0; i < 9; i++) {
        exportNext();
        expect((await calls[i].result).code).toBe(SUCCESS);
      }
      // A lock held elsewhere keeps the tenth batch's write waiting on it when fast shutdown starts cutting connections
      // (which of the holder and the write goes first is PostgreSQL's to decide: the write may still get through).
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE genspan_generations IN ACCESS EXCLUSIVE MODE');
      exportNext();
      await stoppable.server.stop();
      expect((await holderCut).message).toMatch(/terminating connection/);
      // While it is down: each batch arrives after another failed write, while the exporter keeps retrying.
      for (let i = 0; i < 10; i++) {
        exportNext();
        await diagnostics.next(/could not write \d+ generation records \(.*PostgreSQL/);
      }
      expect(exporter.bufferedRecords).toBeGreaterThan(0);
      const recovered = diagnostics.next(/the store accepted \d+ generation records after \d+ retries/);
      await stoppable.server.start();
      // Once it is back: one batch while the backlog waits for its next retry, the rest once the store took it.
      exportNext();
      await recovered;
      for (let i = 0; i < 9; i++) exportNext();

      const results = await Promise.all(calls.map((call) => call.result));
      expect(results.every((result) => result.code === SUCCESS)).toBe(true);
      expect(calls.every((call) => call.calls() === 1)).toBe(true);
      expect(exporter.droppedRecords).toBe(0);
      expect(diagnostics.matching(/could not write \d+ generation records \(.*PostgreSQL/).length).toBeGreaterThan(0);

      const expected = batches
        .flat()
        .filter((span) => !span.name.startsWith('plain-'))
        .map(idOf);
      expect(expected).toHaveLength(1200);
      const ids = await storedIds(url);
      expect(ids).toHaveLength(1200);
      expect(new Set(ids).size).toBe(1200);
      expect(ids.sort()).toEqual(expected.sort());

      // OTLP clients retry by design: the whole stream delivered again stores nothing new.
      for (const batch of batches) expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
      expect(await storedIds(url)).toHaveLength(1200);
      await exporter.shutdown();
    } finally {
      diagnostics.uninstall();
      await holder.end();
      await store.close();
      await stoppable.release();
    }
  });
});
