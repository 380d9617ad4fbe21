import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { RECLAIM_PAGES_PER_STEP, RETENTION_BATCH_ROWS, runRetention } from '../../src/store/retention.js';
import { SQLITE_APPLICATION_ID, SqliteStore } from '../../src/store/sqlite.js';
import { chatData, makeRecord, makeStep, T0_MS, walIndex } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-sqlite-retention-'));
let fileCounter = 0;
const freshPath = () => join(folder, `store-${++fileCounter}.db`);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const HOUR = 3_600_000;

/** 400 traces of ~4 KB of message text each, one per minute from T0: about 2 MB. */
async function fill(store: SqliteStore): Promise<void> {
  const records: GenerationRecord[] = [];
  const steps: StepRecord[] = [];
  for (let trace = 1; trace <= 400; trace++) {
    const content = `${trace} `.repeat(2000);
    const atMs = trace * 60_000;
    records.push(makeRecord({ trace, span: trace, atMs, generation: chatData({ messages: [{ role: 'user', content }] }) }));
    steps.push(makeStep({ trace, span: trace, atMs, type: 'llm', input: content }));
  }
  await store.writeWithSpans(records, new Map(), { steps, threads: [] });
}

/** The file's size once every connection is closed (the last one checkpoints the WAL into it). */
function closedSize(path: string): number {
  return statSync(path).size;
}

/** A numeric pragma of the file as another connection sees it (`auto_vacuum`, `freelist_count`, `page_size`). */
function filePragma(path: string, name: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma(name, { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('SqliteStore retention and space', () => {
  it('a new file uses incremental auto-vacuum: deleting most of it shrinks the file', async () => {
    const path = freshPath();
    let store = new SqliteStore({ path });
    await fill(store);
    await store.close();
    expect(filePragma(path, 'auto_vacuum')).toBe(2);
    const full = closedSize(path);
    expect(full).toBeGreaterThan(2_000_000);

    store = new SqliteStore({ path });
    // Keeping the last hour of 400 minutes deletes 340 traces.
    const report = await runRetention(store, { retainMs: HOUR }, T0_MS + 400 * 60_000);
    expect(report.generations).toBeGreaterThanOrEqual(339);
    expect(report.reclaimedBytes).toBeGreaterThan(full / 2);
    expect(report.longestReclaimMs).toBeGreaterThan(0);
    expect((await store.list({ limit: 100 })).items).toHaveLength(61);
    await store.close();
    expect(closedSize(path)).toBeLessThan(full / 3);
  });

  it("gives the space back in steps of RECLAIM_PAGES_PER_STEP pages, and tells each step's hold on writers", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await fill(store);
    while ((await store.pruneBatch(T0_MS + 340 * 60_000, RETENTION_BATCH_ROWS)).traces > 0);
    const free = filePragma(path, 'freelist_count');
    const pageSize = filePragma(path, 'page_size');
    expect(free).toBeGreaterThan(RECLAIM_PAGES_PER_STEP * 2);
    const holds: number[] = [];
    const bytes = await store.reclaimSpace((ms) => holds.push(ms));
    // One transaction per step, each told as it commits, so a step never holds writers off for the whole file.
    expect(holds).toHaveLength(Math.ceil(free / RECLAIM_PAGES_PER_STEP));
    expect(holds.every((ms) => ms > 0)).toBe(true);
    expect(bytes).toBeGreaterThanOrEqual(free * pageSize);
    await store.close();
  });

  it('an older file without auto-vacuum keeps its size until vacuum(), which also switches it to incremental', async () => {
    const path = freshPath();
    // A file made before genspan turned auto-vacuum on: its header written before any table.
    const raw = new Database(path);
    raw.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
    raw.close();
    let store = new SqliteStore({ path });
    await fill(store);
    await store.close();
    expect(filePragma(path, 'auto_vacuum')).toBe(0);
    const full = closedSize(path);

    store = new SqliteStore({ path });
    const report = await runRetention(store, { retainMs: HOUR }, T0_MS + 400 * 60_000);
    expect(report.generations).toBeGreaterThanOrEqual(339);
    expect(report.reclaimedBytes).toBe(0);
    expect(report.longestReclaimMs).toBe(0);
    // Its free pages are reused by new rows, and no longer count toward --max-size.
    expect(await store.generationsOverSize(full / 2)).toBe(0);
    await store.close();
    expect(closedSize(path)).toBeGreaterThanOrEqual(full * 0.9);

    store = new SqliteStore({ path });
    await store.vacuum();
    await store.close();
    expect(filePragma(path, 'auto_vacuum')).toBe(2);
    expect(closedSize(path)).toBeLessThan(full / 3);
    // The search index holds the generations' rowids, which SQLite documents VACUUM "may change" for a table without
    // an INTEGER PRIMARY KEY: the rows kept (rowids 340 to 400, the first 339 deleted) are still found by their text.
    store = new SqliteStore({ path });
    for (let trace = 340; trace <= 400; trace++) {
      const found = await store.list({ q: `${trace} ${trace}` });
      expect(found.items.map((item) => item.startTime)).toEqual([new Date(T0_MS + trace * 60_000).toISOString()]);
    }
    await store.close();
  });

  it('batches back to back let the WAL restart between them, instead of growing until a write checkpoints it', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await fill(store);
    const frames: number[] = [];
    for (;;) {
      const batch = await store.pruneBatch(T0_MS + 400 * 60_000, RETENTION_BATCH_ROWS);
      if (batch.generations === 0) break;
      frames.push(walIndex(path).frames);
    }
    await store.close();
    expect(frames.length).toBeGreaterThan(5);
    // A restart starts the WAL over at its first frame: a batch then leaves fewer frames than the one before it.
    expect(frames.some((count, index) => index > 0 && count < frames[index - 1])).toBe(true);
  });

  it('by size: deletes the oldest until the pages in use fit, and the file shrinks to about the limit', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    await fill(store);
    const maxBytes = 1_000_000;
    const report = await runRetention(store, { maxBytes });
    expect(report.generations).toBeGreaterThan(100);
    expect(await store.storageBytes()).toBeLessThanOrEqual(maxBytes * 1.2);
    const newest = (await store.list({ limit: 1 })).items[0];
    expect(newest.startTime).toBe(new Date(T0_MS + 400 * 60_000).toISOString());
    await store.close();
    expect(closedSize(path)).toBeLessThanOrEqual(maxBytes * 1.2);
  });
});
