import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentDefinition } from '../../src/generation/experiment.js';
import type { ListFilter } from '../../src/generation/filter.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { WriteResult } from '../../src/ingest/contract.js';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import {
  InvalidListFilterError,
  InvalidRecordError,
  isRecordsRejectedError,
  isRetryableStoreError,
  RecordsRejectedError,
  StoreClosedError,
} from '../../src/store/errors.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import {
  chatData,
  completionData,
  logRecord,
  makeRecord,
  manyRecords,
  newestFirst,
  normalizedSpan,
  spanIdOf,
  T0_MS,
  traceIdOf,
} from './fixtures.js';
import { retentionContract } from './retention-contract.js';
import { type IndexedStore, type SearchHarness, searchContract } from './search-contract.js';
import { stepContract } from './step-contract.js';

export interface StoreHarness extends SearchHarness {
  /** A new, empty store (each call gets its own database). */
  create(options?: Parameters<SearchHarness['create']>[0]): Promise<IndexedStore>;
}

async function collectAll(store: PlaygroundStore, filter: ListFilter = {}): Promise<GenerationRecord[]> {
  const all: GenerationRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.list({ ...filter, limit: 500, cursor });
    all.push(...page.items);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
}

async function exportToString(store: PlaygroundStore): Promise<{ text: string; count: number }> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const count = await store.exportJsonl(output);
  output.end();
  return { text: Buffer.concat(chunks).toString('utf8'), count };
}

/** Four records that differ in every filtered field. */
function filterFixture(): Record<'checkoutChat' | 'searchError' | 'partsWithError' | 'bare', GenerationRecord> {
  return {
    checkoutChat: makeRecord({
      trace: 1,
      span: 1,
      atMs: 1000,
      service: 'checkout',
      source: 'genai',
      generation: chatData({
        model: 'gpt-4o',
        provider: 'openai',
        tags: ['prod', 'eu'],
        messages: [{ role: 'user', content: 'Hello Über World' }],
        messageCompletion: { role: 'assistant', content: 'Bonjour' },
      }),
    }),
    searchError: makeRecord({
      trace: 2,
      span: 2,
      atMs: 2000,
      service: 'search',
      statusCode: 2,
      source: 'openinference',
      generation: completionData({
        model: 'claude-3',
        provider: 'anthropic',
        tags: ['production'],
        prompt: 'Translate 50% of this',
        completion: 'done_ok',
      }),
    }),
    partsWithError: makeRecord({
      trace: 3,
      span: 3,
      atMs: 3000,
      service: 'checkout',
      source: 'genspan',
      generation: chatData({
        model: 'gpt-4o-mini',
        provider: 'openai',
        error: 'rate limited',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Needle in the parts' }] }],
        messageCompletion: null,
      }),
    }),
    bare: makeRecord({
      trace: 1,
      span: 4,
      atMs: 4000,
      service: null,
      source: 'vercel-ai',
      generation: chatData({ model: null, provider: null, messages: [], messageCompletion: null }),
    }),
  };
}

