import { describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { spanKeyString } from '../../src/ingest/contract.js';
import { NO_TIME_BOUND_MS, ORPHAN_SCAN_ROWS, type PruneBatch, RETENTION_BATCH_ROWS, runRetention } from '../../src/store/retention.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { chatData, logRecord, makeRecord, makeStep, normalizedSpan, spanIdOf, T0_MS, traceIdOf, traceThread } from './fixtures.js';

const HOUR = 3_600_000;

/** A trace at `atMs` after T0: a run step over an `llm` step, its generation, its kept span and one log record. */
function storedTrace(trace: number, atMs: number) {
  const span = trace * 10 + 2;
  const record = makeRecord({ trace, span, atMs: atMs + 10, generation: chatData({ tags: ['retained?'] }) });
  const steps = [
    makeStep({ trace, span: trace * 10 + 1, atMs, durationMs: 1000, input: `question ${trace}` }),
    makeStep({ trace, span, parent: trace * 10 + 1, atMs: atMs + 10, durationMs: 500, type: 'llm' }),
  ];
  const kept = normalizedSpan({ trace, span, atMs: atMs + 10 });
  const log = logRecord({ trace, span, atNs: BigInt(T0_MS + atMs + 20) * 1_000_000n, text: `log of ${trace}` });
  return { record, steps, kept, log, key: { traceId: traceIdOf(trace), spanId: spanIdOf(span) } };
}

async function writeTrace(store: PlaygroundStore, trace: number, atMs: number, thread?: string) {
  const stored = storedTrace(trace, atMs);
  await store.writeWithSpans([stored.record], new Map([[spanKeyString(stored.record), stored.kept]]), {
    steps: stored.steps,
    threads: thread ? [traceThread(trace, thread, `thread ${thread}`)] : [],
  });
  await store.writeLogs([stored.log]);
  return stored;
}

/** A generation stored without steps (an older store's, an import's), with its kept span and log record. */
async function writeBare(store: PlaygroundStore, trace: number, atMs: number) {
  const record = makeRecord({ trace, span: trace * 10 + 2, atMs, generation: chatData({ tags: ['retained?'] }) });
  await store.writeWithSpans([record], new Map([[spanKeyString(record), normalizedSpan({ trace, span: trace * 10 + 2, atMs })]]));
  await store.writeLogs([logRecord({ trace, span: trace * 10 + 2, atNs: BigInt(T0_MS + atMs + 5) * 1_000_000n, text: 'bare' })]);
  return { record, key: { traceId: record.traceId, spanId: record.spanId } };
}

async function stored(store: PlaygroundStore, records: readonly GenerationRecord[]): Promise<boolean[]> {
  return Promise.all(records.map(async (record) => (await store.get(record.id)) !== undefined));
}

/** The retention side of the `PlaygroundStore` contract; run inside `storeContract` for both stores. */
export function retentionContract(create: () => Promise<PlaygroundStore>): void {
  describe('retention', () => {
    it('by age: deletes old traces whole (generation, steps, kept span, logs), emptied threads, old bare generations, logs', async () => {
      const store = await create();
      const old1 = await writeTrace(store, 1, 0, 'conversation-a');
      const old2 = await writeTrace(store, 2, 1 * HOUR, 'conversation-b');
      const young = await writeTrace(store, 3, 3 * HOUR, 'conversation-a');
      const oldBare = await writeBare(store, 90, HOUR / 2);
      const youngBare = await writeBare(store, 91, 4 * HOUR);
      // Log records of a span never stored (no AI work, or its span never came): by their own time.
      await store.writeLogs([
        logRecord({ trace: 95, span: 950, atNs: BigInt(T0_MS + HOUR) * 1_000_000n, text: 'orphan, old' }),
        logRecord({ trace: 96, span: 960, atNs: BigInt(T0_MS + 4 * HOUR) * 1_000_000n, text: 'orphan, young' }),
      ]);
      await store.createExperiment(
        {
          id: 'exp',
          name: 'kept',
          createdTime: new Date(T0_MS).toISOString(),
          source: { ids: [old1.record.id] },
          sourceIds: [old1.record.id],
          variants: [{ provider: 'a', model: 'gpt-4o-mini', settings: {} }],
        },
        'finished',
      );
      const result = { experimentId: 'exp', sourceId: old1.record.id, variant: 0, generationId: old2.record.id, error: null };
      await store.writeExperimentResult(result);

      // Now is T0 + 4 h; keeping 2 h deletes what ended before T0 + 2 h.
      const report = await runRetention(store, { retainMs: 2 * HOUR }, T0_MS + 4 * HOUR);
      expect(report).toMatchObject({ generations: 3, steps: 4, spans: 3, logs: 4, traces: 2, threads: 1 });

      expect(await stored(store, [old1.record, old2.record, oldBare.record, young.record, youngBare.record])).toEqual([
        false,
        false,
        false,
        true,
        true,
      ]);
      // Deleted through the search and tag indexes too.
      const kept = [young.record.id, youngBare.record.id].sort();
      expect((await store.list({ q: 'hello' })).items.map((item) => item.id).sort()).toEqual(kept);
      expect((await store.list({ tag: 'retained?' })).items.map((item) => item.id).sort()).toEqual(kept);
      expect(await store.getTrace(traceIdOf(1))).toBeUndefined();
      expect(await store.getTrace(traceIdOf(2))).toBeUndefined();
      expect((await store.getTrace(traceIdOf(3)))?.steps).toHaveLength(2);
      const keys = [old1.key, old2.key, oldBare.key, young.key, youngBare.key];
      expect([...(await store.spansFor(keys)).keys()].sort()).toEqual([young.key, youngBare.key].map(spanKeyString).sort());
      const orphanKeys = [950, 960].map((span) => ({ traceId: traceIdOf(span / 10), spanId: spanIdOf(span) }));
      expect([...(await store.logsFor([...keys, ...orphanKeys])).keys()].sort()).toEqual(
        [young.key, youngBare.key, orphanKeys[1]].map(spanKeyString).sort(),
      );
      // conversation-b had only the old trace; conversation-a keeps its young one and now starts there.
      expect((await store.listThreads()).items.map((thread) => thread.id)).toEqual(['conversation-a']);
      const thread = await store.getThread('conversation-a');
      expect(thread?.traces.map((turn) => turn.traceId)).toEqual([traceIdOf(3)]);
      expect(thread?.startTime).toBe(young.steps[0].startTime);
      expect(await store.threadOfTrace(traceIdOf(1))).toBeNull();
      // Experiments are kept; a result whose generation is gone stays, pointing at nothing.
      expect(await store.experimentResults('exp')).toEqual([result]);
      expect((await store.getMany([old2.record.id])).size).toBe(0);

      // A second run finds nothing more.
      expect(await runRetention(store, { retainMs: 2 * HOUR }, T0_MS + 4 * HOUR)).toMatchObject({ batches: 0, generations: 0 });
    });

    it('keeps a trace that ends after the cutoff, even when it started long before', async () => {
      const store = await create();
      const stored1 = storedTrace(1, 0);
      // The run step lasts 3 h: the trace's last step ends after the cutoff (T0 + 2 h).
      const steps = [{ ...stored1.steps[0], endTime: new Date(T0_MS + 3 * HOUR).toISOString() }, stored1.steps[1]];
      await store.writeWithSpans([stored1.record], new Map(), { steps, threads: [] });
      expect(await store.pruneBatch(T0_MS + 2 * HOUR, RETENTION_BATCH_ROWS)).toMatchObject({ generations: 0, steps: 0, traces: 0 });
      expect((await store.getTrace(traceIdOf(1)))?.steps).toHaveLength(2);
    });

    it('batches: takes whole traces, oldest first, until their steps reach the batch size', async () => {
      const store = await create();
      for (let trace = 1; trace <= 8; trace++) await writeTrace(store, trace, trace * 1000);
      // 2 steps a trace: a batch of 5 rows takes 3 traces (2 + 2 < 5, then one more), the oldest.
      expect(await store.pruneBatch(NO_TIME_BOUND_MS, 5)).toMatchObject({ generations: 3, steps: 6, traces: 3 });
      expect((await store.listTraces()).items.map((trace) => trace.traceId).sort()).toEqual([4, 5, 6, 7, 8].map(traceIdOf));
      // A batch smaller than one trace still takes that trace, whole.
      expect(await store.pruneBatch(NO_TIME_BOUND_MS, 1)).toMatchObject({ steps: 2, traces: 1 });
      expect((await store.listTraces()).items).toHaveLength(4);
    });

    it('deletes a large store in many batches, each no larger than the batch size allows', async () => {
      const store = await create();
      const traces = Math.ceil((RETENTION_BATCH_ROWS * 2.5) / 2);
      const records: GenerationRecord[] = [];
      const steps = [];
      for (let trace = 1; trace <= traces; trace++) {
        const one = storedTrace(trace, trace);
        records.push(one.record);
        steps.push(...one.steps);
      }
      await store.writeWithSpans(records, new Map(), { steps, threads: [] });
      const batches: PruneBatch[] = [];
      const report = await runRetention(store, { retainMs: 1 }, T0_MS + 10 * HOUR, undefined, (batch) => batches.push(batch));
      expect(report).toMatchObject({ generations: traces, steps: traces * 2, traces });
      expect(report.batches).toBe(Math.ceil(traces / (RETENTION_BATCH_ROWS / 2)));
      // Each batch is told as it happens, with its own counts and its hold on writers.
      expect(batches).toHaveLength(report.batches);
      expect(batches.reduce((sum, batch) => sum + batch.generations, 0)).toBe(traces);
      expect(Math.max(...batches.map((batch) => batch.heldMs))).toBe(report.longestBatchMs);
      expect((await store.list()).items).toEqual([]);
    });

    it('deletes more bare generations than a batch looks at, batch after batch, and keeps young ones', async () => {
      const store = await create();
      const count = ORPHAN_SCAN_ROWS * 2 + RETENTION_BATCH_ROWS / 2;
      const bare = Array.from({ length: count }, (_, index) => makeRecord({ trace: 1000 + index, span: 1, atMs: index * 1000 }));
      const young = makeRecord({ trace: 1000 + count, span: 1, atMs: 2 * HOUR });
      await store.write([...bare, young]);
      const report = await runRetention(store, { retainMs: HOUR }, T0_MS + 2 * HOUR);
      expect(report).toMatchObject({ complete: true, generations: count, traces: 0 });
      expect(report.batches).toBe(Math.ceil(count / RETENTION_BATCH_ROWS));
      expect((await store.list({ limit: 10 })).items.map((item) => item.id)).toEqual([young.id]);
    });

    it('a run stops at its time limit, incomplete, and the next goes on from there', async () => {
      const store = await create();
      for (let trace = 1; trace <= 3; trace++) await writeTrace(store, trace, trace * 1000);
      const cut = await runRetention(store, { retainMs: 1 }, T0_MS + HOUR, -1);
      expect(cut).toMatchObject({ complete: false, batches: 0, generations: 0 });
      expect(await runRetention(store, { retainMs: 1 }, T0_MS + HOUR)).toMatchObject({ complete: true, generations: 3 });
    });

    it('by size: within the size nothing goes; past it, the oldest go until it is within', async () => {
      const store = await create();
      const records: GenerationRecord[] = [];
      const steps: StepRecord[] = [];
      for (let trace = 1; trace <= 200; trace++) {
        // ~6 KB of text a generation, so the data, not the tables' fixed pages, makes the size.
        const content = `${trace} `.repeat(1500);
        records.push(
          makeRecord({ trace, span: trace, atMs: trace * 1000, generation: chatData({ messages: [{ role: 'user', content }] }) }),
        );
        steps.push(makeStep({ trace, span: trace, atMs: trace * 1000, type: 'llm' }));
      }
      await store.writeWithSpans(records, new Map(), { steps, threads: [] });
      expect(await store.generationsOverSize(Number.MAX_SAFE_INTEGER)).toBe(0);
      expect(await runRetention(store, { maxBytes: Number.MAX_SAFE_INTEGER })).toMatchObject({ batches: 0 });
      expect(await store.generationsOverSize(1)).toBe(200);

      // Half the current size: about half the generations, the oldest, go.
      const half = Math.floor((await measuredSize(store)) / 2);
      const wanted = await store.generationsOverSize(half);
      // (PostgreSQL's autovacuum may add a table's free space map meanwhile: a few KB.)
      expect(wanted).toBeGreaterThanOrEqual(95);
      expect(wanted).toBeLessThanOrEqual(105);
      const report = await runRetention(store, { maxBytes: half });
      expect(report.generations).toBeGreaterThanOrEqual(wanted);
      expect(report.generations).toBeLessThan(150);
      const left = (await store.listTraces({ limit: 200 })).items.map((trace) => trace.traceId).sort();
      expect(left).toEqual(Array.from({ length: 200 - report.generations }, (_, index) => traceIdOf(report.generations + 1 + index)));
      // Within the size now, so the next run deletes nothing (or a few for a free space map PostgreSQL added).
      expect(await store.generationsOverSize(half)).toBeLessThanOrEqual(2);
    });
  });
}

/** The size `generationsOverSize` measures: the smallest limit it answers 0 for, found by bisection. */
async function measuredSize(store: PlaygroundStore): Promise<number> {
  let low = 1;
  let high = 2 ** 40;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if ((await store.generationsOverSize(middle)) === 0) high = middle;
    else low = middle;
  }
  return high;
}
