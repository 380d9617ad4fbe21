import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationItem, GenerationList } from '../../src/server/index.js';
import { type CliServer, runCli, startCliServer, tempDir } from '../support/cli.js';
import { generationsOfTrace, getJson, sendSpans } from '../support/sender.js';

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = tempDir();
  const prices = join(dir, 'prices.json');
  // The sender's steps call `e2e-model`, which genspan has no price for; this file gives it one.
  writeFileSync(prices, JSON.stringify({ takenOn: '2026-12-01', models: { 'e2e-model': { input: 1_000_000, output: 2_000_000 } } }));
  server = await startCliServer(['--db', join(dir, 'cost.db'), '--prices', prices]);
});

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

function generationsOf(traceId: string): Promise<GenerationItem[]> {
  return generationsOfTrace(server.url, traceId);
}

describe('genspan serve --prices: cost in the REST API', () => {
  it("prices a generation by the user's file, in the list and the detail", async () => {
    const sent = await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', label: 'priced' });
    expect(sent.failures).toEqual([]);
    const [item] = await generationsOf(sent.traceId);
    // 3 input tokens at $1 each and 2 output tokens at $2 each.
    expect(item.cost).toEqual({ input: 3, output: 4, total: 7, currency: 'USD', source: 'price-table' });
    expect((await getJson<GenerationItem>(`${server.url}/api/generations/${item.id}`)).body.cost).toEqual(item.cost);
  });

  it("prices a dated OpenAI model by genspan's own table", async () => {
    const sent = await sendSpans({ endpoint: server.url, protocol: 'protobuf', scenario: 'openai', label: 'shipped' });
    expect(sent.failures).toEqual([]);
    const [item] = await generationsOf(sent.traceId);
    expect(item.generation.model).toBe('gpt-4o-mini-2024-07-18');
    // 11 input tokens at $0.15 and 5 output tokens at $0.60 per million.
    expect(item.cost?.source).toBe('price-table');
    expect(item.cost?.total).toBeCloseTo((11 * 0.15 + 5 * 0.6) / 1e6, 15);
  });

  it('filters the list by cost, and answers a bad bound clearly', async () => {
    const expensive = await getJson<GenerationList>(`${server.url}/api/generations?minCost=1&limit=500`);
    expect(expensive.status).toBe(200);
    expect(expensive.body.items.length).toBeGreaterThan(0);
    expect(expensive.body.items.every((item) => (item.cost?.total ?? 0) >= 1)).toBe(true);
    const cheap = await getJson<GenerationList>(`${server.url}/api/generations?maxCost=0.001&limit=500`);
    expect(cheap.body.items.map((item) => item.generation.model)).toContain('gpt-4o-mini-2024-07-18');
    expect(cheap.body.items.every((item) => (item.cost?.total ?? Number.NaN) <= 0.001)).toBe(true);
    const bad = await getJson<{ message: string }>(`${server.url}/api/generations?minCost=cheap`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/"minCost" must be a number of USD, 0 or more/);
  });
});

describe('genspan serve: the list sorted by cost', () => {
  async function pages(query: string): Promise<GenerationItem[]> {
    const items: GenerationItem[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await getJson<GenerationList>(`${server.url}/api/generations?${query}&limit=2${after}`);
      expect(page.status).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }
  /** Costs in list order, a record without a cost as null. */
  const costs = (items: readonly GenerationItem[]) => items.map((item) => item.cost?.total ?? null);

  it('pages by cost, highest or lowest first, records without a cost last, each record once', async () => {
    for (const label of ['sort-a', 'sort-b']) {
      expect((await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', label })).failures).toEqual([]);
      expect((await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'openai', label })).failures).toEqual([]);
    }
    const everything = (await getJson<GenerationList>(`${server.url}/api/generations?limit=500`)).body.items;
    const highest = await pages('sort=cost_desc');
    const lowest = await pages('sort=cost_asc');
    for (const [sorted, direction] of [
      [highest, -1],
      [lowest, 1],
    ] as const) {
      expect(new Set(sorted.map((item) => item.id))).toEqual(new Set(everything.map((item) => item.id)));
      expect(sorted).toHaveLength(everything.length);
      const priced = costs(sorted).filter((cost) => cost !== null);
      expect(costs(sorted)).toEqual([...priced, ...costs(sorted).filter((cost) => cost === null)]);
      expect(priced).toEqual([...priced].sort((a, b) => direction * (a - b)));
    }
    expect(new Set(costs(highest)).size).toBeGreaterThan(1);
  });

  it('answers an unknown sort, or a cursor of another order, with 400 and one clear message', async () => {
    const bad = await getJson<{ message: string }>(`${server.url}/api/generations?sort=cheapest`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'query parameter "sort" must be one of newest, cost_desc, cost_asc, duration_desc, duration_asc, tokens_desc, tokens_asc',
    );
    const newest = await getJson<GenerationList>(`${server.url}/api/generations?limit=1`);
    const cursor = encodeURIComponent(newest.body.nextCursor ?? '');
    const mixed = await getJson<{ message: string }>(`${server.url}/api/generations?sort=cost_desc&cursor=${cursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.message).toMatch(/cursor continues the newest order, not cost_desc/);
  });
});

describe('genspan serve --prices FILE that cannot be used', () => {
  it.each([
    ['missing.json', null, /genspan: cannot read the price file .*missing\.json: no such file/],
    ['broken.json', '{ "models": ', /genspan: the price file .*broken\.json is not JSON/],
    [
      'wrong.json',
      '{ "models": { "m": { "input": "free" } } }',
      /genspan: the price file .*wrong\.json is not a usable price table: models\.m\.input .*; models\.m\.output/,
    ],
  ])('%s: one clear message, a non-zero exit, and no database created', async (name, content, message) => {
    const file = join(dir, name);
    if (content !== null) writeFileSync(file, content);
    const db = join(dir, `never-${name}.db`);
    const result = await runCli(['serve', '--port', '0', '--db', db, '--prices', file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(existsSync(db)).toBe(false);
  });
});

describe('genspan import', () => {
  it('keeps the cost of a record that has one and computes it for a record without one', async () => {
    const { SqliteStore } = await import('../../src/store/sqlite.js');
    const { makeRecord } = await import('../store/fixtures.js');
    const { cost: _dropped, ...older } = makeRecord({ span: 1 });
    const fromSpan = { ...makeRecord({ span: 2 }), cost: { input: null, output: null, total: 0.5, currency: 'USD', source: 'span' } };
    const file = join(dir, 'import.jsonl');
    writeFileSync(file, `${JSON.stringify(older)}\n${JSON.stringify(fromSpan)}\n`);
    const db = join(dir, 'imported.db');
    const result = await runCli(['import', file, '--db', db]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const store = new SqliteStore({ path: db });
    try {
      expect((await store.get(older.id))?.cost).toEqual(makeRecord({ span: 1 }).cost);
      expect((await store.get(fromSpan.id))?.cost).toEqual(fromSpan.cost);
    } finally {
      await store.close();
    }
  });
});
