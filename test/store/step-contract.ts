import { describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { type StepBatch, spanKeyString } from '../../src/ingest/contract.js';
import { InvalidRecordError } from '../../src/store/errors.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { chatData, makeRecord, makeStep, spanIdOf, traceIdOf, traceThread } from './fixtures.js';

const NO_SPANS = new Map();

/** A run (span 1) holding an outer `llm` step (2) around an instrumented client call (3), and a tool step (4). */
function overlapTrace(trace: number, atMs = 0) {
  const outer = makeRecord({
    trace,
    span: 2,
    atMs: atMs + 10,
    source: 'genspan',
    generation: chatData({ model: 'gpt-4o', tags: ['outer'], messages: [{ role: 'user', content: 'template side' }] }),
  });
  const inner = makeRecord({
    trace,
    span: 3,
    atMs: atMs + 20,
    generation: chatData({ model: 'gpt-4o-2024-08-06', messages: [{ role: 'user', content: 'client side' }] }),
  });
  const steps = [
    makeStep({ trace, span: 1, atMs, durationMs: 1000, name: 'agent', input: 'hello', output: 'bye' }),
    makeStep({ trace, span: 2, parent: 1, atMs: atMs + 10, durationMs: 500, type: 'llm', name: 'answer' }),
    makeStep({ trace, span: 3, parent: 2, atMs: atMs + 20, durationMs: 400, type: 'llm', name: 'chat gpt-4o' }),
    makeStep({ trace, span: 4, parent: 1, atMs: atMs + 600, durationMs: 100, type: 'tool', name: 'lookup' }),
  ];
  const owner: GenerationRecord = {
    ...inner,
    generation: { ...inner.generation, tags: ['outer'], template: 'template side' },
    warnings: ['merged with its genspan llm step'],
  };
  return { outer, inner, steps, owner };
}

/** The records as the ingest hands them over: a generator that fills the step batch while it yields each record. */
function* fillingBatch(records: readonly GenerationRecord[], steps: readonly StepRecord[], batch: StepBatch): Generator<GenerationRecord> {
  for (const [index, record] of records.entries()) {
    yield record;
    if (index === records.length - 1) batch.steps.push(...steps);
  }
}

/** The step side of the `PlaygroundStore` contract; run inside `storeContract` for both stores. */
export function stepContract(create: () => Promise<PlaygroundStore>): void {
  describe('steps: writes, links and merges', () => {
    it('stores the step batch the record generator fills as it yields, in the same write', async () => {
      const store = await create();
      const { outer, inner, steps } = overlapTrace(1);
      const batch: StepBatch = { steps: [], threads: [] };
      expect(await store.writeWithSpans(fillingBatch([outer, inner], steps, batch), NO_SPANS, batch)).toEqual({
        inserted: 2,
        duplicates: 0,
      });
      const links = await store.stepLinks([traceIdOf(1)]);
      expect(links.get(traceIdOf(1))?.sort((a, b) => a.spanId.localeCompare(b.spanId))).toEqual([
        { spanId: spanIdOf(1), parentSpanId: null, type: 'run', generationId: null },
        { spanId: spanIdOf(2), parentSpanId: spanIdOf(1), type: 'llm', generationId: outer.id },
        { spanId: spanIdOf(3), parentSpanId: spanIdOf(2), type: 'llm', generationId: inner.id },
        { spanId: spanIdOf(4), parentSpanId: spanIdOf(1), type: 'tool', generationId: null },
      ]);
    });

    it('is idempotent on (traceId, spanId): the same batch twice keeps one step each, the first version', async () => {
      const store = await create();
      const { outer, steps } = overlapTrace(1);
      await store.writeWithSpans([outer], NO_SPANS, { steps, threads: [traceThread(1, 'conversation-1')] });
      const changed = steps.map((step) => ({ ...step, type: 'tool' as const }));
      expect(await store.writeWithSpans([outer], NO_SPANS, { steps: [...changed, ...changed], threads: [] })).toEqual({
        inserted: 0,
        duplicates: 1,
      });
      const links = (await store.stepLinks([traceIdOf(1)])).get(traceIdOf(1)) ?? [];
      expect(links).toHaveLength(4);
      expect(links.filter((link) => link.type === 'tool')).toHaveLength(1);
    });

    it('writes steps without records, and answers links by trace id in any case, leaving out traces without steps', async () => {
      const store = await create();
      await store.writeWithSpans([], NO_SPANS, { steps: overlapTrace(1).steps, threads: [] });
      await store.writeWithSpans([], NO_SPANS, { steps: [makeStep({ trace: 2, span: 9, atMs: 0 })], threads: [] });
      const links = await store.stepLinks([traceIdOf(1).toUpperCase(), traceIdOf(2), traceIdOf(3)]);
      expect([...links.keys()]).toEqual([traceIdOf(1).toUpperCase(), traceIdOf(2)]);
      expect(links.get(traceIdOf(2))).toEqual([{ spanId: spanIdOf(9), parentSpanId: null, type: 'run', generationId: null }]);
      expect(await store.stepLinks([])).toEqual(new Map());
    });

    it('rejects a step it cannot hold with InvalidRecordError, writing nothing of the batch', async () => {
      const store = await create();
      const record = makeRecord({ trace: 1, span: 5 });
      const bad = { ...makeStep({ trace: 1, span: 6, atMs: 0 }), startTime: 'yesterday' };
      await expect(store.writeWithSpans([record], NO_SPANS, { steps: [bad], threads: [] })).rejects.toThrow(InvalidRecordError);
      expect(await store.get(record.id)).toBeUndefined();
      expect(await store.stepLinks([traceIdOf(1)])).toEqual(new Map());
    });

    describe('merging one LLM call traced by two layers', () => {
      async function merged() {
        const store = await create();
        const trace = overlapTrace(1);
        await store.writeWithSpans([trace.outer, trace.inner], NO_SPANS, { steps: trace.steps, threads: [] });
        await store.mergeGenerations([{ owner: trace.owner, merged: [trace.outer] }]);
        return { store, ...trace };
      }

      it('updates the owner, takes the merged record out of the list, and keeps it on its step', async () => {
        const { store, outer, inner, owner } = await merged();
        expect(await store.get(inner.id)).toEqual(owner);
        expect(await store.get(outer.id)).toBeUndefined();
        expect((await store.list()).items.map((item) => item.id)).toEqual([inner.id]);
        expect((await store.list({ tag: 'outer' })).items.map((item) => item.id)).toEqual([inner.id]);
        const key = { traceId: outer.traceId, spanId: outer.spanId };
        const kept = await store.mergedRecords([key, { traceId: inner.traceId, spanId: inner.spanId }]);
        expect([...kept.keys()]).toEqual([spanKeyString(key)]);
        expect(kept.get(spanKeyString(key))).toEqual(outer);
      });

      it("points the merged span's step at the owner", async () => {
        const { store, owner } = await merged();
        const links = (await store.stepLinks([traceIdOf(1)])).get(traceIdOf(1)) ?? [];
        expect(links.find((link) => link.spanId === spanIdOf(2))?.generationId).toBe(owner.id);
        expect(links.find((link) => link.spanId === spanIdOf(3))?.generationId).toBe(owner.id);
      });

      it('does not list the merged span again when it is written again, and counts it as a duplicate', async () => {
        const { store, outer, inner, steps } = await merged();
        expect(await store.writeWithSpans([outer, inner], NO_SPANS, { steps, threads: [] })).toEqual({ inserted: 0, duplicates: 2 });
        expect(await store.write([outer])).toEqual({ inserted: 0, duplicates: 1 });
        expect((await store.list()).items.map((item) => item.id)).toEqual([inner.id]);
      });

      it('applying the same merge twice changes nothing more', async () => {
        const { store, outer, inner, owner } = await merged();
        await store.mergeGenerations([{ owner, merged: [outer] }]);
        expect(await store.get(inner.id)).toEqual(owner);
        expect((await store.list()).items.map((item) => item.id)).toEqual([inner.id]);
        expect((await store.mergedRecords([outer])).get(spanKeyString(outer))).toEqual(outer);
        await store.mergeGenerations([]);
      });

      it('keeps the record listed when its step is not stored, so a merge never loses one', async () => {
        const store = await create();
        const { outer, inner, owner } = overlapTrace(1);
        await store.write([outer, inner]);
        await store.mergeGenerations([{ owner, merged: [outer] }]);
        expect(await store.get(inner.id)).toEqual(owner);
        expect(await store.get(outer.id)).toEqual(outer);
        expect(await store.mergedRecords([outer])).toEqual(new Map());
      });
    });
  });
}