/** The behaviour every `PlaygroundStore` must have; run by test/store/sqlite.test.ts and test/store/postgres.test.ts. */
export function storeContract(name: string, harness: StoreHarness): void {
  describe(`${name}: GenerationStore contract`, () => {
    const opened: PlaygroundStore[] = [];
    const create = async () => {
      const store = await harness.create();
      opened.push(store);
      return store;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close().catch(() => undefined)));
    });

    stepContract(create);
    retentionContract(create);
    searchContract(harness, opened);

    describe('writes', () => {
      it('stores a batch and counts a redelivered batch as duplicates', async () => {
        const store = await create();
        const records = manyRecords(5);
        expect(await store.write(records)).toEqual({ inserted: 5, duplicates: 0 });
        expect(await store.write(records)).toEqual({ inserted: 0, duplicates: 5 });
        expect((await store.list()).items).toHaveLength(5);
      });

      it('keeps the first version when the same span arrives twice in one batch or later with other content', async () => {
        const store = await create();
        const first = makeRecord({ span: 7, generation: chatData({ model: 'first-model' }) });
        const again = makeRecord({ span: 7, generation: chatData({ model: 'second-model' }) });
        expect(await store.write([first, again])).toEqual({ inserted: 1, duplicates: 1 });
        expect(await store.write([again])).toEqual({ inserted: 0, duplicates: 1 });
        expect((await store.get(first.id))?.generation.model).toBe('first-model');
      });

      it('accepts an empty batch', async () => {
        const store = await create();
        expect(await store.write([])).toEqual({ inserted: 0, duplicates: 0 });
      });

      it('stores text holding NUL (U+0000) and returns it exactly; filters and search still find it', async () => {
        const store = await create();
        const withNul = makeRecord({
          span: 1,
          statusCode: 2,
          service: 'check\u0000out',
          generation: completionData({
            model: 'gpt\u0000mini',
            provider: 'open\u0000ai',
            tags: ['eu\u0000west', 'plain'],
            prompt: 'before\u0000After',
            completion: '\u0000done\u0000',
          }),
        });
        withNul.status.message = 'bad\u0000byte';
        // U+FFFF and U+FFFE must survive too, whatever a store does to hold NUL.
        const noncharacters = makeRecord({
          span: 2,
          generation: chatData({
            model: 'm\uffff\ufffe\uffff',
            tags: ['\uffff\u0000'],
            messages: [{ role: 'user', content: 'x\uffff\ufffey' }],
          }),
        });
        const plain = makeRecord({ span: 3, generation: completionData({ model: 'gpt', prompt: 'before After' }) });
        expect(await store.write([withNul, noncharacters, plain])).toEqual({ inserted: 3, duplicates: 0 });
        expect(await store.write([withNul])).toEqual({ inserted: 0, duplicates: 1 });
        expect(await store.get(withNul.id)).toEqual(withNul);
        expect(await store.get(noncharacters.id)).toEqual(noncharacters);

        const ids = async (filter: ListFilter) => (await store.list(filter)).items.map((item) => item.id);
        expect(await ids({ model: 'gpt\u0000mini' })).toEqual([withNul.id]);
        expect(await ids({ model: 'gpt' })).toEqual([plain.id]);
        expect(await ids({ provider: 'open\u0000ai' })).toEqual([withNul.id]);
        expect(await ids({ serviceName: 'check\u0000out' })).toEqual([withNul.id]);
        expect(await ids({ tag: 'eu\u0000west' })).toEqual([withNul.id]);
        expect(await ids({ tag: 'eu' })).toEqual([]);
        expect(await ids({ model: 'm\uffff\ufffe\uffff', tag: '\uffff\u0000' })).toEqual([noncharacters.id]);
        expect(await ids({ q: 'e\u0000aft' })).toEqual([withNul.id]);
        expect(await ids({ q: 'AFTER' })).toEqual([plain.id, withNul.id]);
        expect(await ids({ q: '\uffff\ufffe' })).toEqual([noncharacters.id]);
        expect(await ids({ errorsOnly: true })).toEqual([withNul.id]);
        expect((await store.list()).items).toEqual(newestFirst([withNul, noncharacters, plain]));

        const regenerated: GenerationRecord = {
          ...withNul,
          generation: completionData({ model: 'new\u0000model', tags: ['t\u0000'], prompt: 'p\u0000' }),
        };
        await store.updateGenerations([regenerated]);
        expect(await store.get(withNul.id)).toEqual(regenerated);
        expect(await ids({ model: 'new\u0000model', tag: 't\u0000', q: 'p\u0000' })).toEqual([withNul.id]);

        const span = normalizedSpan({ span: 4, attributes: { 'gen_ai.prompt': 'a\u0000b' } });
        const key = `${span.traceId}:${span.spanId}`;
        await store.writeWithSpans([makeRecord({ span: 4 })], new Map([[key, span]]));
        expect((await store.spansFor([span])).get(key)).toEqual(span);
        const log = logRecord({ span: 4, atNs: 1n, text: 'c\u0000d' });
        await store.writeLogs([log]);
        expect((await store.logsFor([span])).get(key)).toEqual([log]);

        const target = await create();
        const { text } = await exportToString(store);
        expect(await target.importJsonl(Readable.from([text]))).toEqual({ inserted: 4, duplicates: 0 });
        expect(await target.get(withNul.id)).toEqual(regenerated);
      });

      it('holds each lone UTF-16 surrogate as one U+FFFD, whether ingested or imported, and its filters find it', async () => {
        const store = await create();
        const span = normalizedSpan({
          span: 1,
          service: 'check\ud800out',
          attributes: {
            'gen_ai.request.model': 'gpt\udc00mini',
            'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'say \udfffhi' }] }]),
          },
        });
        expect((await new GenerationIngest(store).ingestSpans([span])).stored).toBe(1);
        const ingested = (await store.list({ traceId: span.traceId })).items[0];
        expect(ingested.serviceName).toBe('check\ufffdout');
        expect(ingested.generation.model).toBe('gpt\ufffdmini');
        expect(ingested.generation.messages).toEqual([{ role: 'user', content: 'say \ufffdhi' }]);

        // Written as another program could have: makeRecord builds records as the ingest does, already well-formed.
        const made = makeRecord({ span: 2 });
        const imported: GenerationRecord = {
          ...made,
          serviceName: 'im\udbffport',
          generation: completionData({ model: 'm\ud800', tags: ['t\udc00'], prompt: 'p\ud800\ud800q' }),
        };
        // JSON writes each lone surrogate as an escape, which JSON.parse turns back into the lone surrogate.
        expect(JSON.stringify(imported)).toContain('\\ud800');
        expect(await store.importJsonl(Readable.from([`${JSON.stringify(imported)}\n`]))).toEqual({ inserted: 1, duplicates: 0 });
        const wellFormed: GenerationRecord = {
          ...imported,
          serviceName: 'im\ufffdport',
          generation: { ...imported.generation, model: 'm\ufffd', tags: ['t\ufffd'], prompt: 'p\ufffd\ufffdq' },
        };
        expect(await store.get(imported.id)).toEqual(wellFormed);

        const ids = async (filter: ListFilter) => (await store.list(filter)).items.map((item) => item.id);
        expect(await ids({ serviceName: 'check\ufffdout', model: 'gpt\ufffdmini', q: '\ufffdHI' })).toEqual([ingested.id]);
        expect(await ids({ serviceName: 'im\ufffdport', model: 'm\ufffd', tag: 't\ufffd', q: 'p\ufffd\ufffdq' })).toEqual([imported.id]);
      });

      it('rejects records it cannot hold with a non-retryable RecordsRejectedError, and keeps the rest of the store usable', async () => {
        const store = await create();
        const noScopeName = makeRecord({ span: 1 });
        (noScopeName.scope as { name: unknown }).name = null;
        const error = await store.write([makeRecord({ span: 2 }), noScopeName]).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RecordsRejectedError);
        expect(isRecordsRejectedError(error)).toBe(true);
        expect(isRetryableStoreError(error)).toBe(false);
        // One transaction: the good record of the rejected batch was not stored either.
        expect((await store.list()).items).toEqual([]);

        const badTime = { ...makeRecord({ span: 3 }), startTime: 'not a time' };
        await expect(store.write([badTime])).rejects.toThrow(InvalidRecordError);
        await expect(store.write([badTime])).rejects.toThrow(/cannot be stored: startTime is not an ISO-8601 time/);
        expect(await store.write([makeRecord({ span: 2 })])).toEqual({ inserted: 1, duplicates: 0 });
      });
    });

    describe('get', () => {
      it('returns the stored record exactly as written', async () => {
        const store = await create();
        const record = makeRecord({ span: 1, warnings: ['gen_ai.input.messages: not JSON'], statusCode: 2 });
        record.status.message = 'boom';
        await store.write([record]);
        expect(await store.get(record.id)).toEqual(record);
      });

      it('returns undefined for an unknown id', async () => {
        const store = await create();
        await store.write(manyRecords(2));
        expect(await store.get('00000000-0000-8000-8000-000000000000')).toBeUndefined();
      });
    });

    describe('list filters', () => {
      const ids = (page: { items: GenerationRecord[] }) => page.items.map((item) => item.id);

      async function filtered() {
        const store = await create();
        const fixture = filterFixture();
        await store.write(Object.values(fixture));
        return { store, ...fixture };
      }

      it('lists newest first', async () => {
        const { store, checkoutChat, searchError, partsWithError, bare } = await filtered();
        expect(ids(await store.list())).toEqual([bare.id, partsWithError.id, searchError.id, checkoutChat.id]);
      });

      it('filters by trace id (any case)', async () => {
        const { store, checkoutChat, bare } = await filtered();
        expect(ids(await store.list({ traceId: traceIdOf(1) }))).toEqual([bare.id, checkoutChat.id]);
        expect(ids(await store.list({ traceId: traceIdOf(1).toUpperCase() }))).toEqual([bare.id, checkoutChat.id]);
      });

      it('filters by service, model, provider and source', async () => {
        const { store, checkoutChat, searchError, partsWithError, bare } = await filtered();
        expect(ids(await store.list({ serviceName: 'checkout' }))).toEqual([partsWithError.id, checkoutChat.id]);
        expect(ids(await store.list({ model: 'gpt-4o' }))).toEqual([checkoutChat.id]);
        expect(ids(await store.list({ provider: 'openai' }))).toEqual([partsWithError.id, checkoutChat.id]);
        expect(ids(await store.list({ source: 'vercel-ai' }))).toEqual([bare.id]);
        expect(ids(await store.list({ source: 'openinference', provider: 'anthropic' }))).toEqual([searchError.id]);
      });

      it('matches tags exactly', async () => {
        const { store, checkoutChat, searchError } = await filtered();
        expect(ids(await store.list({ tag: 'prod' }))).toEqual([checkoutChat.id]);
        expect(ids(await store.list({ tag: 'production' }))).toEqual([searchError.id]);
        expect(ids(await store.list({ tag: 'pro' }))).toEqual([]);
      });

      it('lists only errors: error status or a generation error', async () => {
        const { store, searchError, partsWithError } = await filtered();
        expect(ids(await store.list({ errorsOnly: true }))).toEqual([partsWithError.id, searchError.id]);
        expect(await store.list({ errorsOnly: false })).toHaveProperty('items.length', 4);
      });

      it('filters by a start time range, from inclusive and to exclusive, in any ISO offset', async () => {
        const { store, checkoutChat, searchError, partsWithError, bare } = await filtered();
        const at = (ms: number) => new Date(T0_MS + ms).toISOString();
        expect(ids(await store.list({ from: at(2000) }))).toEqual([bare.id, partsWithError.id, searchError.id]);
        expect(ids(await store.list({ to: at(3000) }))).toEqual([searchError.id, checkoutChat.id]);
        expect(ids(await store.list({ from: at(2000), to: at(3001) }))).toEqual([partsWithError.id, searchError.id]);
        expect(ids(await store.list({ from: '2026-01-01T01:00:03+01:00' }))).toEqual([bare.id, partsWithError.id]);
      });

      it('searches prompt, completion and message text case-insensitively, wildcards taken literally', async () => {
        const { store, checkoutChat, searchError, partsWithError } = await filtered();
        expect(ids(await store.list({ q: 'über world' }))).toEqual([checkoutChat.id]);
        expect(ids(await store.list({ q: 'BONJOUR' }))).toEqual([checkoutChat.id]);
        expect(ids(await store.list({ q: '50%' }))).toEqual([searchError.id]);
        expect(ids(await store.list({ q: 'done_ok' }))).toEqual([searchError.id]);
        expect(ids(await store.list({ q: 'd_ne' }))).toEqual([]);
        expect(ids(await store.list({ q: 'translate%this' }))).toEqual([]);
        expect(ids(await store.list({ q: 'needle in' }))).toEqual([partsWithError.id]);
        expect(ids(await store.list({ q: 'nowhere to be found' }))).toEqual([]);
      });

      it('binds filter values as parameters, never as SQL', async () => {
        const { store } = await filtered();
        for (const hostile of [`x' OR '1'='1`, `'; DROP TABLE genspan_generations; --`, '%', '_', '\\']) {
          expect((await store.list({ model: hostile })).items).toEqual([]);
          expect((await store.list({ tag: hostile })).items).toEqual([]);
          expect((await store.list({ serviceName: hostile, q: hostile })).items).toEqual([]);
        }
        expect((await store.list()).items).toHaveLength(4);
      });

      it('combines filters', async () => {
        const { store, partsWithError } = await filtered();
        expect(ids(await store.list({ serviceName: 'checkout', errorsOnly: true, q: 'needle' }))).toEqual([partsWithError.id]);
        expect(ids(await store.list({ serviceName: 'checkout', tag: 'production' }))).toEqual([]);
      });

      it('rejects a bad time, limit or cursor with one clear error', async () => {
        const { store } = await filtered();
        await expect(store.list({ from: 'yesterday-ish' })).rejects.toThrow(InvalidListFilterError);
        await expect(store.list({ limit: 0 })).rejects.toThrow(/limit must be/);
        await expect(store.list({ limit: 2.5 })).rejects.toThrow(InvalidListFilterError);
        await expect(store.list({ cursor: 'not-a-cursor' })).rejects.toThrow(/cursor is not one this store issued/);
      });
    });

    describe('cost', () => {
      it('stores each record with its cost and returns it from get and list', async () => {
        const store = await create();
        const { checkoutChat, searchError, bare } = filterFixture();
        await store.write([checkoutChat, searchError, bare]);
        // gpt-4o: 12 input tokens at $2.50 and 3 output tokens at $10 per million.
        expect(checkoutChat.cost).toEqual({ input: 0.00003, output: 0.00003, total: 0.00006, currency: 'USD', source: 'price-table' });
        expect((await store.get(checkoutChat.id))?.cost).toEqual(checkoutChat.cost);
        expect((await store.get(searchError.id))?.cost).toBeNull();
        const listed = (await store.list()).items;
        expect(listed.find((item) => item.id === checkoutChat.id)?.cost).toEqual(checkoutChat.cost);
        expect(listed.find((item) => item.id === bare.id)?.cost).toBeNull();
        const fromSpan = makeRecord({ span: 9, atMs: 9000 });
        fromSpan.cost = { input: 0.25, output: null, total: 1.5, currency: 'USD', source: 'span' };
        await store.write([fromSpan]);
        expect((await store.get(fromSpan.id))?.cost).toEqual(fromSpan.cost);
      });

      it('stores a record written without a cost (a library caller, an older genspan) with none', async () => {
        const store = await create();
        const { cost: _omitted, ...withoutCost } = makeRecord({ span: 1 });
        await store.write([withoutCost as GenerationRecord]);
        expect((await store.get(withoutCost.id))?.cost).toBeNull();
      });

      it('stores a cost that is no valid cost (an infinite total from a library caller) as none; export and import work', async () => {
        const store = await create();
        const hostile = makeRecord({ span: 2 });
        hostile.cost = {
          input: Number.MAX_VALUE,
          output: Number.MAX_VALUE,
          total: Number.POSITIVE_INFINITY,
          currency: 'USD',
          source: 'span',
        };
        await store.write([hostile]);
        expect((await store.get(hostile.id))?.cost).toBeNull();
        expect((await store.list()).items.find((item) => item.id === hostile.id)?.cost).toBeNull();
        expect((await store.list({ minCost: 0 })).items).toEqual([]);
        const { text } = await exportToString(store);
        const other = await create();
        await other.importJsonl(Readable.from([text]));
        expect((await other.get(hostile.id))?.cost).toBeNull();
      });

      it('filters by a cost range, inclusive; records without a cost match no bound', async () => {
        const store = await create();
        const { checkoutChat, searchError, partsWithError, bare } = filterFixture();
        await store.write([checkoutChat, searchError, partsWithError, bare]);
        // gpt-4o-mini: 12 at $0.15 and 3 at $0.60 per million = $0.0000036.
        expect(partsWithError.cost?.total).toBeCloseTo(0.0000036, 12);
        const ids = async (filter: ListFilter) => (await store.list(filter)).items.map((item) => item.id);
        expect(await ids({ minCost: 0 })).toEqual([partsWithError.id, checkoutChat.id]);
        expect(await ids({ minCost: 0.00001 })).toEqual([checkoutChat.id]);
        expect(await ids({ maxCost: 0.00001 })).toEqual([partsWithError.id]);
        expect(await ids({ minCost: 0.00006, maxCost: 0.00006 })).toEqual([checkoutChat.id]);
        expect(await ids({ minCost: 1 })).toEqual([]);
        await expect(store.list({ minCost: -1 })).rejects.toThrow(/minCost must be a number of USD/);
      });

      it('keeps the cost through a JSON Lines export and import', async () => {
        const store = await create();
        const { checkoutChat, bare } = filterFixture();
        await store.write([checkoutChat, bare]);
        const { text } = await exportToString(store);
        const other = await create();
        await other.importJsonl(Readable.from([text]));
        expect((await other.get(checkoutChat.id))?.cost).toEqual(checkoutChat.cost);
        expect((await other.get(bare.id))?.cost).toBeNull();
      });
    });

    describe('pagination', () => {
      it('pages through every record once, newest first, including records sharing a start time', async () => {
        const store = await create();
        // Groups of 7 records share a start time, so the id decides their order within a page and across pages.
        const records = manyRecords(137, 1, (index) => Math.floor(index / 7) * 1000);
        await store.write(records);
        const seen: GenerationRecord[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ limit: 10, cursor });
          expect(page.items.length).toBeLessThanOrEqual(10);
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor);
        expect(pages).toBe(14);
        expect(seen.map((record) => record.id)).toEqual(newestFirst(records).map((record) => record.id));
        expect(new Set(seen.map((record) => record.id)).size).toBe(137);
      });

      it('pages through a filtered list without gaps', async () => {
        const store = await create();
        const records = manyRecords(60, 1, (index) => Math.floor(index / 4) * 1000);
        await store.write(records);
        const tagged = records.filter((record) => (record.generation.tags as string[]).includes('batch-1'));
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ tag: 'batch-1', limit: 3, cursor });
          seen.push(...page.items.map((record) => record.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(newestFirst(tagged).map((record) => record.id));
      });

      it('returns 50 by default, at most 500, and no cursor on the last page', async () => {
        const store = await create();
        await store.write(manyRecords(520));
        const first = await store.list();
        expect(first.items).toHaveLength(50);
        expect(first.nextCursor).not.toBeNull();
        const capped = await store.list({ limit: 10_000 });
        expect(capped.items).toHaveLength(500);
        const rest = await store.list({ limit: 500, cursor: capped.nextCursor ?? undefined });
        expect(rest.items).toHaveLength(20);
        expect(rest.nextCursor).toBeNull();
        const exact = await store.list({ limit: 20, cursor: capped.nextCursor ?? undefined });
        expect(exact.nextCursor).toBeNull();
      });
    });

    describe('sort', () => {
      /** 60 records, 5 to a start time; costs 0, 0.001 and 0.1 + 0.2 (not exact in binary) repeat, every 4th has none. */
      const costed = (): GenerationRecord[] =>
        manyRecords(60, 1, (index) => Math.floor(index / 5) * 1000).map((record, index) => {
          const total = [0, 0.001, 0.1 + 0.2][index % 3];
          record.cost = index % 4 === 3 ? null : { input: null, output: null, total, currency: 'USD', source: 'span' };
          return record;
        });
      /** Costed records by cost (equal costs newest first), then those without a cost, newest first. */
      const byCost = (records: readonly GenerationRecord[], direction: 1 | -1): string[] => {
        const priced = newestFirst(records.filter((record) => record.cost));
        priced.sort((a, b) => direction * ((a.cost?.total ?? 0) - (b.cost?.total ?? 0)));
        return [...priced, ...newestFirst(records.filter((record) => !record.cost))].map((record) => record.id);
      };
      const pageAll = async (store: PlaygroundStore, filter: ListFilter, limit: number): Promise<string[]> => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ ...filter, limit, cursor });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items.map((record) => record.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return seen;
      };

      it('pages by cost, highest or lowest first, ties newest first, records without a cost last, none twice or missing', async () => {
        const store = await create();
        const records = costed();
        await store.write(records);
        // 45 records have a cost: a page of 45 ends exactly on the last of them, one of 7 straddles the boundary.
        for (const limit of [1, 7, 45]) {
          expect(await pageAll(store, { sort: 'cost_desc' }, limit)).toEqual(byCost(records, -1));
          expect(await pageAll(store, { sort: 'cost_asc' }, limit)).toEqual(byCost(records, 1));
        }
        expect(await pageAll(store, { sort: 'newest' }, 7)).toEqual(newestFirst(records).map((record) => record.id));
        expect(await pageAll(store, {}, 7)).toEqual(newestFirst(records).map((record) => record.id));
      });

      it('sorts a filtered list by cost, the cost bounds leaving out records without a cost', async () => {
        const store = await create();
        const records = costed();
        await store.write(records);
        const tagged = records.filter((record) => (record.generation.tags as string[]).includes('batch-1'));
        expect(await pageAll(store, { tag: 'batch-1', sort: 'cost_desc' }, 4)).toEqual(byCost(tagged, -1));
        const bounded = records.filter((record) => record.cost && record.cost.total >= 0.001);
        expect(await pageAll(store, { minCost: 0.001, sort: 'cost_asc' }, 4)).toEqual(byCost(bounded, 1));
      });

      /**
       * 60 records, 5 to a start time: durations 0.5, 1.25 and 3 s repeat (every 4th has none, every 7th says "slow",
       * which is no number), token counts 10, 200 and 3000 repeat on another cycle (every 5th has no total); the 20
       * newest mention "banana".
       */
      const measured = (): GenerationRecord[] =>
        manyRecords(60, 1, (index) => Math.floor(index / 5) * 1000).map((record, index) => {
          const duration = index % 4 === 3 ? null : index % 7 === 6 ? 'slow' : [0.5, 1.25, 3][index % 3];
          const tokenCount = index % 5 === 4 ? null : [10, 200, 3000][index % 2 === 0 ? index % 3 : (index + 1) % 3];
          // Every 5th has no total: its input and output (12 + 3) count, except every 10th, which has none of them.
          const counts = index % 10 === 9 ? { inputTokenCount: null, outputTokenCount: null } : {};
          // Index 2 holds NUL: PostgreSQL cannot read its JSON, so in both stores it has neither value.
          const content = index >= 40 ? 'Say banana' : index === 2 ? 'Say \u0000 hello' : 'Say hello';
          record.generation = { ...record.generation, duration, tokenCount, ...counts, messages: [{ role: 'user', content }] };
          return record;
        });
      const numberOf = (record: GenerationRecord, key: 'duration' | 'tokenCount'): number | undefined => {
        if (JSON.stringify(record.generation).includes('\\u0000')) return undefined;
        const value = record.generation[key];
        if (typeof value === 'number') return value;
        const { inputTokenCount: input, outputTokenCount: output } = record.generation;
        // Without a total, the tokens are input plus output.
        return key === 'tokenCount' && typeof input === 'number' && typeof output === 'number' ? input + output : undefined;
      };
      /** Records with the value by it (equal values newest first), then those without it, newest first. */
      const byValue = (records: readonly GenerationRecord[], key: 'duration' | 'tokenCount', direction: 1 | -1): string[] => {
        const valued = newestFirst(records.filter((record) => numberOf(record, key) !== undefined));
        valued.sort((a, b) => direction * ((numberOf(a, key) ?? 0) - (numberOf(b, key) ?? 0)));
        return [...valued, ...newestFirst(records.filter((record) => numberOf(record, key) === undefined))].map((record) => record.id);
      };

      it('pages by duration and tokens, either way, ties newest first, records without the value last, none twice or missing', async () => {
        const store = await create();
        const records = measured();
        await store.write(records);
        for (const limit of [1, 7, 60]) {
          expect(await pageAll(store, { sort: 'duration_desc' }, limit)).toEqual(byValue(records, 'duration', -1));
          expect(await pageAll(store, { sort: 'duration_asc' }, limit)).toEqual(byValue(records, 'duration', 1));
          expect(await pageAll(store, { sort: 'tokens_desc' }, limit)).toEqual(byValue(records, 'tokenCount', -1));
          expect(await pageAll(store, { sort: 'tokens_asc' }, limit)).toEqual(byValue(records, 'tokenCount', 1));
        }
      });

      it('sorts a filtered or searched list by duration and tokens', async () => {
        const store = await create();
        const records = measured();
        await store.write(records);
        await (store as Partial<IndexedStore>).indexesBuilt?.();
        const tagged = records.filter((record) => (record.generation.tags as string[]).includes('batch-2'));
        expect(await pageAll(store, { tag: 'batch-2', sort: 'duration_desc' }, 4)).toEqual(byValue(tagged, 'duration', -1));
        expect(await pageAll(store, { tag: 'batch-2', sort: 'tokens_asc' }, 4)).toEqual(byValue(tagged, 'tokenCount', 1));
        const banana = records.slice(40);
        expect(await pageAll(store, { q: 'banana', sort: 'tokens_desc' }, 3)).toEqual(byValue(banana, 'tokenCount', -1));
        expect(await pageAll(store, { q: 'BANANA', sort: 'duration_asc' }, 3)).toEqual(byValue(banana, 'duration', 1));
      });

      it('keeps duration and token cursors to their own order', async () => {
        const store = await create();
        await store.write(measured());
        const longest = (await store.list({ limit: 2, sort: 'duration_desc' })).nextCursor ?? undefined;
        const fewest = (await store.list({ limit: 2, sort: 'tokens_asc' })).nextCursor ?? undefined;
        expect(longest && fewest).toBeTruthy();
        await expect(store.list({ sort: 'duration_asc', cursor: longest })).rejects.toThrow(
          /cursor continues the duration_desc order, not duration_asc \(pass nextCursor/,
        );
        await expect(store.list({ sort: 'cost_asc', cursor: fewest })).rejects.toThrow(
          /cursor continues the tokens_asc order, not cost_asc/,
        );
        await expect(store.list({ sort: 'tokens_asc', cursor: longest })).rejects.toThrow(InvalidListFilterError);
      });

      it('refuses a cursor from another order, and an unknown sort, with one clear error', async () => {
        const store = await create();
        await store.write(costed());
        const newest = (await store.list({ limit: 2 })).nextCursor ?? undefined;
        const highest = (await store.list({ limit: 2, sort: 'cost_desc' })).nextCursor ?? undefined;
        // Past the costed records: the cursor of a record without a cost.
        const unpriced = (await store.list({ limit: 50, sort: 'cost_asc' })).nextCursor ?? undefined;
        expect([newest, highest, unpriced].every(Boolean)).toBe(true);
        const refused = /cursor continues the (newest|cost_desc|cost_asc) order, not \w+ \(pass nextCursor/;
        await expect(store.list({ sort: 'cost_desc', cursor: newest })).rejects.toThrow(InvalidListFilterError);
        await expect(store.list({ sort: 'cost_desc', cursor: newest })).rejects.toThrow(refused);
        await expect(store.list({ sort: 'cost_asc', cursor: highest })).rejects.toThrow(refused);
        await expect(store.list({ cursor: highest })).rejects.toThrow(refused);
        await expect(store.list({ sort: 'cost_desc', cursor: unpriced })).rejects.toThrow(refused);
        await expect(store.list({ sort: 'cheapest' as 'cost_asc' })).rejects.toThrow(
          /sort must be one of newest, cost_desc, cost_asc, duration_desc, duration_asc, tokens_desc, tokens_asc/,
        );
      });
    });

    describe('JSON Lines export and import', () => {
      it('exports every record, one JSON per line, and imports them into another store unchanged', async () => {
        const source = await create();
        const unique = [...manyRecords(1200, 10), ...Object.values(filterFixture())];
        await source.write(unique);
        const { text, count } = await exportToString(source);
        const lines = text.split('\n');
        expect(lines.pop()).toBe('');
        expect(count).toBe(unique.length);
        expect(lines).toHaveLength(unique.length);
        expect(lines.map((line) => (JSON.parse(line) as GenerationRecord).id).sort()).toEqual(unique.map((record) => record.id).sort());

        const target = await create();
        expect(await target.importJsonl(Readable.from([text]))).toEqual({ inserted: unique.length, duplicates: 0 });
        expect(await collectAll(target)).toEqual(await collectAll(source));
        expect(await target.importJsonl(Readable.from([text]))).toEqual({ inserted: 0, duplicates: unique.length });
        expect((await exportToString(target)).text).toBe(text);
      });

      it('waits for a slow output to drain instead of buffering the whole store', async () => {
        const store = await create();
        await store.write(manyRecords(1500));
        let maxBuffered = 0;
        let received = 0;
        // The consumer takes the chunk it holds only while the store waits for 'drain' (or once the export is over):
        // a store that kept writing regardless would pile its pages up in the stream.
        let held: (() => void) | undefined;
        let exported = false;
        const takeLater = () =>
          setImmediate(() => {
            if (!held || (slow.listenerCount('drain') === 0 && !exported)) return;
            const callback = held;
            held = undefined;
            callback();
          });
        const slow = new Writable({
          highWaterMark: 16 * 1024,
          write(chunk: Buffer, _encoding, callback) {
            maxBuffered = Math.max(maxBuffered, this.writableLength);
            received += chunk.length;
            held = callback;
            takeLater();
          },
        });
        slow.on('newListener', (event) => {
          if (event === 'drain') takeLater();
        });
        const count = await store.exportJsonl(slow);
        exported = true;
        takeLater();
        await new Promise<void>((resolve) => slow.end(resolve));
        expect(count).toBe(1500);
        // Three export pages; with backpressure at most one is waiting in the stream at any time.
        expect(maxBuffered).toBeLessThan(received / 2);
      });

      it('imports in batches, reading the input only as fast as it writes', async () => {
        const store = await create();
        const { text } = await (async () => {
          const source = await create();
          await source.write(manyRecords(1300));
          return exportToString(source);
        })();
        const lines = text.trimEnd().split('\n');
        let produced = 0;
        const producedAtWrite: number[] = [];
        const batchSizes: number[] = [];
        const write = store.write.bind(store);
        store.write = async (records: readonly GenerationRecord[]): Promise<WriteResult> => {
          producedAtWrite.push(produced);
          batchSizes.push(records.length);
          return write(records);
        };
        const input = Readable.from(
          (function* () {
            for (const line of lines) {
              produced += 1;
              yield `${line}\n`;
            }
          })(),
        );
        expect(await store.importJsonl(input)).toEqual({ inserted: 1300, duplicates: 0 });
        expect(batchSizes).toEqual([500, 500, 300]);
        // The first batch is written long before the input is exhausted.
        expect(producedAtWrite[0]).toBeLessThan(700);
      });

      it('stops at a bad line and names it', async () => {
        const store = await create();
        const good = JSON.stringify(makeRecord({ span: 1 }));
        await expect(store.importJsonl(Readable.from([`${good}\n{not json\n`]))).rejects.toThrow(/line 2: not valid JSON/);
        const missingTrace: Record<string, unknown> = { ...makeRecord({ span: 2 }) };
        delete missingTrace.traceId;
        await expect(store.importJsonl(Readable.from([`${good}\n\n${JSON.stringify(missingTrace)}\n`]))).rejects.toThrow(
          InvalidRecordError,
        );
        await expect(store.importJsonl(Readable.from([`\n\n${JSON.stringify(missingTrace)}`]))).rejects.toThrow(/line 3: .*traceId/);
        const badGeneration = { ...makeRecord({ span: 3 }), generation: { type: 'SPEECH' } };
        await expect(store.importJsonl(Readable.from([JSON.stringify(badGeneration)]))).rejects.toThrow(/line 1: .*generation/);
      });
    });

    describe('ingest: kept spans, log records, regenerated generations', () => {
      it('keeps the normalized spans given with records, bigint times and attribute values intact', async () => {
        const store = await create();
        const spans = [1, 2, 3].map((span) =>
          normalizedSpan({
            span,
            attributes: { 'app.big': 9_007_199_254_740_993n, 'app.nested': { a: [1, 'two'] }, 'app.bytes': new Uint8Array([1, 2, 255]) },
          }),
        );
        const records = [1, 2, 3].map((span) => makeRecord({ span }));
        const kept = new Map(spans.slice(0, 2).map((span) => [`${span.traceId}:${span.spanId}`, span]));
        expect(await store.writeWithSpans(records, kept)).toEqual({ inserted: 3, duplicates: 0 });
        expect(await store.writeWithSpans(records, kept)).toEqual({ inserted: 0, duplicates: 3 });
        const found = await store.spansFor(spans.map((span) => ({ traceId: span.traceId, spanId: span.spanId })));
        expect([...found.keys()].sort()).toEqual([...kept.keys()].sort());
        for (const [key, span] of kept) expect(found.get(key)).toEqual(span);
        expect(await store.get(records[2].id)).toEqual(records[2]);
      });

      it('keeps log records once each, oldest first, whether or not their span arrived yet', async () => {
        const store = await create();
        const a2 = logRecord({ span: 1, atNs: 2_000_000_000_000_000_002n, text: 'second' });
        const a1 = logRecord({ span: 1, atNs: 2_000_000_000_000_000_001n, text: 'first' });
        const b = logRecord({ span: 2, atNs: 5n, text: 'before its span' });
        const orphan = logRecord({ atNs: 1n, text: 'no span' });
        await store.writeLogs([a2, b, orphan]);
        await store.writeLogs([a1, a2, b]);
        await store.write([makeRecord({ span: 1 })]);
        const keys = [1, 2, 3].map((span) => ({ traceId: traceIdOf(span), spanId: spanIdOf(span) }));
        const logs = await store.logsFor(keys);
        expect(logs.get(`${traceIdOf(1)}:${spanIdOf(1)}`)).toEqual([a1, a2]);
        expect(logs.get(`${traceIdOf(2)}:${spanIdOf(2)}`)).toEqual([b]);
        expect(logs.has(`${traceIdOf(3)}:${spanIdOf(3)}`)).toBe(false);
        expect(await store.logsFor([])).toEqual(new Map());
      });

      it('replaces generation, source and warnings of stored records, and the filters follow', async () => {
        const store = await create();
        const plain = makeRecord({ span: 1, generation: chatData({ model: 'old-model', tags: ['old'] }) });
        const failed = makeRecord({ span: 2, statusCode: 2, generation: chatData({ model: 'old-model' }) });
        await store.write([plain, failed]);
        const regenerated: GenerationRecord = {
          ...plain,
          source: 'genai-events',
          warnings: ['late log record'],
          generation: chatData({
            model: 'new-model',
            tags: ['new'],
            error: 'content filter',
            messages: [{ role: 'user', content: 'joined from a log record' }],
          }),
        };
        const failedRegenerated: GenerationRecord = { ...failed, generation: chatData({ model: 'new-model' }) };
        const unknown = makeRecord({ span: 99 });
        await store.updateGenerations([regenerated, failedRegenerated, unknown]);

        expect(await store.get(plain.id)).toEqual(regenerated);
        expect(await store.get(unknown.id)).toBeUndefined();
        expect((await store.list({ model: 'old-model' })).items).toEqual([]);
        expect((await store.list({ model: 'new-model' })).items).toHaveLength(2);
        expect((await store.list({ tag: 'new' })).items.map((item) => item.id)).toEqual([plain.id]);
        expect((await store.list({ q: 'from a log' })).items.map((item) => item.id)).toEqual([plain.id]);
        expect((await store.list({ source: 'genai-events' })).items.map((item) => item.id)).toEqual([plain.id]);
        // The error status still counts once the generation itself carries no error.
        expect((await store.list({ errorsOnly: true })).items.map((item) => item.id).sort()).toEqual([plain.id, failed.id].sort());
      });
    });

    describe('experiments', () => {
      const definition = (id: string, createdTime: string, sourceIds: string[]): ExperimentDefinition => ({
        id,
        name: `experiment ${id}`,
        createdTime,
        source: { ids: sourceIds },
        sourceIds,
        variants: [
          { provider: 'a', model: 'gpt-4o-mini', settings: { temperature: 0 } },
          { provider: 'b', model: 'gpt-4o', settings: {}, responseFormat: { type: 'object' }, template: 'Say {word}' },
        ],
      });

      it('stores an experiment with its definition, status and progress, and lists them newest first', async () => {
        const store = await create();
        const records = manyRecords(3);
        await store.write(records);
        const ids = records.map((record) => record.id);
        const older = definition('exp-1', '2026-12-01T10:00:00.000Z', ids);
        const newer = definition('exp-2', '2026-12-02T10:00:00.000Z', ids.slice(0, 1));
        await store.createExperiment(older, 'running');
        await store.createExperiment(newer, 'pending');
        expect(await store.getExperiment('exp-1')).toEqual({
          ...older,
          status: 'running',
          error: null,
          progress: { total: 6, done: 0, errors: 0 },
        });
        expect(await store.getExperiment('nope')).toBeUndefined();
        expect((await store.listExperiments()).map((experiment) => experiment.id)).toEqual(['exp-2', 'exp-1']);
        await store.setExperimentStatus('exp-1', 'failed', 'the store went away\u0000');
        expect(await store.getExperiment('exp-1')).toMatchObject({ status: 'failed', error: 'the store went away\u0000' });
        await store.setExperimentStatus('exp-1', 'running');
        expect(await store.getExperiment('exp-1')).toMatchObject({ status: 'running', error: null });
      });

      it('stores each result once per (experiment, source, variant), and counts progress and errors from them', async () => {
        const store = await create();
        const records = manyRecords(2);
        await store.write(records);
        const [first, second] = records.map((record) => record.id);
        await store.createExperiment(definition('exp', '2026-12-01T10:00:00.000Z', [first, second]), 'running');
        const result = { experimentId: 'exp', sourceId: first, variant: 0, generationId: second, error: null };
        expect(await store.writeExperimentResult(result)).toBe(true);
        expect(await store.writeExperimentResult({ ...result, generationId: 'other' })).toBe(false);
        expect(await store.writeExperimentResult({ ...result, variant: 1, generationId: null, error: 'no model' })).toBe(true);
        expect(await store.writeExperimentResult({ ...result, experimentId: 'other-exp' })).toBe(true);
        const stored = await store.experimentResults('exp');
        expect(stored.sort((a, b) => a.variant - b.variant)).toEqual([
          result,
          { ...result, variant: 1, generationId: null, error: 'no model' },
        ]);
        expect((await store.getExperiment('exp'))?.progress).toEqual({ total: 4, done: 2, errors: 1 });
        expect((await store.listExperiments())[0].progress).toEqual({ total: 4, done: 2, errors: 1 });
      });

      it('reads several generations by id at once, leaving out unknown ids', async () => {
        const store = await create();
        const records = manyRecords(3);
        await store.write(records);
        const found = await store.getMany([records[0].id, records[2].id, 'unknown']);
        expect([...found.keys()].sort()).toEqual([records[0].id, records[2].id].sort());
        expect(found.get(records[2].id)).toEqual(records[2]);
        expect((await store.getMany([])).size).toBe(0);
      });
    });

    describe('close', () => {
      it('rejects calls after close with a clear error, and closing twice is fine', async () => {
        const store = await create();
        await store.write(manyRecords(1));
        await store.close();
        await store.close();
        await expect(store.list()).rejects.toThrow(StoreClosedError);
        await expect(store.write(manyRecords(1))).rejects.toThrow(/is closed/);
      });
    });
  });
}
