import { describe, expect, it } from 'vitest';
import type { ListFilter } from '../../src/generation/filter.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import { SEARCH_PROBE_ROWS } from '../../src/store/filter-sql.js';
import { searchText } from '../../src/store/search-text.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { chatData, completionData, makeRecord, manyRecords, T0_MS } from './fixtures.js';

/** A store whose background index build can be awaited (both stores). */
export type IndexedStore = PlaygroundStore & { indexesBuilt(): Promise<void> };

export interface SearchStoreOptions {
  /** Lowers the bound past which `count` estimates. */
  exactCountBound?: number;
}

export interface SearchHarness {
  create(options?: SearchStoreOptions): Promise<IndexedStore>;
  /**
   * A store of the previous schema (5) holding what `fill` wrote, opened again by this version: its migration has
   * run, and its index build has started (or, in SQLite, is still going, a row per chunk).
   */
  migrated(fill: (store: PlaygroundStore) => Promise<void>): Promise<IndexedStore>;
}

/** Five records spelling model, provider and service in different cases, in three scripts, with the characters LIKE reads. */
function searchFixture(): GenerationRecord[] {
  const chat = (span: number, service: string, model: string, provider: string, tags: string[], text: string) =>
    makeRecord({
      span,
      atMs: span * 1000,
      service,
      generation: chatData({ model, provider, tags, messages: [{ role: 'user', content: text }], messageCompletion: null }),
    });
  return [
    chat(1, 'Checkout-API', 'GPT-4o-Mini', 'OpenAI', ['prod', '日本'], '東京の天気は晴れです'),
    chat(2, 'checkout-api', 'gpt-4o-mini', 'openai', ['prod'], 'Привет, мир! Как дела?'),
    chat(3, 'search', 'claude-3', 'anthropic', ['beta'], 'Launch 🚀🚀 rocket 🎉 ÉTÉ'),
    makeRecord({
      span: 4,
      atMs: 4000,
      service: 'search',
      generation: completionData({
        model: 'claude-3',
        provider: 'Anthropic',
        prompt: `100% of a_b said "quoted" and back\\slash, it's 'single'`,
        completion: 'ab',
      }),
    }),
    chat(5, 'batch', 'gpt-4o', 'openai', [], 'plain english text about the weather'),
  ];
}

