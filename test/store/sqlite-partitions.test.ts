import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../src/store/retention.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { inPartition, partitionOf } from '../../src/store/sqlite-partitions.js';
import { storeContract } from './contract.js';
import { chatData, makeRecord, makeStep, manyRecords, T0_MS, traceIdOf, traceThread } from './fixtures.js';
import { schema5File, toSchema10 } from './sqlite-schemas.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-sqlite-partitions-'));
let fileCounter = 0;
const freshPath = () => join(folder, `partitions-${++fileCounter}.db`);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A clock the test moves, as the benchmark's builder replays dated rows. */
function testClock(startMs: number): { now: () => number; set(ms: number): void } {
  let ms = startMs;
  return {
    now: () => ms,
    set(next: number) {
      ms = next;
    },
  };
}

/** Runs `work` on a store of partitions of `rows` generations, on a fresh file, its clock at T0 + 1 s; then closes it. */
async function withPartitions(
  rows: number,
  work: (opened: { store: SqliteStore; path: string; clock: ReturnType<typeof testClock> }) => Promise<void>,
): Promise<void> {
  const path = freshPath();
  const clock = testClock(T0_MS + 1_000);
  const store = new SqliteStore({ path, partitionRows: rows, clock: clock.now });
  try {
    await work({ store, path, clock });
  } finally {
    await store.close();
  }
}

/** What a file holds, read as another connection sees it. */
function inspect<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const catalogOf = (path: string) =>
  inspect(
    path,
    (db) => db.prepare('SELECT id, from_ms AS fromMs FROM genspan_partitions ORDER BY from_ms').all() as { id: number; fromMs: number }[],
  );

/** The start offsets (ms after T0) of the rows of `table` in partition `id`. */
function startsIn(path: string, table: string, id: number): number[] {
  return inspect(path, (db) =>
    (db.prepare(`SELECT start_ms FROM ${inPartition(table, id)} ORDER BY start_ms`).all() as { start_ms: number }[]).map(
      (row) => row.start_ms - T0_MS,
    ),
  );
}

