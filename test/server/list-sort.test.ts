import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationItem, GenerationList } from '../../src/server/index.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { seedServer, tableSeeds } from '../support/playground-seeds.js';
import { getJson } from '../support/sender.js';

/** The list's duration and token orders over real HTTP, against `genspan serve` on a SQLite file. */

let dir: string;
let server: CliServer;
const SEEDS = tableSeeds(23, Date.parse('2026-05-01T00:00:00Z') / 1000);

beforeAll(async () => {
  dir = tempDir();
  server = await startCliServer(['--db', join(dir, 'sort.db')]);
  await seedServer(server.url, SEEDS);
});

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

async function pages(query: string): Promise<GenerationItem[]> {
  const items: GenerationItem[] = [];
  let cursor: string | null = null;
  do {
    const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await getJson<GenerationList>(`${server.url}/api/generations?${query}&limit=4${after}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/** The value an order sorts by: the duration, or the token count (its total, else input plus output). */
const sortedBy = (item: GenerationItem, key: 'duration' | 'tokenCount'): number | null => {
  const { [key]: value, inputTokenCount: input, outputTokenCount: output } = item.generation;
  if (typeof value === 'number') return value;
  return key === 'tokenCount' && typeof input === 'number' && typeof output === 'number' ? input + output : null;
};

describe('genspan serve: the list sorted by duration and by tokens', () => {
  for (const [name, key] of [
    ['duration', 'duration'],
    ['tokens', 'tokenCount'],
  ] as const) {
    it(`pages by ${name}, both ways, ties newest first, records without it last, each record once`, async () => {
      const newest = await pages('sort=newest');
      expect(newest).toHaveLength(SEEDS.length);
      for (const direction of ['desc', 'asc'] as const) {
        const sorted = await pages(`sort=${name}_${direction}`);
        expect(sorted.map((item) => item.id).sort()).toEqual(newest.map((item) => item.id).sort());
        const sign = direction === 'desc' ? -1 : 1;
        const rank = (item: GenerationItem) => newest.findIndex((each) => each.id === item.id);
        const expected = [...newest].sort((a, b) => {
          const [x, y] = [sortedBy(a, key), sortedBy(b, key)];
          if (x === null || y === null) return x === y ? rank(a) - rank(b) : x === null ? 1 : -1;
          return x !== y ? sign * (x - y) : rank(a) - rank(b);
        });
        expect(sorted.map((item) => item.id)).toEqual(expected.map((item) => item.id));
      }
      const values = newest.map((item) => sortedBy(item, key));
      expect(new Set(values).size).toBeGreaterThan(3);
      if (key === 'tokenCount') expect(values).toContain(null);
    });
  }

  it('answers an unknown sort, or a cursor of another order, with 400 and one clear message', async () => {
    const bad = await getJson<{ message: string }>(`${server.url}/api/generations?sort=slowest`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'query parameter "sort" must be one of newest, cost_desc, cost_asc, duration_desc, duration_asc, tokens_desc, tokens_asc',
    );
    const longest = await getJson<GenerationList>(`${server.url}/api/generations?sort=duration_desc&limit=1`);
    const cursor = encodeURIComponent(longest.body.nextCursor ?? '');
    const mixed = await getJson<{ message: string }>(`${server.url}/api/generations?sort=tokens_desc&cursor=${cursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.message).toMatch(/cursor continues the duration_desc order, not tokens_desc/);
  });
});
