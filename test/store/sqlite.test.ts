import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as later } from 'node:timers/promises';
import { type Worker, Worker as WorkerThread } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FACET_LIMITS } from '../../src/generation/list-query.js';
import { IncompatibleDatabaseError, StoreError, StoreUnavailableError } from '../../src/store/errors.js';
import { SEARCH_MANY_CANDIDATES } from '../../src/store/filter-sql.js';
import { SEARCH_INDEX_MERGING, SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite.js';
import type { SqliteReader } from '../../src/store/sqlite-reader.js';
import { SELECT_THREAD_TURNS, SELECT_TRACE_STEPS } from '../../src/store/trace-sql.js';
import { storeContract } from './contract.js';
import { makeStep, manyRecords, measuredRecords, traceThread } from './fixtures.js';
import { schema5File, toSchema5, toSchema9 } from './sqlite-schemas.js';

/** Records the SQL of every query the store sends to its reader (its read threads, for a file), in order. */
function recordQueries(store: SqliteStore): string[] {
  const reader = (store as unknown as { reader: SqliteReader }).reader;
  const queries: string[] = [];
  const all = reader.all.bind(reader);
  const get = reader.get.bind(reader);
  reader.all = ((sql: string, params: readonly unknown[]) => {
    queries.push(sql);
    return all(sql, params);
  }) as SqliteReader['all'];
  reader.get = ((sql: string, params: readonly unknown[]) => {
    queries.push(sql);
    return get(sql, params);
  }) as SqliteReader['get'];
  return queries;
}

interface PlanStep {
  id: number;
  parent: number;
  detail: string;
}

const details = (plan: readonly PlanStep[]) => plan.map((step) => step.detail).join('; ');

/**
 * A plan's scans, and its sorts but those of a trace's own steps: a correlated subquery's sort (the root step is the
 * earliest of the trace's steps, read through the primary key) reads one trace's rows, not a table.
 */
function unboundedReads(plan: readonly PlanStep[]): string[] {
  const subqueries = new Set(plan.filter((step) => step.detail.startsWith('CORRELATED SCALAR SUBQUERY')).map((step) => step.id));
  return plan
    .filter((step) => step.detail.startsWith('SCAN') || (step.detail.includes('TEMP B-TREE') && !subqueries.has(step.parent)))
    .map((step) => step.detail);
}

const folder = mkdtempSync(join(tmpdir(), 'genspan-sqlite-'));
let fileCounter = 0;
const freshPath = () => join(folder, `store-${++fileCounter}.db`);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

storeContract('SqliteStore', {
  create: async (options) => new SqliteStore({ path: freshPath(), ...options }),
  migrated: async (fill) => {
    const path = freshPath();
    await schema5File(path, fill);
    return new SqliteStore({ path, indexBuildChunkRows: 1 });
  },
});

describe('SqliteStore files', () => {
  it('creates ./genspan.db in the working directory by default, in WAL mode, stamped with its schema version', async () => {
    const workDir = mkdtempSync(join(folder, 'cwd-'));
    const previous = process.cwd();
    process.chdir(workDir);
    let store: SqliteStore;
    try {
      store = new SqliteStore();
    } finally {
      process.chdir(previous);
    }
    await store.write(manyRecords(3));
    expect(store.path).toBe(join(workDir, 'genspan.db'));
    const raw = new Database(store.path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('application_id', { simple: true })).toBe(SQLITE_APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    raw.close();
    await store.close();
  });

  it('keeps records across reopening the file', async () => {
    const path = freshPath();
    const first = new SqliteStore({ path });
    const records = manyRecords(20);
    await first.write(records);
    await first.close();
    const again = new SqliteStore({ path });
    expect((await again.list({ limit: 100 })).items).toHaveLength(20);
    expect(await again.write(records)).toEqual({ inserted: 0, duplicates: 20 });
    await again.close();
  });

  describe('refuses files that are not genspan databases and leaves them byte for byte untouched', () => {
    function expectUntouched(path: string, make: () => void, message: RegExp): void {
      make();
      const before = readFileSync(path);
      const siblings = readdirSync(folder).sort();
      let error: unknown;
      try {
        new SqliteStore({ path });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(IncompatibleDatabaseError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(path);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(folder).sort()).toEqual(siblings);
    }

    it('another application’s SQLite database', () => {
      const path = join(folder, 'shop.sqlite');
      expectUntouched(
        path,
        () => {
          const other = new Database(path);
          other.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');`);
          other.close();
        },
        /is not a genspan database: it holds other tables \(customers\)/,
      );
    });

    it('a file laid out like the pre-release schema 0 (one table `generations` of JSON records)', () => {
      const path = join(folder, 'looks-like-v0.db');
      expectUntouched(
        path,
        () => {
          const v0 = new Database(path);
          v0.exec(`CREATE TABLE generations (
            id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, start_time TEXT NOT NULL, record TEXT NOT NULL,
            UNIQUE (trace_id, span_id))`);
          const insert = v0.prepare('INSERT INTO generations VALUES (?, ?, ?, ?, ?)');
          for (const record of manyRecords(3))
            insert.run(record.id, record.traceId, record.spanId, record.startTime, JSON.stringify(record));
          v0.close();
        },
        /is not a genspan database: it holds other tables \(generations\)/,
      );
    });

    it('a SQLite file with a foreign application id', () => {
      const path = join(folder, 'foreign-app.sqlite');
      expectUntouched(
        path,
        () => {
          const other = new Database(path);
          other.pragma('application_id = 1234');
          other.close();
        },
        /belongs to another application/,
      );
    });

    it('a text file', () => {
      const path = join(folder, 'notes.txt');
      expectUntouched(path, () => writeFileSync(path, 'remember the milk\n'.repeat(200)), /it is not an SQLite file/);
    });

    it('a genspan file from a newer schema', async () => {
      const path = join(folder, 'future.db');
      expectUntouched(
        path,
        () => {
          const raw = new Database(path);
          raw.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
          raw.pragma('user_version = 99');
          raw.exec('CREATE TABLE future_things (x)');
          raw.close();
        },
        /newer genspan \(schema 99/,
      );
    });
  });

  it('reads a stored cost that is no valid cost (JSON null for an infinite total, a hand-edited row) as none', async () => {
    const path = freshPath();
    const [first, second] = manyRecords(2);
    const writer = new SqliteStore({ path });
    await writer.write([first, second]);
    await writer.close();
    const raw = new Database(path);
    const edit = raw.prepare('UPDATE genspan_generations SET cost = ? WHERE id = ?');
    edit.run(JSON.stringify({ input: 1e308, output: 1e308, total: null, currency: 'USD', source: 'span' }), first.id);
    edit.run('{not json', second.id);
    raw.close();
    const store = new SqliteStore({ path });
    expect((await store.get(first.id))?.cost).toBeNull();
    expect((await store.get(second.id))?.cost).toBeNull();
    expect((await store.list()).items.map((item) => item.cost)).toEqual([null, null]);
    await store.close();
  });

  it('migrates a schema 1 file (before costs): its records are kept, without a cost, and new ones get theirs', async () => {
    const path = freshPath();
    const older = manyRecords(3).map((record) => ({ ...record, cost: null }));
    const first = new SqliteStore({ path });
    await first.write(older);
    await first.close();
    // Back to the layout genspan wrote before costs: schema 1 had neither column, nor experiments (3), nor the cost index (4),
    // nor steps (5).
    const raw = new Database(path);
    toSchema5(raw);
    raw.exec('DROP TABLE genspan_steps; DROP TABLE genspan_traces; DROP TABLE genspan_threads');
    raw.exec('DROP INDEX genspan_generations_cost; DROP TABLE genspan_experiments; DROP TABLE genspan_experiment_results');
    raw.exec('ALTER TABLE genspan_generations DROP COLUMN cost; ALTER TABLE genspan_generations DROP COLUMN cost_total');
    raw.pragma('user_version = 1');
    raw.close();

    const store = new SqliteStore({ path });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    const newer = manyRecords(1, 10);
    await store.write(newer);
    expect(newer[0].cost?.total).toBeGreaterThan(0);
    expect((await store.get(newer[0].id))?.cost).toEqual(newer[0].cost);
    expect((await store.list({ minCost: 0 })).items.map((item) => item.id)).toEqual([newer[0].id]);
    await store.close();
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    migrated.close();
  });

  it('migrates a schema 3 file (before the cost index): its records keep their costs, and the cost orders read the index', async () => {
    const path = freshPath();
    const older = manyRecords(5);
    const first = new SqliteStore({ path });
    await first.write(older);
    await first.close();
    const raw = new Database(path);
    toSchema5(raw);
    raw.exec('DROP TABLE genspan_steps; DROP TABLE genspan_traces; DROP TABLE genspan_threads');
    raw.exec('DROP INDEX genspan_generations_cost');
    raw.pragma('user_version = 3');
    raw.close();

    const store = new SqliteStore({ path });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    expect((await store.list({ sort: 'cost_desc' })).items).toHaveLength(5);
    await store.close();
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    const plan = migrated
      .prepare(
        'EXPLAIN QUERY PLAN SELECT id FROM genspan_generations WHERE cost_total IS NOT NULL AND (cost_total, start_ms, id) < (?, ?, ?) ' +
          'ORDER BY cost_total DESC, start_ms DESC, id DESC LIMIT 51',
      )
      .all(1, 0, '') as { detail: string }[];
    expect(plan.map((step) => step.detail).join('; ')).toMatch(/USING (COVERING )?INDEX genspan_generations_cost/);
    migrated.close();
  });

  it('migrates a schema 4 file (before steps): its records are kept, and steps, traces and threads are written after', async () => {
    const path = freshPath();
    const older = manyRecords(3);
    const first = new SqliteStore({ path });
    await first.write(older);
    await first.close();
    const raw = new Database(path);
    toSchema5(raw);
    raw.exec('DROP TABLE genspan_steps; DROP TABLE genspan_traces; DROP TABLE genspan_threads');
    raw.pragma('user_version = 4');
    raw.close();

    const store = new SqliteStore({ path });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    const step = makeStep({ trace: 1, span: 1, atMs: 0, type: 'llm' });
    await store.writeWithSpans([], new Map(), { steps: [step], threads: [traceThread(1, 'conversation')] });
    expect((await store.stepLinks([step.traceId])).get(step.traceId)).toEqual([
      { spanId: step.spanId, parentSpanId: null, type: 'llm', generationId: older[0].id },
    ]);
    await store.close();
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    const tables = migrated.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'genspan_t%'`).all();
    expect(tables.map((row) => (row as { name: string }).name).sort()).toEqual(['genspan_threads', 'genspan_traces']);
    migrated.close();
  });

  it("reads a trace's steps through the primary key and a thread's traces through their index, never a scan", async () => {
    const path = freshPath();
    await new SqliteStore({ path }).close();
    const db = new Database(path, { readonly: true });
    const planOf = (sql: string) => db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('id') as PlanStep[];
    // One trace's steps are sorted by start (a few rows, its root found among them); no table is read whole.
    const steps = planOf(SELECT_TRACE_STEPS('?'));
    expect(steps.filter((step) => step.detail.startsWith('SCAN'))).toEqual([]);
    expect(details(steps)).toMatch(/SEARCH genspan_steps USING INDEX sqlite_autoindex_genspan_steps_1 \(trace_id=\?\)/);
    const turns = planOf(SELECT_THREAD_TURNS('?'));
    expect(unboundedReads(turns)).toEqual([]);
    expect(details(turns)).toMatch(/SEARCH t USING INDEX genspan_traces_thread/);
    db.close();
  });

  it('lists a page of traces, filtered or not, walking the traces newest first and reading each one through indexes', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    const queries = recordQueries(store);
    await store.listTraces();
    await store.listTraces({ model: 'gpt-4o', tag: 'prod' });
    await store.close();
    // The pages; then each page's traces read whole by their ids (none here).
    const plans = queries.filter((sql) => sql.includes('FROM genspan_traces AS t') && sql.includes('ORDER BY t.start_ms DESC'));
    expect(plans).toHaveLength(2);
    expect(queries.filter((sql) => sql.includes('WHERE t.trace_id IN (SELECT value FROM json_each(?))'))).toHaveLength(2);
    const raw = new Database(path, { readonly: true });
    for (const sql of plans) {
      const count = (sql.match(/\?/g) ?? []).length;
      const plan = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(count).fill(1)) as PlanStep[];
      // The tag filter reads the candidate generation's own tags.
      const scans = unboundedReads(plan).filter((detail) => !detail.startsWith('SCAN json_each'));
      expect(scans).toEqual(['SCAN t USING INDEX genspan_traces_start']);
    }
    raw.close();
  });

  it('says which folder is missing', () => {
    expect(() => new SqliteStore({ path: join(folder, 'no-such-folder', 'x.db') })).toThrow(/folder .*no-such-folder does not exist/);
    expect(() => new SqliteStore({ path: folder })).toThrow(StoreError);
  });

  it('two stores on one file see each other’s writes', async () => {
    const path = freshPath();
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    await Promise.all([a.write(manyRecords(50, 1)), b.write(manyRecords(50, 26))]);
    expect((await a.list({ limit: 500 })).items).toHaveLength(75);
    expect((await b.list({ limit: 500 })).items).toHaveLength(75);
    await a.close();
    await b.close();
  });

  it('waits for a locked database on its write thread, never on the calling thread, and opens a current file all the same', async () => {
    const path = freshPath();
    await new SqliteStore({ path }).close();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    let locked = true;
    const unlock = () => {
      if (locked) other.exec('ROLLBACK');
      locked = false;
    };
    const threads: Worker[] = [];
    const started = (worker: Worker) => threads.push(worker);
    process.on('worker', started);
    let store: SqliteStore | undefined;
    try {
      const opening = Date.now();
      store = new SqliteStore({ path, busyTimeoutMs: 5_000 });
      expect(Date.now() - opening).toBeLessThan(1000);

      // The write thread started and its connection opened (unlocked), so all it does for the write below is wait.
      unlock();
      await store.ready();
      // The write thread, and the first read thread (started by ready(), after it).
      expect(threads).toHaveLength(2);
      const [thread] = threads;
      other.exec('BEGIN IMMEDIATE');
      locked = true;

      const since = thread.performance.eventLoopUtilization();
      let answered = false;
      const writing = store.write(manyRecords(2)).finally(() => (answered = true));
      // SQLite's busy wait has no event to wait for: the sign is the write thread staying busy (it is idle otherwise).
      // This event loop keeps running meanwhile; only it can release the lock, and does so once the thread waits.
      const deadline = Date.now() + 30_000;
      while (thread.performance.eventLoopUtilization(since).active < 200) {
        if (Date.now() > deadline) throw new Error('the write thread never waited for the lock');
        await later(20);
      }
      expect(answered).toBe(false);
      unlock();
      expect(await writing).toEqual({ inserted: 2, duplicates: 0 });
    } finally {
      process.off('worker', started);
      unlock();
      other.close();
      await store?.close();
    }
  });

  it('runs its queries on read threads: a search that reads every row holds neither the event loop nor a quick read', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    try {
      // ~40 MB of message text, none of it holding "zq": a two-character q has no trigram, so its list reads every row.
      const filler = 'the quick brown fox jumps over a lazy dog '.repeat(500);
      const records = manyRecords(2_000).map((record) => {
        record.generation = { ...record.generation, messages: [{ role: 'user', content: filler }] };
        return record;
      });
      await store.write(records);
      const order: string[] = [];
      let turns = 0;
      const turning = setInterval(() => turns++, 1);
      const scan = store.list({ q: 'zq' }).then((page) => {
        order.push('scan');
        return page;
      });
      const quick = store.get(records[0].id).then((record) => {
        order.push('get');
        return record;
      });
      const [page, record] = await Promise.all([scan, quick]);
      clearInterval(turning);
      expect(page.items).toEqual([]);
      expect(record?.id).toBe(records[0].id);
      // On the calling thread the scan would have run inside list(), before get() was even asked.
      expect(order).toEqual(['get', 'scan']);
      expect(turns).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('searches while another connection keeps changing the schema (as the index build does): no read fails', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    const records = manyRecords(20);
    await store.write(records);
    await store.ready();
    // Another thread creates and drops an index as fast as it can, each a schema change the read threads must follow.
    const churn = new WorkerThread(
      `const { workerData, parentPort } = require('node:worker_threads');
      const db = new (require(workerData.driver))(workerData.path, { timeout: 5000 });
      parentPort.postMessage('churning');
      for (;;) db.exec('CREATE INDEX churn ON genspan_threads (name); DROP INDEX churn;');`,
      { eval: true, workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path } },
    );
    try {
      await new Promise((resolve) => churn.once('message', resolve));
      const failures = new Set<string>();
      for (let i = 0; i < 1_500; i++) {
        // A search and a tag filter: statements that use the search index, cached and freshly prepared.
        const q = i % 2 === 0 ? 'hello' : `hello ${i}`;
        await store.list({ q, tag: i % 3 === 0 ? 'batch-1' : undefined }).catch((error: Error) => failures.add(error.message));
      }
      expect([...failures]).toEqual([]);
      expect((await store.list({ q: 'hello' })).items).toHaveLength(records.length);
    } finally {
      await churn.terminate();
      await store.close();
    }
  });

  it('starts another read thread when one has stopped, and refuses reads once closed', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    const records = manyRecords(3);
    await store.write(records);
    await store.ready();
    const threads = (store as unknown as { reader: { threads: { worker: Worker }[] } }).reader.threads;
    expect(threads).toHaveLength(1);
    const [first] = threads;
    const stopped = new Promise((resolve) => first.worker.once('exit', resolve));
    await first.worker.terminate();
    await stopped;
    expect(threads).toHaveLength(0);
    expect((await store.get(records[1].id))?.id).toBe(records[1].id);
    expect(threads).toHaveLength(1);
    expect(threads[0]).not.toBe(first);
    await store.close();
    await expect(store.list()).rejects.toThrow(/closed/);
  });

  it('lets close() finish the writes already handed over, and refuses writes after it', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    const writes = [store.write(manyRecords(200, 1)), store.write(manyRecords(200, 201))];
    await store.close();
    expect(await Promise.all(writes)).toEqual([
      { inserted: 200, duplicates: 0 },
      { inserted: 200, duplicates: 0 },
    ]);
    await expect(store.write(manyRecords(1, 500))).rejects.toThrow(/closed/);
    const raw = new Database(path, { readonly: true });
    expect((raw.prepare('SELECT count(*) AS n FROM genspan_generations').get() as { n: number }).n).toBe(400);
    raw.close();
  });

  it('reports a file it cannot write through ready(), and an in-memory database works on the calling thread', async () => {
    const path = freshPath();
    await new SqliteStore({ path }).close();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const locked = new SqliteStore({ path, busyTimeoutMs: 20 });
    await expect(locked.ready()).rejects.toBeInstanceOf(StoreUnavailableError);
    other.exec('ROLLBACK');
    other.close();
    await expect(locked.ready()).resolves.toBeUndefined();
    await locked.close();

    const memory = new SqliteStore({ path: ':memory:' });
    await memory.ready();
    expect(await memory.write(manyRecords(3))).toEqual({ inserted: 3, duplicates: 0 });
    expect((await memory.list()).items).toHaveLength(3);
    await memory.close();
  });

  it('refuses a busyTimeoutMs that is not a whole number of milliseconds', () => {
    for (const busyTimeoutMs of [-1, 1.5, Number.NaN]) {
      expect(() => new SqliteStore({ path: freshPath(), busyTimeoutMs })).toThrow(/busyTimeoutMs must be a whole number/);
    }
  });

  it('reports a locked database as retryable, and writes once the lock is gone', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path, busyTimeoutMs: 50 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const error = await store.write(manyRecords(2)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/is unavailable \(SQLITE_BUSY\)/);
    other.exec('COMMIT');
    other.close();
    expect(await store.write(manyRecords(2))).toEqual({ inserted: 2, duplicates: 0 });
    await store.close();
    expect(existsSync(path)).toBe(true);
  });
});

describe('SqliteStore search and tag indexes', () => {
  /** Trigrams in every fixture record's text, in some, and in the texts the tests change rows to. */
  const PROBE_TRIGRAMS = ['hel', 'say', 'llo', 'moo', 'bye'];

  /**
   * The rowids a search index gives for each probe trigram, and the rowids whose text holds it (of the rows `where`
   * says the index should hold): equal when the index is right. A contentless index has no content for FTS5's own
   * check to compare it with.
   */
  function searchIndexRows(raw: Database.Database, index: string, where = 'true') {
    return PROBE_TRIGRAMS.map((trigram) => ({
      trigram,
      index: raw.prepare(`SELECT rowid FROM ${index} WHERE ${index} MATCH ? ORDER BY rowid`).pluck().all(`"${trigram}"`),
      rows: raw
        .prepare(`SELECT rowid FROM genspan_generations WHERE instr(search_text, ?) > 0 AND (${where}) ORDER BY rowid`)
        .pluck()
        .all(trigram),
    }));
  }

  function expectIndexHoldsRows(raw: Database.Database, index: string, where?: string): void {
    const found = searchIndexRows(raw, index, where);
    expect(found.map(({ trigram, index }) => ({ trigram, rowids: index }))).toEqual(
      found.map(({ trigram, rows }) => ({ trigram, rowids: rows })),
    );
    // Something to compare: the fixtures' text holds the first probe.
    expect(found[0].rows.length).toBeGreaterThan(0);
  }

  /** Throws when the search index differs from the generation rows' text, or the tag index from their tags. */
  function checkSearchIndex(raw: Database.Database): void {
    // FTS5's own check of the index's structure.
    raw.prepare(`INSERT INTO genspan_search (genspan_search, rank) VALUES ('integrity-check', 0)`).run();
    expectIndexHoldsRows(raw, 'genspan_search');
    const strayTags = raw
      .prepare('SELECT count(*) AS n FROM genspan_generation_tags WHERE generation_rowid NOT IN (SELECT rowid FROM genspan_generations)')
      .get() as { n: number };
    expect(strayTags.n).toBe(0);
    const tagRows = raw.prepare('SELECT count(*) AS n FROM genspan_generation_tags').get() as { n: number };
    const tags = raw.prepare('SELECT count(*) AS n FROM genspan_generations AS g, json_each(g.tags)').get() as { n: number };
    expect(tagRows.n).toBe(tags.n);
  }

  it('lists and facets a word in many older rows but not the newest ones by walking the order, never sorting its matches', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    // More than SEARCH_MANY_CANDIDATES rows say hello; the newest 600 (more than the probe's 500) do not.
    const older = manyRecords(SEARCH_MANY_CANDIDATES + 200);
    const newer = manyRecords(600, SEARCH_MANY_CANDIDATES + 1_000, (index) => 10_000_000 + index * 10).map((record) => {
      record.generation = { ...record.generation, messages: [{ role: 'user', content: 'Goodbye' }], messageCompletion: null };
      return record;
    });
    await store.write([...older, ...newer]);
    await store.indexesBuilt();
    const queries = recordQueries(store);
    const page = await store.list({ q: 'hello', limit: 5 });
    const facet = await store.facets('model', { q: 'hello' });
    await store.close();
    expect(page.items.map((item) => item.id)).toEqual(
      older
        .slice(-5)
        .reverse()
        .map((record) => record.id),
    );
    expect(facet.values).toEqual([{ value: 'gpt-4o', count: FACET_LIMITS.rows }]);
    const raw = new Database(path, { readonly: true });
    const walked = queries.filter((sql) => sql.includes('+rowid IN'));
    // The page, the facet's bounded count (which stops at its bound) and its newest matches.
    expect(walked).toHaveLength(3);
    const plans = walked.map((sql) => {
      const count = (sql.match(/\?/g) ?? []).length;
      return unboundedReads(raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(count).fill('"hel"')) as PlanStep[]);
    });
    // The candidates are gathered once (the index's scan) and only tested for: no sort of every match.
    const candidates = 'SCAN genspan_search VIRTUAL TABLE INDEX 0:M1';
    expect(plans[0]).toEqual(['SCAN genspan_generations USING INDEX genspan_generations_start', candidates]);
    expect(plans[1].slice(0, 2)).toEqual(['SCAN genspan_generations', candidates]);
    expect(plans[2].slice(0, 2)).toEqual(['SCAN genspan_generations USING INDEX genspan_generations_start', candidates]);
    raw.close();
  });

  it('keeps both indexes right through outside deletes (as retention will) and VACUUM; reads q and tags through them', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    const records = manyRecords(12);
    await store.write(records);
    await store.indexesBuilt();
    const raw = new Database(path);
    raw.prepare('DELETE FROM genspan_generations WHERE id IN (?, ?)').run(records[0].id, records[1].id);
    checkSearchIndex(raw);
    // The index refers to rows by rowid: VACUUM (which retention may run) keeps them.
    raw.exec('VACUUM');
    checkSearchIndex(raw);
    expect((await store.list({ tag: 'batch-0', limit: 500 })).items.map((item) => item.id)).not.toContain(records[0].id);
    expect((await store.count({ q: 'say hello' })).count).toBe(10);

    const queries = recordQueries(store);
    await store.list({ q: 'say hello', tag: 'batch-1' });
    // The page's query (the count of the index's candidates that decides how to read it comes first).
    const sql = queries.find((text) => text.includes('MATCH') && text.includes('ORDER BY'));
    const plan = raw
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all('batch-1', '"say" AND "ay " AND "y h" AND " he" AND "hel" AND "ell" AND "llo"', 'say hello', 51);
    const details = (plan as { detail: string }[]).map((step) => step.detail).join('; ');
    expect(details).toMatch(/VIRTUAL TABLE INDEX/);
    expect(details).toMatch(/genspan_generation_tags/);
    raw.close();
    await store.close();
  });

  it('builds the indexes of a schema 5 file in chunks while writes go on, resuming where a closed store stopped', async () => {
    const path = freshPath();
    const first = new SqliteStore({ path });
    const older = manyRecords(30);
    await first.write(older);
    await first.indexesBuilt();
    await first.close();
    const raw = new Database(path);
    toSchema5(raw);
    raw.close();

    // Closed at once: whatever chunks it did stay done, and the next store goes on from there.
    await new SqliteStore({ path, indexBuildChunkRows: 1 }).close();
    const store = new SqliteStore({ path, indexBuildChunkRows: 4 });
    const progress = await store.indexBuild();
    expect(progress).toMatchObject({ totalRowids: 30, complete: false });
    expect(progress.doneRowids).toBeLessThan(30);
    const during = manyRecords(5, 100);
    await store.write(during);
    expect((await store.list({ q: 'say hello', limit: 500 })).items).toHaveLength(35);
    await store.indexesBuilt();
    expect(await store.indexBuild()).toEqual({
      doneRowids: 30,
      totalRowids: 30,
      searchIndex: { doneRowids: 30, totalRowids: 30 },
      complete: true,
    });
    expect((await store.list({ tag: 'batch-2', limit: 500 })).items).toHaveLength(10 + 1);
    await store.close();

    // FTS5's integrity check is spelled as an INSERT: the connection must be writable, though it writes nothing.
    const migrated = new Database(path);
    checkSearchIndex(migrated);
    const indexes = migrated.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'genspan_generations_%'`).all();
    const names = indexes.map((row) => (row as { name: string }).name);
    expect(names).toEqual(
      expect.arrayContaining(['genspan_generations_model_ci', 'genspan_generations_provider_ci', 'genspan_generations_service_ci']),
    );
    expect(names).not.toContain('genspan_generations_model');
    migrated.close();
  });

  it('migrates a schema 9 file: builds the contentless search index beside the old one as rows change, then replaces it', async () => {
    const path = freshPath();
    const first = new SqliteStore({ path });
    const older = manyRecords(30);
    await first.write(older);
    await first.close();
    const raw = new Database(path);
    toSchema9(raw);
    raw.close();
    // Migrated, and closed before its build could end.
    await new SqliteStore({ path, indexBuildChunkRows: 1 }).close();

    const half = new Database(path);
    const build = () => half.prepare('SELECT done_rowid AS done, end_rowid AS end, replaced FROM genspan_search_build').get();
    expect(build()).toMatchObject({ end: 30, replaced: 0 });
    expect(half.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'genspan_search_next'`).pluck().get()).toMatch(
      /contentless_delete = 1/,
    );
    // Half built, as a store stops between chunks: rows up to 10 in the new index.
    half.exec(`INSERT INTO genspan_search_next (genspan_search_next) VALUES ('delete-all');
      INSERT INTO genspan_search_next (rowid, search_text) SELECT rowid, search_text FROM genspan_generations WHERE rowid <= 10;
      UPDATE genspan_search_build SET done_rowid = 10`);
    // Meanwhile rows are written (copies of the first three, rowids 31 to 33), changed and deleted, built or not: the
    // triggers keep both indexes right.
    half.exec(`CREATE TEMP TABLE copies AS SELECT * FROM genspan_generations WHERE rowid <= 3;
      UPDATE copies SET trace_id = 'f' || substr(trace_id, 2), id = 'f' || substr(id, 2);
      INSERT INTO genspan_generations SELECT * FROM copies;
      UPDATE genspan_generations SET search_text = 'goodbye moon' WHERE rowid IN (3, 20, 32);
      DELETE FROM genspan_generations WHERE rowid IN (4, 21, 33)`);
    expect(build()).toMatchObject({ done: 10, end: 30, replaced: 0 });
    half.prepare(`INSERT INTO genspan_search (genspan_search, rank) VALUES ('integrity-check', 1)`).run();
    expectIndexHoldsRows(half, 'genspan_search');
    expectIndexHoldsRows(half, 'genspan_search_next', 'rowid <= 10 OR rowid > 30');
    const moonIds = half
      .prepare('SELECT id FROM genspan_generations WHERE rowid IN (3, 20, 32) ORDER BY start_ms DESC, id DESC')
      .pluck()
      .all();
    half.close();

    // Searched while the build goes on (through the old index or the new one, never a scan), and once it has ended.
    const store = new SqliteStore({ path, indexBuildChunkRows: 4 });
    const queries = recordQueries(store);
    const during = (await store.list({ q: 'moon', limit: 500 })).items.map((item) => item.id);
    expect(queries.some((sql) => sql.includes('genspan_search MATCH'))).toBe(true);
    await store.indexesBuilt();
    const after = (await store.list({ q: 'moon', limit: 500 })).items.map((item) => item.id);
    expect(await store.indexBuild()).toEqual({
      doneRowids: 0,
      totalRowids: 0,
      searchIndex: { doneRowids: 30, totalRowids: 30 },
      complete: true,
    });
    await store.close();
    expect(during).toEqual(moonIds);
    expect(after).toEqual(moonIds);

    const migrated = new Database(path);
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    expect(migrated.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'genspan_search'`).pluck().get()).toMatch(/contentless_delete = 1/);
    expect(migrated.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE '%search_next%'`).pluck().all()).toEqual([]);
    expect(migrated.prepare('SELECT done_rowid AS done, end_rowid AS end, merge_steps, replaced FROM genspan_search_build').get()).toEqual({
      done: 30,
      end: 30,
      merge_steps: 0,
      replaced: 1,
    });
    // Settled: the segments the chunks and the writes meanwhile wrote (8 here) are merged into one.
    expect(migrated.prepare('SELECT count(DISTINCT segid) FROM genspan_search_idx').pluck().get()).toBe(1);
    checkSearchIndex(migrated);
    migrated.close();
  });

  it('migrates a schema 6 file: the background build adds the duration and token indexes, and those orders read them', async () => {
    const path = freshPath();
    const first = new SqliteStore({ path });
    await first.write(measuredRecords(40));
    await first.indexesBuilt();
    await first.close();
    const raw = new Database(path);
    toSchema9(raw);
    raw.exec('DROP INDEX genspan_generations_duration; DROP INDEX genspan_generations_tokens');
    raw.pragma('user_version = 6');
    raw.close();

    const store = new SqliteStore({ path });
    await store.indexesBuilt();
    const prepared = recordQueries(store);
    try {
      for (const sort of ['duration_desc', 'duration_asc', 'tokens_desc', 'tokens_asc'] as const) {
        const page = await store.list({ sort, limit: 3 });
        await store.list({ sort, limit: 3, cursor: page.nextCursor ?? undefined });
      }
    } finally {
      await store.close();
    }
    const sorted = prepared.filter((sql) => /ORDER BY (coalesce\()?iif\(instr\(generation, /.test(sql));
    // Each order, without and with a cursor.
    expect(sorted).toHaveLength(8);
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    for (const sql of sorted) {
      const parameters = Array.from({ length: sql.split('?').length - 1 }, () => 1);
      const plan = (migrated.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map((step) => step.detail);
      const index = sql.includes("'$.duration'") ? 'genspan_generations_duration' : 'genspan_generations_tokens';
      expect(plan.join('; ')).toMatch(new RegExp(`USING INDEX ${index}`));
      // Read in the index's order (a scan of it stops at the page's end); never the table, never a sort of every match.
      expect(plan.filter((detail) => /^SCAN genspan_generations$|TEMP B-TREE FOR ORDER BY/.test(detail))).toEqual([]);
    }
    migrated.close();
  });

  it("migrates a schema 7 file: the steps' (trace_id, start_ms) index is dropped, and its traces read as before", async () => {
    const path = freshPath();
    const first = new SqliteStore({ path });
    // Stored out of start order: the trace's steps come back in it.
    const steps = [3, 1, 2].map((span) => makeStep({ trace: 7, span, parent: span === 1 ? undefined : 1, atMs: span * 1_000 }));
    const trace = steps[0].traceId;
    await first.writeWithSpans([], new Map(), { steps, threads: [] });
    await first.close();
    const raw = new Database(path);
    toSchema9(raw);
    raw.exec('CREATE INDEX genspan_steps_trace ON genspan_steps (trace_id, start_ms, span_id)');
    raw.pragma('user_version = 7');
    raw.close();

    const store = new SqliteStore({ path });
    const [third, earliest, second] = steps;
    expect((await store.getTrace(trace))?.steps.map((step) => step.spanId)).toEqual([earliest, second, third].map((step) => step.spanId));
    await store.close();
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    expect(migrated.prepare(`SELECT name FROM sqlite_schema WHERE name = 'genspan_steps_trace'`).all()).toEqual([]);
    migrated.close();
  });

  it('merges the search index 16 segments at a time, in a new file and in a schema 8 file once migrated', async () => {
    const settings = (path: string) => {
      const raw = new Database(path, { readonly: true });
      const rows = raw.prepare(`SELECT k, v FROM genspan_search_config WHERE k IN ('automerge', 'crisismerge') ORDER BY k`).all();
      raw.close();
      return rows;
    };
    const expected = [
      { k: 'automerge', v: SEARCH_INDEX_MERGING.automerge },
      { k: 'crisismerge', v: SEARCH_INDEX_MERGING.crisismerge },
    ];
    const path = freshPath();
    const first = new SqliteStore({ path });
    const older = manyRecords(3);
    await first.write(older);
    await first.close();
    expect(settings(path)).toEqual(expected);

    const raw = new Database(path);
    toSchema9(raw);
    // FTS5's defaults, as a schema 8 file merges.
    raw.exec(`INSERT INTO genspan_search (genspan_search, rank) VALUES ('automerge', 4), ('crisismerge', 16)`);
    raw.pragma('user_version = 8');
    raw.close();
    const store = new SqliteStore({ path });
    const newer = manyRecords(2, 10);
    await store.write(newer);
    // Segments written before and after the change are read alike.
    expect((await store.list({ q: 'hello' })).items).toHaveLength(older.length + newer.length);
    await store.close();
    expect(settings(path)).toEqual(expected);
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    migrated.close();
  });
});