describe('SQLite time partitions: names and routing', () => {
  it('renames every partitioned table and what is named after it, and leaves the rest as written', () => {
    const sql = `INSERT INTO genspan_generation_tags SELECT * FROM genspan_generations g JOIN genspan_search s
      ON s.rowid = g.rowid JOIN genspan_steps_start x JOIN genspan_traces t JOIN genspan_threads h JOIN genspan_search_build b
      JOIN genspan_logs l JOIN genspan_spans p`;
    expect(inPartition(sql, 0)).toBe(sql);
    expect(inPartition(sql, 3)).toBe(`INSERT INTO genspan_generation_tags_p3 SELECT * FROM genspan_generations_p3 g JOIN genspan_search_p3 s
      ON s.rowid = g.rowid JOIN genspan_steps_p3_start x JOIN genspan_traces_p3 t JOIN genspan_threads h JOIN genspan_search_build b
      JOIN genspan_logs l JOIN genspan_spans p`);
  });

  it('routes a time to the last partition starting at or before it', () => {
    const catalog = [
      { id: 0, fromMs: Number.MIN_SAFE_INTEGER },
      { id: 1, fromMs: 100 },
      { id: 2, fromMs: 200 },
    ];
    expect([-5, 99, 100, 150, 200, 10_000].map((ms) => partitionOf(catalog, ms))).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('SqliteStore: writes into time partitions', () => {
  it('opens the next partition at the clock once the newest holds its rows, and routes each row by its start', async () => {
    await withPartitions(3, async ({ store, path, clock }) => {
      await store.write(manyRecords(3, 1, (i) => i * 10));
      expect(catalogOf(path)).toEqual([{ id: 0, fromMs: Number.MIN_SAFE_INTEGER }]);

      // The newest holds 3 generations: the next write opens partition 1 at the clock (T0 + 1 s).
      await store.write([makeRecord({ span: 10, atMs: 500 }), makeRecord({ span: 11, atMs: 1_500 })]);
      expect(catalogOf(path)).toEqual([
        { id: 0, fromMs: Number.MIN_SAFE_INTEGER },
        { id: 1, fromMs: T0_MS + 1_000 },
      ]);
      expect(startsIn(path, 'genspan_generations', 0)).toEqual([0, 10, 20, 500]);
      expect(startsIn(path, 'genspan_generations', 1)).toEqual([1_500]);

      // A copy of a stored span goes where the first went, and is a duplicate there.
      expect(await store.write([makeRecord({ span: 10, atMs: 500 }), makeRecord({ span: 11, atMs: 1_500 })])).toEqual({
        inserted: 0,
        duplicates: 2,
      });
      // Partition 1 holds 1 generation: nothing opens, whatever the clock says.
      clock.set(T0_MS + 5_000);
      await store.write([makeRecord({ span: 12, atMs: 6_000 })]);
      expect(catalogOf(path)).toHaveLength(2);
      expect(startsIn(path, 'genspan_generations', 1)).toEqual([1_500, 6_000]);
    });
  });

  it("moves the newest partition's rows dated after the clock into the new one, with their steps, traces and index entries", async () => {
    await withPartitions(2, async ({ store, path }) => {
      // A sender whose clock runs ahead wrote a trace dated T0 + 9 s before the partition opened.
      const ahead = makeRecord({ trace: 7, span: 70, atMs: 9_000 });
      await store.write([makeRecord({ span: 1, atMs: 0 }), ahead], {
        steps: [makeStep({ trace: 7, span: 70, atMs: 9_000, type: 'llm' }), makeStep({ trace: 1, span: 1, atMs: 0, type: 'llm' })],
        threads: [],
      });
      await store.write([makeRecord({ span: 2, atMs: 100 })]);
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([0, 1]);
      expect(startsIn(path, 'genspan_generations', 0)).toEqual([0, 100]);
      expect(startsIn(path, 'genspan_generations', 1)).toEqual([9_000]);
      expect(startsIn(path, 'genspan_steps', 1)).toEqual([9_000]);
      expect(startsIn(path, 'genspan_traces', 1)).toEqual([9_000]);
      expect(startsIn(path, 'genspan_traces', 0)).toEqual([0]);
      // The search index entries moved with the rows.
      const indexed = inspect(path, (db) =>
        [0, 1].map((id) => (db.prepare(`SELECT count(*) AS n FROM ${inPartition('genspan_search', id)}`).get() as { n: number }).n),
      );
      expect(indexed).toEqual([2, 1]);

      // The copy of the moved span, sent again, is a duplicate in its new partition.
      expect(await store.write([ahead])).toEqual({ inserted: 0, duplicates: 1 });
    });
  });

  it("keeps a trace's row in the partition of its steps, and its thread with it", async () => {
    await withPartitions(1, async ({ store, path }) => {
      await store.write([makeRecord({ span: 1, atMs: 0 })]);
      await store.write([makeRecord({ trace: 5, span: 50, atMs: 2_000 })], {
        steps: [makeStep({ trace: 5, span: 50, atMs: 2_000, type: 'llm' }), makeStep({ trace: 5, span: 51, parent: 50, atMs: 2_100 })],
        threads: [traceThread(5, 'thread-a', 'Support chat')],
      });
      const traces = inspect(path, (db) => db.prepare('SELECT trace_id, thread_id FROM genspan_traces_p1').all());
      expect(traces).toEqual([{ trace_id: traceIdOf(5), thread_id: 'thread-a' }]);
      const thread = inspect(path, (db) => db.prepare('SELECT id, name, start_ms, end_ms FROM genspan_threads').all());
      expect(thread).toEqual([{ id: 'thread-a', name: 'Support chat', start_ms: T0_MS + 2_000, end_ms: T0_MS + 2_200 }]);
    });
  });

  it('files a thread named for a trace with no step in the write on the rows the trace has, in any partition', async () => {
    await withPartitions(1, async ({ store }) => {
      await store.write([makeRecord({ span: 1, atMs: 0 })]);
      await store.write([makeRecord({ trace: 5, span: 50, atMs: 2_000 })], {
        steps: [makeStep({ trace: 5, span: 50, atMs: 2_000, type: 'llm' })],
        threads: [],
      });
      // The trace's steps are in partition 1; a later write names its thread and carries none of them.
      await store.write([], { steps: [], threads: [traceThread(5, 'thread-b', 'Named later')] });
      const thread = await store.getThread('thread-b');
      expect(thread?.name).toBe('Named later');
      expect(thread?.traces.map((turn) => turn.traceId)).toEqual([traceIdOf(5)]);
      expect(await store.threadOfTrace(traceIdOf(5))).toBe('thread-b');
    });
  });

  it("counts a thread's trace once and names the thread from its root input, its rows in two partitions", async () => {
    await withPartitions(1, async ({ store, path }) => {
      await store.write([makeRecord({ span: 1, atMs: 0 })]);
      // Partition 1 opens at T0 + 1 s: the root step stays in partition 0, its child goes to partition 1.
      await store.write([makeRecord({ trace: 5, span: 51, atMs: 1_500 })], {
        steps: [
          makeStep({ trace: 5, span: 50, atMs: 500, durationMs: 2_000, input: 'Where is my order?' }),
          makeStep({ trace: 5, span: 51, parent: 50, atMs: 1_500, type: 'llm' }),
        ],
        threads: [traceThread(5, 'thread-c')],
      });
      // A later span of the trace names the thread again: the trace's row in partition 1 takes it too.
      await store.write([], { steps: [makeStep({ trace: 5, span: 52, parent: 50, atMs: 1_600 })], threads: [traceThread(5, 'thread-c')] });
      const rows = [0, 1].map((id) =>
        inspect(path, (db) =>
          db.prepare(`SELECT thread_id FROM ${inPartition('genspan_traces', id)} WHERE trace_id = ?`).get(traceIdOf(5)),
        ),
      );
      expect(rows).toEqual([{ thread_id: 'thread-c' }, { thread_id: 'thread-c' }]);
      const { items } = await store.listThreads();
      expect(items.map((thread) => [thread.id, thread.name, thread.traces])).toEqual([['thread-c', 'Where is my order?', 1]]);
    });
  });

  it('follows a partition another store on the file opened, and never opens one twice', async () => {
    const path = freshPath();
    const clock = testClock(T0_MS + 1_000);
    const first = new SqliteStore({ path, partitionRows: 2, clock: clock.now });
    const second = new SqliteStore({ path, partitionRows: 2, clock: clock.now });
    try {
      await first.write(manyRecords(2, 1, (i) => i));
      await Promise.all([first.write([makeRecord({ span: 20, atMs: 2_000 })]), second.write([makeRecord({ span: 21, atMs: 2_001 })])]);
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([0, 1]);
      expect(startsIn(path, 'genspan_generations', 1)).toEqual([2_000, 2_001]);
    } finally {
      await first.close();
      await second.close();
    }
  });
  it('merges the search index of the partition before the one closing to one segment, and leaves the closing one as written', async () => {
    const path = freshPath();
    const clock = testClock(T0_MS + 1_000);
    const store = new SqliteStore({ path, partitionRows: 2, clock: clock.now });
    // FTS5 numbers a segment's pages (segment id << 37) + (height << 31) + page: the distinct ids past 1 << 37.
    const segments = (id: number) =>
      inspect(path, (db) => {
        const data = `${inPartition('genspan_search', id)}_data`;
        return (db.prepare(`SELECT count(DISTINCT id >> 37) AS n FROM ${data} WHERE id >= (1 << 37)`).get() as { n: number }).n;
      });
    try {
      // One write, one segment: partition 0 gets two, then partition 1 opens (nothing before partition 0 to merge).
      await store.write([makeRecord({ span: 1, atMs: 0 })]);
      await store.write([makeRecord({ span: 2, atMs: 10 })]);
      await store.write([makeRecord({ span: 3, atMs: 2_000 })]);
      // A late sender's row, dated before partition 1, adds a segment to partition 0.
      await store.write([makeRecord({ span: 4, atMs: 20 })]);
      await store.write([makeRecord({ span: 5, atMs: 2_010 })]);
      expect([segments(0), segments(1)]).toEqual([3, 2]);

      clock.set(T0_MS + 5_000);
      await store.write([makeRecord({ span: 6, atMs: 5_000 })]);
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([0, 1, 2]);
      expect([segments(0), segments(1)]).toEqual([1, 2]);
      // The merged index finds what it found before.
      const page = await store.list({ q: 'TERSE', limit: 10 });
      expect(page.items.map((record) => record.startTime).sort()).toEqual(
        [0, 10, 20, 2_000, 2_010, 5_000].map((ms) => new Date(T0_MS + ms).toISOString()),
      );
    } finally {
      await store.close();
    }
  });
});

describe("SqliteStore: time partitions over a store's life", () => {
  it('drops the oldest partition once retention has emptied it, and gives its pages back', async () => {
    await withPartitions(2, async ({ store, path, clock }) => {
      await store.write(manyRecords(2, 1, (i) => i));
      clock.set(T0_MS + 60_000);
      await store.write(manyRecords(2, 11, (i) => 60_000 + i));
      clock.set(T0_MS + 120_000);
      await store.write(manyRecords(2, 21, (i) => 120_000 + i));
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([0, 1, 2]);
      const tables = () =>
        inspect(path, (db) =>
          (
            db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'genspan_generations%' AND type = 'table'").all() as {
              name: string;
            }[]
          ).map((row) => row.name),
        );
      expect(tables()).toEqual(['genspan_generations', 'genspan_generations_p1', 'genspan_generations_p2']);

      // Keeping what started from T0 + 30 s: partition 0's rows go, then its tables, and their pages are given back.
      const report = await runRetention(store, { retainMs: 30_000 }, T0_MS + 60_000);
      expect(report.generations).toBe(2);
      expect(report.reclaimedBytes).toBeGreaterThan(0);
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([1, 2]);
      expect(tables()).toEqual(['genspan_generations_p1', 'genspan_generations_p2']);
      expect((await store.list()).items.map((record) => Date.parse(record.startTime) - T0_MS)).toEqual([120_001, 120_000, 60_001, 60_000]);

      // A late row of partition 0's time goes to the oldest partition left.
      await store.write([makeRecord({ span: 90, atMs: 5 })]);
      expect(startsIn(path, 'genspan_generations', 1)).toEqual([5, 60_000, 60_001]);
    });
  });

  it("retention leaves its rows' search entries behind, which find nothing, even for a rowid used again", async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    try {
      const quokka = (span: number, atMs: number) =>
        makeRecord({ span, atMs, generation: chatData({ messages: [{ role: 'user', content: `quokka ${span}` }] }) });
      await store.write([quokka(1, 0), quokka(2, 10)]);
      const entries = () => inspect(path, (db) => (db.prepare('SELECT count(*) AS n FROM genspan_search').get() as { n: number }).n);
      expect(entries()).toBe(2);
      expect((await runRetention(store, { retainMs: 1 }, T0_MS + 60_000)).generations).toBe(2);
      expect(entries()).toBe(2);
      expect((await store.list({ q: 'quokka' })).items).toEqual([]);
      // The table is empty, so the next row takes rowid 1 again, beside the stale entry.
      await store.write([makeRecord({ span: 3, atMs: 70_000, generation: chatData({ messages: [{ role: 'user', content: 'wombat' }] }) })]);
      expect((await store.list({ q: 'quokka' })).items).toEqual([]);
      expect((await store.list({ q: 'wombat' })).items).toHaveLength(1);
      expect((await store.list({ tag: 'x' })).items).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('migrates a schema 10 file: its rows stay in partition 0, and partitions open once the background build is done', async () => {
    const path = freshPath();
    const before = new SqliteStore({ path });
    await before.write(
      manyRecords(3, 1, (i) => i),
      { steps: [makeStep({ trace: 1, span: 1, atMs: 0, type: 'llm' })], threads: [] },
    );
    await before.close();
    const raw = new Database(path);
    toSchema10(raw);
    raw.close();

    const clock = testClock(T0_MS + 1_000);
    const store = new SqliteStore({ path, partitionRows: 3, clock: clock.now });
    try {
      await store.indexesBuilt();
      expect(inspect(path, (db) => db.prepare("SELECT name FROM sqlite_schema WHERE name = 'genspan_steps_start'").all())).toHaveLength(1);
      await store.write([makeRecord({ span: 5, atMs: 2_000 })], {
        steps: [makeStep({ trace: 5, span: 5, atMs: 2_000, type: 'llm' })],
        threads: [],
      });
      expect(catalogOf(path).map((partition) => partition.id)).toEqual([0, 1]);
      expect(startsIn(path, 'genspan_generations', 0)).toEqual([0, 1, 2]);
      expect(startsIn(path, 'genspan_traces', 1)).toEqual([2_000]);
      expect((await store.list()).items).toHaveLength(4);
      expect((await store.getTrace(traceIdOf(1)))?.steps).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

/**
 * The whole store contract over partitions of 3 generations, the clock moving a minute a write from the fixtures' start:
 * the contract's rows fall into many partitions, wherever their boundaries happen to come, and every read must
 * answer as over one table.
 */
/** A clock moving a minute a write from the fixtures' start. */
function steppingClock(): () => number {
  let writes = 0;
  return () => T0_MS + 60_000 * writes++;
}

storeContract('SqliteStore in partitions of 3', {
  create: async (options) => new SqliteStore({ path: freshPath(), partitionRows: 3, clock: steppingClock(), ...options }),
  // A store of schema 5 holds its rows in partition 0; the partitions open once its index build is done.
  migrated: async (fill) => {
    const path = freshPath();
    await schema5File(path, fill);
    return new SqliteStore({ path, indexBuildChunkRows: 1, partitionRows: 3, clock: steppingClock() });
  },
});
