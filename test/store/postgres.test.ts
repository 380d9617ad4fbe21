import { type AddressInfo, createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  IncompatibleDatabaseError,
  isRecordsRejectedError,
  isRetryableStoreError,
  StoreError,
  StoreUnavailableError,
  StoreUnwritableError,
} from '../../src/store/errors.js';
import { POSTGRES_SCHEMA_VERSION, PostgresStore } from '../../src/store/postgres.js';
import { SELECT_THREAD_TURNS, SELECT_TRACE_STEPS } from '../../src/store/trace-sql.js';
import { type PostgresServer, startPostgres, stoppableServer } from '../support/postgres.js';
import { storeContract } from './contract.js';
import { chatData, makeRecord, makeStep, manyRecords, measuredRecords, T0_MS, traceThread } from './fixtures.js';
import { query, TO_SCHEMA_9 } from './postgres-sql.js';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.destroy();
});

storeContract('PostgresStore', {
  create: async (options) => new PostgresStore({ connectionString: await server.createDatabase(), ...options }),
  migrated: async (fill) => {
    const url = await server.createDatabase();
    const previous = new PostgresStore({ connectionString: url });
    await fill(previous);
    await previous.indexesBuilt();
    await previous.close();
    await query(url, TO_SCHEMA_9 + TO_SCHEMA_5);
    return new PostgresStore({ connectionString: url });
  },
});

/** Takes a current database back to schema 5 (before the search and case-insensitive indexes); its rows stay. */
const TO_SCHEMA_5 = `
DROP INDEX genspan_generations_search; DROP INDEX genspan_generations_service_ci; DROP INDEX genspan_generations_model_ci;
DROP INDEX genspan_generations_provider_ci;
CREATE INDEX genspan_generations_service ON genspan_generations (service_name, start_ms, id);
CREATE INDEX genspan_generations_model ON genspan_generations (model, start_ms, id);
CREATE INDEX genspan_generations_provider ON genspan_generations (provider, start_ms, id);
UPDATE genspan_meta SET value = '5' WHERE key = 'schema_version';
`;

