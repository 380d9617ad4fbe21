import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isRecordsRejectedError, isRetryableStoreError } from '../../src/store/errors.js';
import { INDEX_BUILD_LOCK_KEY, POSTGRES_SCHEMA_VERSION, PostgresStore } from '../../src/store/postgres.js';
import { LEGACY_BOUND, PARTITION_WEEK_MS, partitionName, partitionWeeks } from '../../src/store/postgres-partitions.js';
import { runRetention } from '../../src/store/retention.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { makeRecord, makeStep, manyRecords, T0_MS } from './fixtures.js';
import { query, TO_SCHEMA_9 } from './postgres-sql.js';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.destroy();
});

/** Each partition of `table` with its bounds and how many rows it holds, oldest first. */
async function partitions(url: string, table: string): Promise<{ name: string; bound: string; rows: number }[]> {
  const found = await query<{ name: string; bound: string }>(
    url,
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  const counted = [];
  for (const partition of found) {
    const [{ rows }] = await query<{ rows: number }>(url, `SELECT count(*)::int AS rows FROM ${partition.name}`);
    counted.push({ ...partition, rows });
  }
  return counted;
}

const WEEK = PARTITION_WEEK_MS;
const weekOf = (ms: number) => Math.floor(ms / WEEK);

describe('week partitions: names and weeks', () => {
  it("names a partition by its first day's UTC date (a Thursday), and one before year 0 with a sign", () => {
    expect(partitionName('genspan_generations', weekOf(Date.UTC(2026, 11, 4, 23, 59)))).toBe('genspan_generations_20261203');
    expect(partitionName('genspan_generations', weekOf(Date.UTC(2026, 11, 3)))).toBe('genspan_generations_20261203');
    expect(partitionName('genspan_steps', 0)).toBe('genspan_steps_19700101');
    expect(partitionName('genspan_steps', weekOf(Date.UTC(-1, 0, 1)))).toMatch(/^genspan_steps_m\d{10}$/);
  });

  it("gives each start time's week once, in order, leaving out those before where the week partitions start", () => {
    const first = Date.UTC(2026, 0, 1);
    expect(partitionWeeks([first + 2 * WEEK + 5, first + 10, first + 2 * WEEK, -1], Number.NEGATIVE_INFINITY)).toEqual([
      -1,
      weekOf(first),
      weekOf(first) + 2,
    ]);
    expect(partitionWeeks([first + 10, first + WEEK + 10], first + WEEK)).toEqual([weekOf(first) + 1]);
  });
});

describe('PostgresStore week partitions', () => {
  it("writes each generation and step into its start week's partition, opened by the first write of that week", async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    const records = [0, 1, 3].map((week, index) => makeRecord({ span: index + 1, atMs: week * WEEK + 1000 }));
    const steps = [0, 1, 3].map((week, index) => makeStep({ trace: index + 1, span: index + 1, atMs: week * WEEK + 1000, type: 'llm' }));
    expect(await store.write(records, { steps, threads: [] })).toEqual({ inserted: 3, duplicates: 0 });
    for (const table of ['genspan_generations', 'genspan_steps']) {
      expect(await partitions(url, table)).toEqual(
        [0, 1, 3].map((week) => ({
          name: partitionName(table, weekOf(T0_MS) + week),
          bound: `FOR VALUES FROM ('${T0_MS + week * WEEK}') TO ('${T0_MS + (week + 1) * WEEK}')`,
          rows: 1,
        })),
      );
    }
    // Written again, the same spans meet their first copies in their partitions.
    expect(await store.write(records, { steps, threads: [] })).toEqual({ inserted: 0, duplicates: 3 });
    expect((await store.list({ limit: 10 })).items.map((item) => item.id)).toEqual(records.map((record) => record.id).reverse());
    expect((await store.getTrace(steps[2].traceId))?.steps.map((step) => step.spanId)).toEqual([steps[2].spanId]);
    await store.close();
  });

  it("gathers the partitioned tables' own statistics (autovacuum never does) once a write opened a week", async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    await store.write(manyRecords(20), { steps: [makeStep({ trace: 1, span: 1, atMs: 0 })], threads: [] });
    const inherited = `SELECT DISTINCT tablename FROM pg_stats WHERE inherited AND tablename IN ('genspan_generations', 'genspan_steps')
      ORDER BY tablename`;
    await vi.waitFor(async () => expect(await query(url, inherited)).toHaveLength(2), { timeout: 10_000, interval: 50 });
    await store.close();
  });

  it('stores a copy of a span with another start time as a row of its own: the keys hold the start time', async () => {
    const store = new PostgresStore({ connectionString: await server.createDatabase() });
    const first = makeRecord({ span: 7, atMs: 1000 });
    expect(await store.write([first])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.write([first])).toEqual({ inserted: 0, duplicates: 1 });
    // Only a library caller can write one (every copy of a span the ingest sees has the span's start time): checking
    // every week's partition for it would cost each write a probe per partition.
    const moved = makeRecord({ span: 7, atMs: 2 * WEEK });
    expect(await store.write([moved])).toEqual({ inserted: 1, duplicates: 0 });
    expect((await store.list({ limit: 10 })).items.map((item) => item.startTime)).toEqual([moved.startTime, first.startTime]);
    await store.close();
  });

  it('opens a week for every view of the process at once: a write beside a view still open sees the partition', async () => {
    const store = new PostgresStore({ connectionString: await server.createDatabase() });
    const first = makeRecord({ span: 1, atMs: 9 * WEEK });
    const second = makeRecord({ span: 2, atMs: 9 * WEEK + 1000 });
    // As the server's ingest writes: each request in a view of its own, a transaction holding its traces. The first
    // view opens the week and stays open while the second writes into it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let opened = () => {};
    const written = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const firstView = store.exclusive([first.traceId], async (view) => {
      const result = await view.writeWithSpans([first], new Map());
      opened();
      await held;
      return result;
    });
    await written;
    expect(await store.exclusive([second.traceId], (view) => view.writeWithSpans([second], new Map()))).toEqual({
      inserted: 1,
      duplicates: 0,
    });
    release();
    expect(await firstView).toEqual({ inserted: 1, duplicates: 0 });
    await store.close();
  });

  it('lets several processes open the same new week at once: every write lands, each span once', async () => {
    const url = await server.createDatabase();
    const stores = Array.from({ length: 4 }, () => new PostgresStore({ connectionString: url, pool: { max: 2 } }));
    await Promise.all(stores.map((store) => store.ready()));
    const atMs = (span: number) => 5 * WEEK + span * 1000;
    const results = await Promise.all(
      stores.map((store, index) =>
        store.write(
          Array.from({ length: 20 }, (_, at) => makeRecord({ span: index * 10 + at + 1, atMs: atMs(index * 10 + at + 1) })),
          { steps: [makeStep({ trace: 900 + index, span: 900 + index, atMs: atMs(900 + index) })], threads: [] },
        ),
      ),
    );
    expect(results.reduce((sum, result) => sum + result.inserted, 0)).toBe(50);
    expect(await partitions(url, 'genspan_generations')).toEqual([expect.objectContaining({ rows: 50 })]);
    expect(await partitions(url, 'genspan_steps')).toEqual([expect.objectContaining({ rows: 4 })]);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('partitions a schema 9 database while a writer goes on: its tables become the partition before the cutover, kept whole', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    const older = manyRecords(30);
    const olderSteps = older.map((_, index) => makeStep({ trace: index + 1, span: index + 1, atMs: index * 10, type: 'llm' }));
    await first.write(older, { steps: olderSteps, threads: [] });
    await first.close();
    await query(url, TO_SCHEMA_9);
    expect(await partitions(url, 'genspan_generations')).toEqual([]);

    const store = new PostgresStore({ connectionString: url });
    const writer = new PostgresStore({ connectionString: url });
    // Written while the tables are partitioned (start times now, before the cutover): none refused, none lost.
    const written: string[] = [];
    let converting = true;
    const writes = (async () => {
      for (let span = 1000; converting || written.length < 5; span += 1) {
        const record = { ...makeRecord({ span }), startTime: new Date().toISOString(), endTime: new Date().toISOString() };
        await writer.write([record]);
        written.push(record.id);
      }
    })();
    await Promise.all([store.indexesBuilt(), writer.indexesBuilt()]);
    converting = false;
    await writes;

    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    const [{ value }] = await query<{ value: string }>(url, `SELECT value FROM genspan_meta WHERE key = 'partitions_from_ms'`);
    const cutover = Number(value);
    expect(cutover % WEEK).toBe(0);
    expect(cutover).toBeGreaterThan(Date.now());
    expect(cutover).toBeLessThanOrEqual(Date.now() + WEEK);
    for (const table of ['genspan_generations', 'genspan_steps']) {
      const [legacy] = await partitions(url, table);
      expect(legacy).toMatchObject({ name: `${table}_legacy`, bound: `FOR VALUES FROM (MINVALUE) TO ('${cutover}')` });
    }
    expect((await partitions(url, 'genspan_generations'))[0].rows).toBe(30 + written.length);
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    for (const id of written) expect(await store.get(id)).not.toBeNull();
    // The stored rows still meet their copies; a late one goes to the stored table, one after the cutover to its week.
    expect(await store.write(older, { steps: olderSteps, threads: [] })).toEqual({ inserted: 0, duplicates: 30 });
    const late = makeRecord({ span: 500, atMs: 3 * WEEK });
    const next = {
      ...makeRecord({ span: 501 }),
      startTime: new Date(cutover + 1000).toISOString(),
      endTime: new Date(cutover + 2000).toISOString(),
    };
    expect(await store.write([late, next])).toEqual({ inserted: 2, duplicates: 0 });
    expect((await partitions(url, 'genspan_generations')).map((partition) => [partition.name, partition.rows])).toEqual([
      [partitionName('genspan_generations', weekOf(cutover)), 1],
      ['genspan_generations_legacy', 31 + written.length],
    ]);
    // Retention's function plans its statements once, generically (a migrated database gets it as a new one does).
    expect(await query(url, `SELECT proconfig FROM pg_proc WHERE proname = 'genspan_prune_batch'`)).toEqual([
      { proconfig: ['plan_cache_mode=force_generic_plan'] },
    ]);
    // The stored tables' indexes are the parent's, attached, not built again: one of each name.
    expect(
      await query(url, `SELECT indexname FROM pg_indexes WHERE tablename = 'genspan_generations_legacy' AND indexname LIKE '%search%'`),
    ).toEqual([{ indexname: 'genspan_generations_search_legacy' }]);
    await Promise.all([store.close(), writer.close()]);
  });

  it("refuses a row past a stored table's bound while its database is partitioned retryably: the records are not at fault", async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    await first.write(manyRecords(2));
    await first.close();
    await query(url, TO_SCHEMA_9);
    // As `partitionStored` leaves the table between its check and the partitioning: a newer process has not finished.
    await query(
      url,
      `ALTER TABLE genspan_generations ADD CONSTRAINT ${LEGACY_BOUND('genspan_generations')} CHECK (start_ms < ${T0_MS + WEEK}) NOT VALID`,
    );
    // Held by the test, the index build (and so the partitioning) waits; the write meets the check.
    const lock = new pg.Client({ connectionString: url });
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [INDEX_BUILD_LOCK_KEY]);
    const store = new PostgresStore({ connectionString: url });
    try {
      const error = await store.write([makeRecord({ span: 9, atMs: 2 * WEEK })]).catch((caught: unknown) => caught);
      expect(isRetryableStoreError(error)).toBe(true);
      expect(isRecordsRejectedError(error)).toBe(false);
      expect((error as Error).message).toMatch(/has no partition for the records yet/);
      expect(await store.write([makeRecord({ span: 10, atMs: 1000 })])).toEqual({ inserted: 1, duplicates: 0 });
    } finally {
      await lock.end();
      await store.close();
    }
  });

  it('gives back the week partitions retention emptied, in short holds, and opens a week again for a late row', async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    // Another process, which wrote the weeks before retention dropped them, and writes a late row of one after.
    const writer = new PostgresStore({ connectionString: url });
    const weeks = [0, 1, 4];
    const records = weeks.map((week, index) => makeRecord({ span: index + 1, atMs: week * WEEK + 1000 }));
    const steps = weeks.map((week, index) => makeStep({ trace: index + 1, span: index + 1, atMs: week * WEEK + 1000, type: 'llm' }));
    await writer.write(records, { steps, threads: [] });
    const holds: number[] = [];
    const report = await runRetention(store, { retainMs: 0 }, T0_MS + 3 * WEEK);
    expect(report).toMatchObject({ generations: 2, steps: 2 });
    expect(report.reclaimedBytes).toBeGreaterThan(0);
    expect(report.longestReclaimMs).toBeGreaterThan(0);
    // A second run has nothing to delete; reclaimSpace itself finds nothing more to drop.
    expect(await store.reclaimSpace((ms) => holds.push(ms))).toBe(0);
    expect(holds).toEqual([]);
    for (const table of ['genspan_generations', 'genspan_steps']) {
      expect((await partitions(url, table)).map((partition) => partition.name)).toEqual([partitionName(table, weekOf(T0_MS) + 4)]);
    }
    expect((await store.list({ limit: 10 })).items.map((item) => item.id)).toEqual([records[2].id]);
    // A late record of a dropped week opens it again, in the process that dropped it and in one that knew it open.
    expect(await writer.write([records[0]])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.write([records[1]])).toEqual({ inserted: 1, duplicates: 0 });
    expect((await partitions(url, 'genspan_generations')).map((partition) => partition.rows)).toEqual([1, 1, 1]);
    await Promise.all([store.close(), writer.close()]);
  });

  it('drops the stored table once retention emptied it, and then opens week partitions for rows of any week', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    const older = manyRecords(3);
    await first.write(older);
    await first.close();
    await query(url, TO_SCHEMA_9);
    const store = new PostgresStore({ connectionString: url });
    await store.indexesBuilt();
    // The stored tables' range ends next week: it is made to end a week after T0, as if the store had been
    // partitioned then, so that it ended over a day ago.
    for (const table of ['genspan_generations', 'genspan_steps']) {
      await query(url, `ALTER TABLE ${table} DETACH PARTITION ${table}_legacy`);
      await query(url, `ALTER TABLE ${table} ATTACH PARTITION ${table}_legacy FOR VALUES FROM (MINVALUE) TO (${T0_MS + WEEK})`);
    }
    await query(url, `UPDATE genspan_meta SET value = $1 WHERE key = 'partitions_from_ms'`, [String(T0_MS + WEEK)]);
    const report = await runRetention(store, { retainMs: 0 }, T0_MS + WEEK);
    expect(report.generations).toBe(3);
    for (const table of ['genspan_generations', 'genspan_steps']) expect(await partitions(url, table)).toEqual([]);
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'partitions_from_ms'`)).toEqual([{ value: '-Infinity' }]);
    expect(await store.write(older)).toEqual({ inserted: 3, duplicates: 0 });
    expect((await partitions(url, 'genspan_generations')).map((partition) => partition.name)).toEqual([
      partitionName('genspan_generations', weekOf(T0_MS)),
    ]);
    await store.close();
  });
});
