import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LARGE_STORE_PROBES, largeStore } from '../../bench/large-store.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-large-store-'));
const GENERATIONS = 1_000;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function withStore<T>(path: string, read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('the benchmarks’ large store', () => {
  it('builds the asked number of generations through SqliteStore, each under a run step with a tool step beside it', async () => {
    const built = await largeStore({ generations: GENERATIONS, folder });
    expect(built).toMatchObject({ generations: GENERATIONS, built: true });
    await withStore(built?.path as string, async (store) => {
      const page = await store.list({ limit: 5 });
      expect(page.items).toHaveLength(5);
      expect(JSON.stringify(page.items[0].generation).length).toBeGreaterThan(2_000);
      const trace = await store.getTrace(page.items[0].traceId);
      expect(trace?.steps.map((step) => step.type).sort()).toEqual(['llm', 'run', 'tool']);
      expect(trace?.steps[0].type).toBe('run');
      expect(trace?.steps.find((step) => step.type === 'llm')?.generationId).toBe(page.items[0].id);
    });
  });

  it('holds the probes: a trace of 500 steps, a thread of 200 traces, a word in one generation, a rare tag', async () => {
    const built = await largeStore({ generations: GENERATIONS, folder });
    await withStore(built?.path as string, async (store) => {
      expect((await store.getTrace(LARGE_STORE_PROBES.bigTraceId))?.steps).toHaveLength(LARGE_STORE_PROBES.bigTraceSteps);
      expect((await store.getThread(LARGE_STORE_PROBES.longThreadId))?.traces).toHaveLength(LARGE_STORE_PROBES.longThreadTraces);
      expect((await store.list({ q: LARGE_STORE_PROBES.uniqueWord })).items).toHaveLength(1);
      expect((await store.list({ q: LARGE_STORE_PROBES.absentWord })).items).toHaveLength(0);
      expect((await store.list({ tag: LARGE_STORE_PROBES.rareTag })).items).toHaveLength(1);
    });
  });

  it('reuses the cached store when it matches, and rebuilds it when its manifest does not', async () => {
    const first = await largeStore({ generations: GENERATIONS, folder });
    const modified = statSync(first?.path as string).mtimeMs;
    const again = await largeStore({ generations: GENERATIONS, folder });
    expect(again).toMatchObject({ built: false, path: first?.path });
    expect(statSync(first?.path as string).mtimeMs).toBe(modified);

    writeFileSync(join(folder, `large-${GENERATIONS}-s11.json`), JSON.stringify({ builder: 0 }));
    expect(await largeStore({ generations: GENERATIONS, folder, build: false })).toBeUndefined();
    expect(await largeStore({ generations: GENERATIONS, folder })).toMatchObject({ built: true });
  });

  it('is the same store from the same seed', async () => {
    const other = mkdtempSync(join(tmpdir(), 'genspan-large-store-'));
    try {
      const ids = async (path: string) => withStore(path, async (store) => (await store.list({ limit: 50 })).items.map((item) => item.id));
      const mine = await largeStore({ generations: GENERATIONS, folder });
      const theirs = await largeStore({ generations: GENERATIONS, folder: other });
      expect(await ids(theirs?.path as string)).toEqual(await ids(mine?.path as string));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