describe('PostgresStore server', () => {
  it('creates its schema once when several processes start at the same time', async () => {
    const url = await server.createDatabase();
    const stores = Array.from({ length: 5 }, () => new PostgresStore({ connectionString: url, pool: { max: 2 } }));
    await Promise.all(stores.map((store) => store.ready()));
    // Overlapping spans, each with the same start time whichever store writes it (as every copy of a span has).
    await Promise.all(stores.map((store, index) => store.write(manyRecords(10, 1 + index * 5, (at) => (index * 5 + at) * 10))));
    expect((await stores[0].list({ limit: 500 })).items).toHaveLength(30);
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('writes a batch of 800 with one INSERT statement, and 2500 in three inside one transaction, into a day already open', async () => {
    const store = new PostgresStore({ connectionString: await server.createDatabase() });
    // The background index build runs its own statements: it is over before they are counted. The day's partitions are
    // opened by a first write.
    await store.indexesBuilt();
    await store.write(manyRecords(1, 5000));
    const statements: string[] = [];
    const realQuery = pg.Client.prototype.query;
    const counting = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === 'string' ? first : (first.text ?? '')).trim();
      // The first write's day opened, the partitioned tables are analyzed in the background: not the write's statements.
      if (!text.startsWith('ANALYZE')) statements.push(text.split(/\s+/).slice(0, 3).join(' '));
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      expect(await store.write(manyRecords(800))).toEqual({ inserted: 800, duplicates: 0 });
      expect(statements).toEqual(['INSERT INTO genspan_generations']);
      statements.length = 0;
      expect(await store.write(manyRecords(2500, 1000))).toEqual({ inserted: 2500, duplicates: 0 });
      expect(statements).toEqual(['BEGIN', ...Array(3).fill('INSERT INTO genspan_generations'), 'COMMIT']);
    } finally {
      counting.mockRestore();
    }
    await store.close();
  });

  it('migrates a schema 1 database (before costs): its records are kept, without a cost, and new ones get theirs', async () => {
    const url = await server.createDatabase();
    const older = manyRecords(3).map((record) => ({ ...record, cost: null }));
    const first = new PostgresStore({ connectionString: url });
    await first.write(older);
    await first.close();
    // Back to the layout genspan wrote before costs: schema 1 had neither column, nor experiments (3), nor the cost index (4),
    // nor steps (5).
    await query(url, TO_SCHEMA_9);
    await query(url, 'DROP TABLE genspan_steps, genspan_traces, genspan_threads');
    await query(url, 'DROP INDEX genspan_generations_cost');
    await query(url, 'DROP TABLE genspan_experiments, genspan_experiment_results');
    await query(url, 'ALTER TABLE genspan_generations DROP COLUMN cost, DROP COLUMN cost_total');
    await query(url, `UPDATE genspan_meta SET value = '1' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    const newer = manyRecords(1, 10);
    await store.write(newer);
    expect((await store.get(newer[0].id))?.cost).toEqual(newer[0].cost);
    expect((await store.list({ minCost: 0 })).items.map((item) => item.id)).toEqual([newer[0].id]);
    await store.indexesBuilt();
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await store.close();
  });

  it('migrates a schema 3 database (before the cost index): its records keep their costs, and the index is added', async () => {
    const url = await server.createDatabase();
    const older = manyRecords(5);
    const first = new PostgresStore({ connectionString: url });
    await first.write(older);
    await first.close();
    await query(url, TO_SCHEMA_9);
    await query(url, 'DROP TABLE genspan_steps, genspan_traces, genspan_threads');
    await query(url, 'DROP INDEX genspan_generations_cost');
    await query(url, `UPDATE genspan_meta SET value = '3' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    expect((await store.list({ sort: 'cost_desc' })).items).toHaveLength(5);
    expect(await query(url, `SELECT indexname FROM pg_indexes WHERE indexname = 'genspan_generations_cost'`)).toHaveLength(1);
    await store.indexesBuilt();
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await store.close();
  });

  it('migrates a schema 4 database (before steps): its records are kept, and steps, traces and threads are written after', async () => {
    const url = await server.createDatabase();
    const older = manyRecords(3);
    const first = new PostgresStore({ connectionString: url });
    await first.write(older);
    await first.close();
    await query(url, TO_SCHEMA_9);
    await query(url, 'DROP TABLE genspan_steps, genspan_traces, genspan_threads');
    await query(url, `UPDATE genspan_meta SET value = '4' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    for (const record of older) expect(await store.get(record.id)).toEqual(record);
    const step = makeStep({ trace: 1, span: 1, atMs: 0, type: 'llm' });
    await store.writeWithSpans([], new Map(), { steps: [step], threads: [traceThread(1, 'conversation')] });
    expect((await store.stepLinks([step.traceId])).get(step.traceId)).toEqual([
      { spanId: step.spanId, parentSpanId: null, type: 'llm', generationId: older[0].id },
    ]);
    await store.indexesBuilt();
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await store.close();
  });

  it("migrates a schema 7 database: the steps' (trace_id, start_ms) index is dropped, and its traces read as before", async () => {
    const url = await server.createDatabase();
    // Stored out of start order: the trace's steps come back in it.
    const steps = [3, 1, 2].map((span) => makeStep({ trace: 7, span, parent: span === 1 ? undefined : 1, atMs: span * 1_000 }));
    const older = new PostgresStore({ connectionString: url });
    await older.writeWithSpans([], new Map(), { steps, threads: [] });
    await older.close();
    await query(url, TO_SCHEMA_9);
    await query(url, 'CREATE INDEX genspan_steps_trace ON genspan_steps (trace_id, start_ms, span_id)');
    await query(url, `UPDATE genspan_meta SET value = '7' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    const [third, earliest, second] = steps;
    expect((await store.getTrace(steps[0].traceId))?.steps.map((step) => step.spanId)).toEqual(
      [earliest, second, third].map((step) => step.spanId),
    );
    expect(await query(url, `SELECT indexname FROM pg_indexes WHERE indexname = 'genspan_steps_trace'`)).toEqual([]);
    // Search text is compressed with lz4 from then on, where the server has it (this one, from Debian, does).
    const [{ lz4 }] = await query(url, `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`);
    expect(lz4).toBe(true);
    expect(
      await query(
        url,
        `SELECT attcompression FROM pg_attribute WHERE attrelid = 'genspan_generations'::regclass AND attname = 'search_text'`,
      ),
    ).toEqual([{ attcompression: 'l' }]);
    // Text long enough to be compressed at all (PostgreSQL compresses a row past ~2 KB).
    const words = Array.from({ length: 600 }, (_, index) => `word${index}`).join(' ');
    const long = makeRecord({ trace: 9, span: 9, atMs: 0, generation: chatData({ messages: [{ role: 'user', content: words }] }) });
    await store.write([long]);
    expect(
      await query(url, 'SELECT pg_column_compression(search_text) AS method FROM genspan_generations WHERE id = $1', [long.id]),
    ).toEqual([{ method: 'lz4' }]);
    await store.indexesBuilt();
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await store.close();
  });

  it("migrates a schema 8 database: retention's batch is one call of a function, its commit setting kept to its transaction", async () => {
    const url = await server.createDatabase();
    const older = new PostgresStore({ connectionString: url });
    const oldTrace = [makeStep({ trace: 1, span: 1, atMs: 0 }), makeStep({ trace: 1, span: 2, parent: 1, type: 'llm', atMs: 10 })];
    const youngTrace = [makeStep({ trace: 2, span: 1, atMs: 3_600_000 })];
    await older.writeWithSpans([makeRecord({ trace: 1, span: 2, atMs: 10 })], new Map(), {
      steps: [...oldTrace, ...youngTrace],
      threads: [traceThread(1, 'thread-old')],
    });
    await older.close();
    await query(url, TO_SCHEMA_9);
    await query(url, 'DROP FUNCTION genspan_prune_batch');
    await query(url, `UPDATE genspan_meta SET value = '8' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    expect(await store.pruneBatch(T0_MS + 60_000, 20)).toMatchObject({ generations: 1, steps: 2, traces: 1, threads: 1 });
    expect((await store.getTrace(oldTrace[0].traceId))?.steps ?? []).toEqual([]);
    expect((await store.getTrace(youngTrace[0].traceId))?.steps.map((step) => step.spanId)).toEqual([youngTrace[0].spanId]);
    await store.indexesBuilt();
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    await store.close();
    // Its COMMIT does not wait for the WAL; writes after it on the same connection still do.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // This test cluster runs with it off; as a durable server's session would.
      await client.query('SET synchronous_commit = on');
      await client.query('BEGIN');
      await client.query(`SELECT genspan_prune_batch('{}', 0, '{}', '{}', '{}', 0, '{}')`);
      expect((await client.query('SHOW synchronous_commit')).rows).toEqual([{ synchronous_commit: 'off' }]);
      await client.query('COMMIT');
      expect((await client.query('SHOW synchronous_commit')).rows).toEqual([{ synchronous_commit: 'on' }]);
    } finally {
      await client.end();
    }
  });

  it("times a retention batch's hold in the server: a client that reads the reply late does not lengthen it", async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    await store.writeWithSpans([makeRecord({ trace: 1, span: 2, atMs: 10 })], new Map(), {
      steps: [makeStep({ trace: 1, span: 1, atMs: 0 }), makeStep({ trace: 1, span: 2, parent: 1, type: 'llm', atMs: 10 })],
      threads: [],
    });
    // Once the batch's call is sent (pg writes it to the socket at once), this process stalls as a garbage collection
    // would, while the server runs the batch and answers.
    const STALL_MS = 150;
    const stalled = new WeakSet<pg.PoolClient>();
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    pool.on('acquire', (client) => {
      if (stalled.has(client)) return;
      stalled.add(client);
      const send = client.query.bind(client) as (text: string, ...rest: unknown[]) => Promise<pg.QueryResult>;
      Object.assign(client, {
        // Whatever else is passed (the pool's own queries give a callback) goes on as given.
        query: (text: string, ...rest: unknown[]) => {
          const reply = send(text, ...rest);
          const values = rest[0] as unknown[] | undefined;
          const deletes = text.includes('genspan_prune_batch') && Array.isArray(values?.[0]) && values[0].length > 0;
          const until = performance.now() + (deletes ? STALL_MS : 0);
          while (performance.now() < until);
          return reply;
        },
      });
    });
    const started = performance.now();
    const batch = await store.pruneBatch(T0_MS + 60_000, 20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(STALL_MS);
    expect(batch).toMatchObject({ generations: 1, steps: 2, traces: 1 });
    expect(batch.heldMs).toBeGreaterThan(0);
    expect(batch.heldMs).toBeLessThan(STALL_MS / 2);
    await store.close();
  });

  it("reads a trace's steps (by its primary key) and a thread's traces, with their roots, by indexes, no sequential scan", async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    // A record opens its day's partitions (a partitioned table with none is answered without reading anything).
    await store.write(manyRecords(1));
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Empty tables are read whole whatever indexes they have: with sequential scans priced out, the plan shows whether
      // an index serves each read.
      await client.query('SET enable_seqscan = off');
      for (const sql of [SELECT_TRACE_STEPS('$1'), SELECT_THREAD_TURNS('$1')]) {
        const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.replaceAll('$1', "'id'")}`)).rows
          .map((row) => row['QUERY PLAN'])
          .join('\n');
        expect(plan).not.toMatch(/Seq Scan/);
        expect(plan).toMatch(/Index (Only )?Scan (using|on) genspan_(steps_\d{8}_trace_id_span_id_start_ms_idx|traces_thread)/);
      }
    } finally {
      await client.end();
    }
  });

  it('lists a page of traces, filtered or not, reading each listed trace through indexes, never a sequential scan', async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    await store.write(manyRecords(1));
    const sent: { text: string; values: unknown[] }[] = [];
    const realQuery = pg.Pool.prototype.query;
    const capture = vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(function (this: pg.Pool, ...args: unknown[]) {
      if (typeof args[0] === 'string' && args[0].includes('genspan_traces')) sent.push({ text: args[0], values: args[1] as unknown[] });
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      await store.listTraces();
      await store.listTraces({ model: 'gpt-4o', errorsOnly: true });
    } finally {
      capture.mockRestore();
      await store.close();
    }
    expect(sent).toHaveLength(2);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plans: string[] = [];
      for (const { text, values } of sent) {
        plans.push(
          (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows.map((row) => row['QUERY PLAN']).join('\n'),
        );
      }
      for (const plan of plans) {
        expect(plan).not.toMatch(/Seq Scan/);
        expect(plan).toMatch(/Index (Only )?Scan using genspan_generations_\d{8}_\w+_idx/);
      }
      // Unfiltered, the page is the first rows of the traces' index, read backward.
      expect(plans[0]).toMatch(/Index Scan Backward using genspan_traces_start/);
    } finally {
      await client.end();
    }
  });

  it('migrates a schema 6 database: the duration and token indexes are built concurrently after, and those orders read them', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    await first.write(measuredRecords(40));
    await first.indexesBuilt();
    await first.close();
    await query(url, TO_SCHEMA_9);
    await query(url, 'DROP INDEX genspan_generations_duration, genspan_generations_tokens');
    await query(url, `UPDATE genspan_meta SET value = '6' WHERE key = 'schema_version'`);

    const store = new PostgresStore({ connectionString: url });
    await store.indexesBuilt();
    const sent: { text: string; values: unknown[] }[] = [];
    const realQuery = pg.Pool.prototype.query;
    const capture = vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(function (this: pg.Pool, ...args: unknown[]) {
      if (typeof args[0] === 'string' && args[0].includes('AS sort_value')) sent.push({ text: args[0], values: args[1] as unknown[] });
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      for (const sort of ['duration_desc', 'duration_asc', 'tokens_desc', 'tokens_asc'] as const) {
        const page = await store.list({ sort, limit: 3 });
        await store.list({ sort, limit: 3, cursor: page.nextCursor ?? undefined });
      }
    } finally {
      capture.mockRestore();
      await store.close();
    }
    expect(await query(url, `SELECT value FROM genspan_meta WHERE key = 'schema_version'`)).toEqual([
      { value: String(POSTGRES_SCHEMA_VERSION) },
    ]);
    const sorted = sent.filter(({ text }) => /ORDER BY (coalesce\()?\(CASE WHEN strpos\(generation, /.test(text));
    // Each order, without and with a cursor.
    expect(sorted).toHaveLength(8);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      for (const { text, values } of sorted) {
        const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows
          .map((row) => row['QUERY PLAN'])
          .join('\n');
        const index = text.includes("'duration'") ? 'genspan_generations_duration' : 'genspan_generations_tokens';
        expect(plan).not.toMatch(/Seq Scan/);
        // On so few rows a bitmap scan of the index may win over reading it in order: either way, the index.
        expect(plan).toMatch(new RegExp(`Index Scan (Backward )?(using|on) ${index}`));
      }
    } finally {
      await client.end();
    }
  });

  it('refuses a database holding a newer genspan schema', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    await first.ready();
    await first.close();
    await query(url, `UPDATE genspan_meta SET value = '99' WHERE key = 'schema_version'`);
    const store = new PostgresStore({ connectionString: url });
    await expect(store.ready()).rejects.toThrow(IncompatibleDatabaseError);
    await expect(store.list()).rejects.toThrow(/holds genspan schema 99/);
    await store.close();
  });

  it('reports an unreachable server in one message without the password', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const store = new PostgresStore({
      connectionString: `postgresql://genspan:s3cret-Passw0rd@127.0.0.1:${closedPort}/genspan`,
      pool: { connectionTimeoutMillis: 2000 },
    });
    const error = await store.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isRetryableStoreError(error)).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${closedPort} is unreachable: `));
    expect((error as Error).message).not.toContain('s3cret-Passw0rd');
    expect(JSON.stringify(error)).not.toContain('s3cret-Passw0rd');
    await store.close();
  });

  it('rejects a malformed connection string without echoing it', () => {
    let error: unknown;
    try {
      new PostgresStore({ connectionString: 'postgresql://genspan:s3cret%@host:99999/db' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/connection string is not valid/);
    expect(JSON.stringify(error) + String((error as Error).cause) + (error as Error).stack).not.toContain('s3cret');
  });

  it('names a missing database clearly', async () => {
    const url = new URL(server.url);
    url.pathname = '/no_such_database';
    const store = new PostgresStore({ connectionString: url.toString() });
    const error = await store.ready().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/refused the connection: database "no_such_database" does not exist/);
    await store.close();
  });

  it('fails retryably while the server is down and writes again once it is back', async () => {
    const stoppable = await stoppableServer(server);
    const store = new PostgresStore({ connectionString: await stoppable.server.createDatabase(), pool: { connectionTimeoutMillis: 2000 } });
    try {
      expect(await store.write(manyRecords(10, 1))).toEqual({ inserted: 10, duplicates: 0 });
      await stoppable.server.stop();
      try {
        const error = await store.write(manyRecords(10, 11)).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+ is unreachable/);
      } finally {
        await stoppable.server.start();
      }
      expect(await store.write(manyRecords(20, 1))).toEqual({ inserted: 10, duplicates: 10 });
      expect((await store.list({ limit: 500 })).items).toHaveLength(20);
    } finally {
      await store.close();
      await stoppable.release();
    }
  });

  it('fails a query the server does not answer retryably after query_timeout, and the pool recovers', async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url, pool: { query_timeout: 300 } });
    // The background index build is over first: the lock below would hold it up too.
    await store.indexesBuilt();
    const records = manyRecords(3);
    // A lock held elsewhere keeps the insert waiting, as a server that stopped answering would.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE genspan_generations IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const error = await store.write(records).catch((caught: unknown) => caught);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+ did not answer within 300 ms \(query_timeout\)/);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    // The server may still run the abandoned insert once the lock is gone: writing again is safe, being idempotent.
    const again = await store.write(records);
    expect(again.inserted + again.duplicates).toBe(3);
    expect((await store.list()).items).toHaveLength(3);
    await store.close();
  });

  it('uses keepAlive and a 30 s query timeout unless told otherwise', async () => {
    const store = new PostgresStore({ connectionString: server.url });
    const options = (store as unknown as { pool: { options: pg.PoolConfig } }).pool.options;
    expect(options).toMatchObject({ query_timeout: 30_000, keepAlive: true, connectionTimeoutMillis: 10_000 });
    await store.close();
  });

  it('reports a database it may not write to as unwritable: not retryable, not a rejection of the records', async () => {
    const url = await server.createDatabase();
    const owner = new PostgresStore({ connectionString: url });
    await owner.ready();
    await owner.close();
    const role = `genspan_reader_${process.pid}_${Date.now().toString(36)}`;
    await query(url, `CREATE ROLE ${role} LOGIN`);
    const readerUrl = new URL(url);
    readerUrl.username = role;
    const reader = new PostgresStore({ connectionString: readerUrl.toString() });
    try {
      // Enough to open the store (which stamps its schema version) and read, not to write records.
      await query(url, `GRANT CREATE ON SCHEMA public TO ${role}`);
      await query(url, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      await query(url, `GRANT INSERT, UPDATE ON genspan_meta TO ${role}`);
      expect((await reader.list()).items).toEqual([]);
      const error = await reader.write(manyRecords(2)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnwritableError);
      expect(isRetryableStoreError(error)).toBe(false);
      expect(isRecordsRejectedError(error)).toBe(false);
      expect((error as Error).message).toMatch(/cannot be used: (permission denied|must be owner) .*\(SQLSTATE 42501\)/);
    } finally {
      await reader.close();
      await query(url, `DROP OWNED BY ${role}`);
      await query(url, `DROP ROLE ${role}`);
    }
  });
});

describe('PostgresStore search indexes', () => {
  it('builds the indexes of a schema 5 database concurrently: valid, serving LIKE, the exact ones replaced', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ connectionString: url });
    await first.write(manyRecords(20));
    await first.indexesBuilt();
    await first.close();
    await query(url, TO_SCHEMA_9 + TO_SCHEMA_5);

    const store = new PostgresStore({ connectionString: url });
    await store.indexesBuilt();
    expect((await store.list({ q: 'SAY HELLO', limit: 500 })).items).toHaveLength(20);
    await store.close();
    const indexes = await query<{ name: string; valid: boolean }>(
      url,
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'genspan_generations'::regclass`,
    );
    const valid = Object.fromEntries(indexes.map((index) => [index.name, index.valid]));
    expect(valid).toMatchObject({
      genspan_generations_search: true,
      genspan_generations_model_ci: true,
      genspan_generations_provider_ci: true,
      genspan_generations_service_ci: true,
    });
    expect(valid).not.toHaveProperty('genspan_generations_model');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // A table this small is read whole; without that choice, the plan shows which index serves the condition.
      await client.query('SET enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM genspan_generations WHERE search_text LIKE '%hello%'`,
      );
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/genspan_generations_search/);
      const lower = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM genspan_generations WHERE lower(model) = lower('GPT-4o')`,
      );
      expect(lower.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/genspan_generations_model_ci/);
    } finally {
      await client.end();
    }
  });

  const IDLE_IN_TRANSACTION = "WHERE datname = current_database() AND state = 'idle in transaction'";

  it('rejects, not throws into the process, when its connection is cut between the queries of a transaction', async () => {
    const url = await server.createDatabase();
    const store = new PostgresStore({ connectionString: url });
    await store.ready();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const work = store.exclusive!(['a'.repeat(32)], async (view) => {
        // Between two queries, the server ends this transaction's connection (as a fast shutdown or a failover does).
        const cut = await admin.query<{ cut: boolean }>(
          `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity ${IDLE_IN_TRANSACTION}`,
        );
        expect(cut.rows.map((row) => row.cut)).toEqual([true]);
        // The backend is gone once the server lists it no more: its last message to this client was sent before.
        await vi.waitFor(async () => {
          const left = await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'",
          );
          expect(left.rowCount).toBe(0);
        });
        return view.stepLinks(['a'.repeat(32)]);
      });
      await expect(work).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The pool gave up the cut connection: the store keeps working.
      expect(await store.getTrace('a'.repeat(32))).toBeUndefined();
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await store.close();
    }
  });
});
