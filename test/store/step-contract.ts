import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord, TraceThread } from '../../src/generation/step-record.js';
import { type StepBatch, spanKeyString } from '../../src/ingest/contract.js';
import { MAX_STORED_VALUE_CHARS } from '../../src/ingest/stored-values.js';
import { truncateText } from '../../src/semconv/encode.js';
import { InvalidListFilterError, InvalidRecordError } from '../../src/store/errors.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { MAX_TEXT_CHARS } from '../../src/translate/read.js';
import { chatData, makeRecord, makeStep, spanIdOf, T0_MS, traceIdOf, traceThread } from './fixtures.js';

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
    generation: { ...inner.generation, tags: ['outer'], template: [{ role: 'user', content: 'template side' }] },
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

    it('takes concurrent writes whose steps share traces and threads, in any order, keeping each trace whole', async () => {
      const store = await create();
      const writers = Array.from({ length: 8 }, (_, writer) => {
        // Every trace, each writer starting elsewhere, half of them going backward.
        const rotated = Array.from({ length: 12 }, (_, index) => 1 + ((index + writer * 5) % 12));
        const traces = writer % 2 === 0 ? rotated : rotated.reverse();
        const steps = traces.map((trace) => makeStep({ trace, span: 1000 * trace + writer, atMs: trace * 100 + writer }));
        const threads = traces.map((trace) => traceThread(trace, `thread-${trace % 3}`));
        return store.writeWithSpans([], NO_SPANS, { steps, threads });
      });
      await Promise.all(writers);
      const links = await store.stepLinks(Array.from({ length: 12 }, (_, index) => traceIdOf(index + 1)));
      expect([...links.values()].map((list) => list.length)).toEqual(Array(12).fill(8));
      const threads = await store.listThreads();
      expect(threads.items.map((thread) => thread.traces).sort()).toEqual([4, 4, 4]);
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

  describe('traces and threads', () => {
    it('returns a trace in tree order, depth first, siblings by start time, steps whose parent is not stored as roots', async () => {
      const store = await create();
      const root = makeStep({ trace: 1, span: 1, atMs: 0, durationMs: 1000, name: 'agent', input: '{"q":"hi"}', tags: ['a'] });
      const late = makeStep({ trace: 1, span: 2, parent: 1, atMs: 100, type: 'tool', metadata: { tool: { id: 7 } } });
      const early = makeStep({ trace: 1, span: 3, parent: 1, atMs: 50, type: 'llm', error: 'rate limited' });
      const lateChild = makeStep({ trace: 1, span: 4, parent: 2, atMs: 120, type: 'retrieval' });
      const earlyChild = makeStep({ trace: 1, span: 5, parent: 3, atMs: 60, type: 'embedding', service: null });
      const orphan = makeStep({ trace: 1, span: 6, parent: 99, atMs: 10, type: 'undefined' });
      // Children first, across batches, as spans usually arrive.
      await store.writeWithSpans([], NO_SPANS, { steps: [lateChild, orphan], threads: [] });
      await store.writeWithSpans([], NO_SPANS, { steps: [earlyChild, late], threads: [traceThread(1, 'conversation')] });
      await store.writeWithSpans([], NO_SPANS, { steps: [early, root], threads: [] });
      const trace = await store.getTrace(traceIdOf(1).toUpperCase());
      expect(trace).toEqual({ traceId: traceIdOf(1), threadId: 'conversation', steps: [root, early, earlyChild, late, lateChild, orphan] });
      expect(await store.getTrace(traceIdOf(2))).toBeUndefined();
      expect(await store.threadOfTrace(traceIdOf(1))).toBe('conversation');
      expect(await store.threadOfTrace(traceIdOf(2))).toBeNull();
    });

    it('stores step text bounded as records are, NUL and all', async () => {
      const store = await create();
      const step = makeStep({
        trace: 1,
        span: 1,
        atMs: 0,
        name: 'n'.repeat(MAX_STORED_VALUE_CHARS + 1000),
        input: 'i'.repeat(MAX_TEXT_CHARS + 1000),
        output: 'nul \u0000 inside',
        metadata: { note: 'm'.repeat(MAX_STORED_VALUE_CHARS + 1) },
      });
      await store.writeWithSpans([], NO_SPANS, { steps: [step], threads: [traceThread(1, 'thread \u0000 id', 'name \u0000')] });
      const [stored] = (await store.getTrace(traceIdOf(1)))?.steps ?? [];
      expect(stored.name).toBe(truncateText(step.name, MAX_STORED_VALUE_CHARS));
      expect(stored.input).toBe(truncateText(step.input ?? '', MAX_TEXT_CHARS));
      expect(stored.metadata).toEqual({ note: truncateText('m'.repeat(MAX_STORED_VALUE_CHARS + 1), MAX_STORED_VALUE_CHARS) });
      expect(stored.output).toBe('nul \u0000 inside');
      expect(await store.getThread('thread \u0000 id')).toMatchObject({ id: 'thread \u0000 id', name: 'name \u0000' });
    });

    describe('listing traces', () => {
      /** Five traces, 1 newest; 2 fails; 4 has a step and no generation; 5 a generation and no step. */
      async function fiveTraces() {
        const store = await create();
        for (const trace of [1, 2, 3]) {
          const atMs = (10 - trace) * 1000;
          const record = makeRecord({
            trace,
            span: 10 + trace,
            atMs: atMs + 10,
            statusCode: trace === 2 ? 2 : 0,
            generation: chatData({ model: trace === 3 ? 'claude-3' : 'gpt-4o', tags: [`t${trace}`] }),
          });
          const steps = [
            makeStep({ trace, span: trace, atMs, durationMs: 500 + trace, name: `run ${trace}`, service: `svc-${trace}` }),
            makeStep({ trace, span: 10 + trace, parent: trace, atMs: atMs + 10, type: 'llm' }),
          ];
          await store.writeWithSpans([record], NO_SPANS, { steps, threads: [] });
        }
        await store.writeWithSpans([], NO_SPANS, { steps: [makeStep({ trace: 4, span: 4, atMs: 0, name: 'no generation' })], threads: [] });
        await store.write([makeRecord({ trace: 5, span: 50, atMs: 20_000 })]);
        return store;
      }

      it('lists every trace with steps newest first, each with its root, duration, counts, tokens and error flag', async () => {
        const store = await fiveTraces();
        const page = await store.listTraces();
        expect(page.nextCursor).toBeNull();
        expect(page.items.map((item) => item.traceId)).toEqual([1, 2, 3, 4].map(traceIdOf));
        expect(page.items[0]).toEqual({
          traceId: traceIdOf(1),
          threadId: null,
          name: 'run 1',
          serviceName: 'svc-1',
          startTime: new Date(T0_MS + 9000).toISOString(),
          endTime: new Date(T0_MS + 9501).toISOString(),
          durationMs: 501,
          steps: 2,
          generations: 1,
          tokens: 15,
          error: false,
        });
        expect(page.items.map((item) => item.error)).toEqual([false, true, false, false]);
        expect(page.items[3]).toMatchObject({ name: 'no generation', steps: 1, generations: 0, tokens: null });
      });

      it('lists the traces having a generation the filter matches', async () => {
        const store = await fiveTraces();
        const ids = async (filter: Parameters<PlaygroundStore['listTraces']>[0]) =>
          (await store.listTraces(filter)).items.map((item) => item.traceId);
        expect(await ids({ model: 'claude-3' })).toEqual([traceIdOf(3)]);
        expect(await ids({ tag: 't1' })).toEqual([traceIdOf(1)]);
        expect(await ids({ errorsOnly: true })).toEqual([traceIdOf(2)]);
        expect(await ids({ traceId: traceIdOf(2).toUpperCase() })).toEqual([traceIdOf(2)]);
        expect(await ids({ model: 'gpt-4o', serviceName: 'checkout' })).toEqual([1, 2].map(traceIdOf));
        expect(await ids({ model: 'none' })).toEqual([]);
        // The generation list's order does not apply: traces stay newest first.
        expect(await ids({ sort: 'cost_asc', model: 'gpt-4o' })).toEqual([1, 2].map(traceIdOf));
      });

      it('pages through the traces, filtered or not, each once; a foreign cursor is refused with one clear error', async () => {
        const store = await fiveTraces();
        const collect = async (filter: { model?: string }) => {
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listTraces({ ...filter, limit: 1, cursor });
            expect(page.items.length).toBeLessThanOrEqual(1);
            seen.push(...page.items.map((item) => item.traceId));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          return seen;
        };
        expect(await collect({})).toEqual([1, 2, 3, 4].map(traceIdOf));
        expect(await collect({ model: 'gpt-4o' })).toEqual([1, 2].map(traceIdOf));
        const generationCursor = (await store.list({ limit: 1 })).nextCursor ?? '';
        await expect(store.listTraces({ cursor: generationCursor })).rejects.toThrow(InvalidListFilterError);
        await expect(store.listTraces({ cursor: 'nonsense' })).rejects.toThrow(/cursor is not one this store issued for traces/);
      });
    });

    describe('threads', () => {
      /** Thread "conversation" (user u1, no name) of traces 1 (first) and 2; thread "named" (given a name) of trace 3. */
      async function threads() {
        const store = await create();
        const turn = (trace: number, atMs: number, input: string, output: string, error: string | null = null) => [
          makeStep({ trace, span: trace, atMs, durationMs: 1000, name: `turn ${trace}`, input, output, error }),
          makeStep({ trace, span: 100 + trace, parent: trace, atMs: atMs + 5, type: 'llm' }),
        ];
        // The second turn arrives first; the first names the thread all the same.
        await store.writeWithSpans([], NO_SPANS, {
          steps: turn(2, 5000, 'and then?', 'the end', 'cut short'),
          threads: [traceThread(2, 'conversation', null, 'u1')],
        });
        await store.writeWithSpans([], NO_SPANS, {
          steps: turn(1, 1000, 'once upon a time?', 'there was a span'),
          threads: [traceThread(1, 'conversation')],
        });
        await store.writeWithSpans([], NO_SPANS, {
          steps: turn(3, 3000, 'help', 'sure'),
          threads: [traceThread(3, 'named', 'Support chat', 'u2'), traceThread(3, 'other', 'ignored', null)],
        });
        return store;
      }

      it('lists threads most recently active first, named by their given name or first input, with user and trace count', async () => {
        const store = await threads();
        expect(await store.listThreads()).toEqual({
          items: [
            {
              id: 'conversation',
              name: 'once upon a time?',
              userId: 'u1',
              startTime: new Date(T0_MS + 1000).toISOString(),
              endTime: new Date(T0_MS + 6000).toISOString(),
              traces: 2,
            },
            {
              id: 'named',
              name: 'Support chat',
              userId: 'u2',
              startTime: new Date(T0_MS + 3000).toISOString(),
              endTime: new Date(T0_MS + 4000).toISOString(),
              traces: 1,
            },
          ],
          nextCursor: null,
        });
        expect((await store.listThreads({ userId: 'u2' })).items.map((item) => item.id)).toEqual(['named']);
        const first = await store.listThreads({ limit: 1 });
        expect(first.items.map((item) => item.id)).toEqual(['conversation']);
        const second = await store.listThreads({ limit: 1, cursor: first.nextCursor ?? '' });
        expect(second).toMatchObject({ items: [{ id: 'named' }], nextCursor: null });
        await expect(store.listThreads({ cursor: 'nonsense' })).rejects.toThrow(InvalidListFilterError);
        await expect(store.listThreads({ limit: 0 })).rejects.toThrow(/limit must be an integer/);
      });

      it("returns a thread's traces in time order with each root step's input, output and error", async () => {
        const store = await threads();
        expect(await store.getThread('conversation')).toEqual({
          id: 'conversation',
          name: 'once upon a time?',
          userId: 'u1',
          startTime: new Date(T0_MS + 1000).toISOString(),
          endTime: new Date(T0_MS + 6000).toISOString(),
          traces: [
            {
              traceId: traceIdOf(1),
              name: 'turn 1',
              startTime: new Date(T0_MS + 1000).toISOString(),
              endTime: new Date(T0_MS + 2000).toISOString(),
              input: 'once upon a time?',
              output: 'there was a span',
              error: null,
            },
            {
              traceId: traceIdOf(2),
              name: 'turn 2',
              startTime: new Date(T0_MS + 5000).toISOString(),
              endTime: new Date(T0_MS + 6000).toISOString(),
              input: 'and then?',
              output: 'the end',
              error: 'cut short',
            },
          ],
        });
        expect(await store.getThread('other')).toBeUndefined();
        expect(await store.threadOfTrace(traceIdOf(3))).toBe('named');
      });

      it('widens a thread when a later step widens one of its traces, and keeps a trace in its first thread', async () => {
        const store = await threads();
        const later = makeStep({ trace: 3, span: 33, parent: 3, atMs: 9000, durationMs: 1000, type: 'tool' });
        await store.writeWithSpans([], NO_SPANS, { steps: [later], threads: [traceThread(3, 'conversation')] });
        expect((await store.listThreads()).items.map((item) => [item.id, item.endTime, item.traces])).toEqual([
          ['named', new Date(T0_MS + 10_000).toISOString(), 1],
          ['conversation', new Date(T0_MS + 6000).toISOString(), 2],
        ]);
        expect(await store.threadOfTrace(traceIdOf(3))).toBe('named');
      });
    });
  });

  describe('JSON Lines of steps and threads', () => {
    async function exported(store: PlaygroundStore): Promise<string> {
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on('data', (chunk: Buffer) => chunks.push(chunk));
      await store.exportJsonl(output);
      output.end();
      return Buffer.concat(chunks).toString('utf8');
    }

    it('exports records, then steps, then threads, and imports them into another store unchanged', async () => {
      const source = await create();
      const { outer, inner, steps, owner } = overlapTrace(1);
      await source.writeWithSpans([outer, inner], NO_SPANS, { steps, threads: [traceThread(1, 'conversation', 'Named', 'u1')] });
      await source.mergeGenerations([{ owner, merged: [outer] }]);
      // More steps than an export page holds, over many traces.
      const many = Array.from({ length: 620 }, (_, index) => makeStep({ trace: 100 + (index % 7), span: 1000 + index, atMs: index }));
      await source.writeWithSpans([], NO_SPANS, { steps: many, threads: [traceThread(100, 'conversation'), traceThread(101, 'other')] });
      const text = await exported(source);
      const lines = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind?: string });
      const kinds = lines.map((line) => line.kind ?? 'record');
      expect(kinds[0]).toBe('record');
      expect(kinds.filter((kind) => kind === 'step')).toHaveLength(steps.length + many.length);
      // Each thread line follows the page of steps its trace begins in, so its steps come before it.
      const threadLines = lines.filter((line): line is TraceThread & { kind: string } => line.kind === 'thread');
      expect(threadLines.map((line) => line.traceId)).toEqual([1, 100, 101].map(traceIdOf));
      expect(threadLines[0]).toEqual({ kind: 'thread', ...traceThread(1, 'conversation', 'Named', 'u1') });
      for (const thread of threadLines) {
        const stepBefore = lines
          .slice(0, lines.indexOf(thread))
          .some((line) => line.kind === 'step' && (line as StepRecord).traceId === thread.traceId);
        expect(stepBefore).toBe(true);
      }

      const pages = [];
      for await (const page of source.exportPages()) pages.push(page);
      expect(pages.every((page) => page.records.length <= 500 && page.steps.length <= 500)).toBe(true);
      expect(pages.flatMap((page) => page.threads.map((thread) => thread.traceId))).toEqual([1, 100, 101].map(traceIdOf));

      const target = await create();
      expect(await target.importJsonl(Readable.from([text]))).toEqual({ inserted: 1, duplicates: 0 });
      expect(await target.getTrace(traceIdOf(1))).toEqual(await source.getTrace(traceIdOf(1)));
      expect(await target.getTrace(traceIdOf(103))).toEqual(await source.getTrace(traceIdOf(103)));
      expect(await target.listTraces({ limit: 500 })).toEqual(await source.listTraces({ limit: 500 }));
      expect(await target.listThreads()).toEqual(await source.listThreads());
      expect(await target.getThread('conversation')).toEqual(await source.getThread('conversation'));
      expect(await exported(target)).toBe(text);
      expect(await target.importJsonl(Readable.from([text]))).toEqual({ inserted: 0, duplicates: 1 });
    });

    it('refuses a bad step or thread line, or an unknown kind, naming the line', async () => {
      const store = await create();
      const step = { kind: 'step', ...makeStep({ trace: 1, span: 1, atMs: 0 }) };
      const record = JSON.stringify(makeRecord({ span: 1 }));
      await expect(store.importJsonl(Readable.from([`${record}\n${JSON.stringify({ ...step, type: 'dance' })}\n`]))).rejects.toThrow(
        /line 2: not a step \(type: /,
      );
      await expect(store.importJsonl(Readable.from([JSON.stringify({ kind: 'thread', traceId: 'x', threadId: 'a' })]))).rejects.toThrow(
        /line 1: not a trace's thread \(traceId: /,
      );
      await expect(store.importJsonl(Readable.from([JSON.stringify({ kind: 'score' })]))).rejects.toThrow(/line 1: unknown kind "score"/);
    });
  });
}