/** Search, tag, case-insensitive, facet and count behaviour both stores share; run from `storeContract`. */
export function searchContract(harness: SearchHarness, opened: PlaygroundStore[]): void {
  const ids = (page: { items: GenerationRecord[] }) => page.items.map((item) => item.id);
  /** What a `q` must find: the records whose search text holds it, lowercased, newest first. */
  const expected = (records: GenerationRecord[], q: string) =>
    records
      .filter((record) => searchText(record.generation as unknown as Record<string, unknown>).includes(q.toLowerCase()))
      .map((record) => record.id)
      .reverse();

  async function indexed(options?: SearchStoreOptions) {
    const store = await harness.create(options);
    opened.push(store);
    const records = searchFixture();
    await store.write(records);
    await store.indexesBuilt();
    return { store, records };
  }

  const queries = [
    // Three characters and more: the index.
    '東京の',
    '天気は晴れ',
    'ПРИВЕТ, МИР',
    'как дела?',
    'rocket 🎉',
    'été',
    '100%',
    'a_b',
    '"quoted"',
    "it's 'single'",
    'back\\slash',
    'the weather',
    'nowhere at all',
    '%%%',
    '___',
    // Shorter: the bounded scan.
    '天気',
    'мир',
    '🚀🚀',
    '🎉',
    'ab',
    'a',
    '%',
    '_',
    '"',
    "'",
    '\\',
    'zz',
  ];

  describe('search and filters at scale', () => {
    it('searches as a case-insensitive substring in any script, emoji included, whatever the length of q', async () => {
      const { store, records } = await indexed();
      for (const q of queries) expect({ q, ids: ids(await store.list({ q })) }).toEqual({ q, ids: expected(records, q) });
      // Every record of the fixture is found by something, and `%`, `_` are not wildcards.
      expect(ids(await store.list({ q: '%' }))).toEqual([records[3].id]);
      expect(ids(await store.list({ q: 'a%b' }))).toEqual([]);
      expect(ids(await store.list({ q: '東京' }))).toEqual([records[0].id]);
    });

    it('combines the search with the tag, time and case-insensitive filters', async () => {
      const { store, records } = await indexed();
      const [tokyo, moscow, rocket, literal] = records;
      expect(ids(await store.list({ q: '東京', tag: '日本' }))).toEqual([tokyo.id]);
      expect(ids(await store.list({ q: 'привет', tag: 'beta' }))).toEqual([]);
      expect(ids(await store.list({ tag: 'prod', model: 'GPT-4O-MINI' }))).toEqual([moscow.id, tokyo.id]);
      expect(ids(await store.list({ q: 'rocket', serviceName: 'SEARCH' }))).toEqual([rocket.id]);
      expect(ids(await store.list({ q: 'a', provider: 'ANTHROPIC' }))).toEqual([literal.id, rocket.id]);
      const from = new Date(T0_MS + 1500).toISOString();
      expect(ids(await store.list({ tag: 'prod', from }))).toEqual([moscow.id]);
      expect(ids(await store.list({ q: 'мир', tag: 'prod', serviceName: 'CHECKOUT-api', provider: 'openai' }))).toEqual([moscow.id]);
    });

    it('matches model, provider and service in any case, and a tag only whole', async () => {
      const { store, records } = await indexed();
      const [tokyo, moscow, rocket, literal] = records;
      expect(ids(await store.list({ model: 'gpt-4o-mini' }))).toEqual([moscow.id, tokyo.id]);
      expect(ids(await store.list({ provider: 'anthropic' }))).toEqual([literal.id, rocket.id]);
      expect(ids(await store.list({ serviceName: 'Checkout-Api' }))).toEqual([moscow.id, tokyo.id]);
      expect(ids(await store.list({ model: 'gpt-4o' }))).toEqual([records[4].id]);
      expect(ids(await store.list({ tag: '日本' }))).toEqual([tokyo.id]);
      expect(ids(await store.list({ tag: 'PROD' }))).toEqual([]);
      expect(ids(await store.list({ tag: 'pro' }))).toEqual([]);
    });

    it('keeps the search and tag indexes in step with updated records', async () => {
      const { store, records } = await indexed();
      const tokyo = records[0];
      const changed: GenerationRecord = {
        ...tokyo,
        generation: chatData({ tags: ['rewritten'], messages: [{ role: 'user', content: 'Новый текст' }], messageCompletion: null }),
      };
      await store.updateGenerations([changed]);
      expect(ids(await store.list({ q: '東京の' }))).toEqual([]);
      expect(ids(await store.list({ tag: '日本' }))).toEqual([]);
      expect(ids(await store.list({ q: 'новый т' }))).toEqual([tokyo.id]);
      expect(ids(await store.list({ tag: 'rewritten' }))).toEqual([tokyo.id]);
      expect(ids(await store.list({ tag: 'prod' }))).toEqual([records[1].id]);
    });

    it('answers facets with counts under the other filters, most frequent first', async () => {
      const { store } = await indexed();
      expect(await store.facets('model')).toEqual({
        field: 'model',
        values: [
          { value: 'claude-3', count: 2 },
          { value: 'GPT-4o-Mini', count: 1 },
          { value: 'gpt-4o', count: 1 },
          { value: 'gpt-4o-mini', count: 1 },
        ].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
        exact: true,
      });
      expect(await store.facets('tag', { serviceName: 'CHECKOUT-API' })).toEqual({
        field: 'tag',
        values: [
          { value: 'prod', count: 2 },
          { value: '日本', count: 1 },
        ],
        exact: true,
      });
      // The facet's own filter is left out, so the other values show; the rest still applies.
      const providers = await store.facets('provider', { provider: 'openai' });
      expect(providers.values.map((value) => value.value).sort()).toEqual(['Anthropic', 'OpenAI', 'anthropic', 'openai'].sort());
      expect(
        (await store.facets('provider', { provider: 'openai', serviceName: 'search' })).values.map((value) => value.value).sort(),
      ).toEqual(['Anthropic', 'anthropic'].sort());
      expect((await store.facets('service', { q: 'мир' })).values).toEqual([{ value: 'checkout-api', count: 1 }]);
      expect((await store.facets('model', { q: 'nowhere at all' })).values).toEqual([]);
    });

    it('counts exactly up to the bound, and above it answers an estimate marked so', async () => {
      const { store } = await indexed({ exactCountBound: 3 });
      expect(await store.count({ provider: 'ANTHROPIC' })).toEqual({ count: 2, exact: true });
      expect(await store.count({ q: 'мир', cursor: undefined, limit: 1 })).toEqual({ count: 1, exact: true });
      expect(await store.count({ q: 'nowhere at all' })).toEqual({ count: 0, exact: true });
      expect(await store.count({ tag: 'prod' })).toEqual({ count: 2, exact: true });
      const all = await store.count();
      expect(all.exact).toBe(false);
      expect(all.count).toBeGreaterThan(3);
      const unbounded = await harness.create();
      opened.push(unbounded);
      await unbounded.write(searchFixture());
      expect(await unbounded.count()).toEqual({ count: 5, exact: true });
      expect(await unbounded.count({ q: 'a' } satisfies ListFilter)).toEqual({ count: 3, exact: true });
    });

    it('finds a word beyond the newest rows a search looks through first, and pages a common one without gaps', async () => {
      const store = await harness.create();
      opened.push(store);
      const many = manyRecords(SEARCH_PROBE_ROWS + 100, 10);
      const oldest = makeRecord({
        span: 1,
        atMs: -1000,
        generation: chatData({ messages: [{ role: 'user', content: 'the only séance' }] }),
      });
      await store.write([oldest, ...many]);
      await store.indexesBuilt();
      expect(ids(await store.list({ q: 'Séance' }))).toEqual([oldest.id]);
      expect(await store.count({ q: 'séance' })).toEqual({ count: 1, exact: true });
      const newestFirst = [...many].sort((a, b) => b.startTime.localeCompare(a.startTime) || (b.id < a.id ? -1 : 1)).map((r) => r.id);
      const first = await store.list({ q: 'say hello', limit: 3 });
      expect(ids(first)).toEqual(newestFirst.slice(0, 3));
      const second = await store.list({ q: 'say hello', limit: 3, cursor: first.nextCursor ?? undefined });
      expect(ids(second)).toEqual(newestFirst.slice(3, 6));
      // A word in every row: counted by a scan that stops at the bound, the same count as the index's.
      expect(await store.count({ q: 'say hello' })).toEqual({ count: many.length, exact: true });
      const costly = await store.list({ q: 'say hello', sort: 'cost_desc', limit: 2 });
      expect(costly.items).toHaveLength(2);
      const third = many.length / 3;
      expect(await store.facets('tag', { q: 'SAY hello' })).toEqual({
        field: 'tag',
        values: ['batch-0', 'batch-1', 'batch-2'].map((value) => ({ value, count: third })),
        exact: true,
      });
      expect((await store.facets('tag', { q: 'séance' })).values).toEqual([]);
    });

    it('migrates a store of schema 5: search, tags and counts are right during the index build and after it', async () => {
      const older = searchFixture();
      const store = await harness.migrated(async (previous) => {
        await previous.write(older);
      });
      opened.push(store);
      const check = async (records: GenerationRecord[]) => {
        for (const q of ['東京の', 'как дела?', '🚀🚀', '%', 'the weather']) {
          expect({ q, ids: ids(await store.list({ q })) }).toEqual({ q, ids: expected(records, q) });
        }
        expect((await store.list({ tag: 'prod', model: 'gpt-4o-MINI' })).items).toHaveLength(2);
        expect(await store.count({ q: 'a' })).toEqual({ count: expected(records, 'a').length, exact: true });
      };
      await check(older);
      // Written while the build goes on: indexed by the triggers, never twice.
      const newer = makeRecord({
        span: 6,
        atMs: 6000,
        service: 'late',
        generation: chatData({ tags: ['prod'], messages: [{ role: 'user', content: 'Written during the build 東京の' }] }),
      });
      await store.write([newer]);
      await store.updateGenerations([{ ...older[4], generation: chatData({ messages: [{ role: 'user', content: 'the weather now' }] }) }]);
      const all = [...older, newer];
      all[4] = { ...older[4], generation: chatData({ messages: [{ role: 'user', content: 'the weather now' }] }) };
      await check(all);
      await store.indexesBuilt();
      await check(all);
      expect(ids(await store.list({ q: 'weather now' }))).toEqual([older[4].id]);
    });
  });
}
