/**
 * The large store in PostgreSQL (issue 13): the same traces bench/large-store.ts writes into SQLite, written through
 * `PostgresStore.writeWithSpans`, into a cluster kept in `.bench-cache/` (its data directory, started with pg_ctl by
 * the benchmark and stopped after it) and reused while its manifest matches; one cached at an older schema is migrated by
 * the store, the migration timed while a writer writes a trace every `MIGRATION_WRITE_EVERY_MS` (each write timed,
 * its traces deleted again afterwards).
 *
 * The rows are written at the current schema, every index live, into the day partitions their start times fall in
 * (30 days, ~33,000 generations a day): the store a server that took them as they came would hold.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { POSTGRES_SCHEMA_VERSION, PostgresStore } from '../src/store/postgres.js';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';
import {
  LARGE_STORE_DEFAULT_GENERATIONS,
  LARGE_STORE_DEFAULT_SEED,
  type LargeStoreMigration,
  largeStoreFolder,
  MIGRATION_WRITE_EVERY_MS,
  probeTraces,
  storeTraces,
  timeMigration,
  writeTraces,
} from './large-store.js';

/**
 * Bumped whenever what this builder writes changes (with large-store.ts's own version). 2: schema 8 stores search
 * text with lz4, which rows written before keep out of (a cluster of version 1 holds pglz rows). 3: the rows are
 * written at the current schema (10: day partitions), not at schema 5's indexes and then migrated.
 */
const BUILDER_VERSION = 3;
const DATABASE = 'genspan_large';
/**
 * Server settings of the benchmark's cluster: memory for building a GIN index over 2.5 GB of text (the default 64 MB
 * makes it spill to disk many times over) and a page cache closer to a server's than the default 128 MB.
 */
export const LARGE_POSTGRES_SETTINGS = ['maintenance_work_mem=512MB', 'shared_buffers=1GB', 'max_wal_size=4GB'] as const;

interface Manifest {
  builder: number;
  schema: number;
  generations: number;
  seed: number;
  /** Writing the rows through the store. */
  loadSeconds: number;
  loadCpuSeconds: number;
  /** Measured when a cached store of an older schema was migrated; none for a store built at the current one. */
  migration?: LargeStoreMigration;
}

export interface LargePostgres extends Manifest {
  server: PostgresServer;
  url: string;
  /** The cluster's data directory. */
  folder: string;
  /** Whether it was built now (else it was found in the cache). */
  built: boolean;
  /** The database's size. */
  bytes: number;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(server: PostgresServer): string {
  const url = new URL(server.url);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

/** Deletes a benchmark's extra traces again (generations, steps, traces). */
export async function deletePostgresTraces(url: string, traceIds: readonly string[]): Promise<void> {
  const tables = ['genspan_generations', 'genspan_steps', 'genspan_traces'];
  await withClient(url, async (client) => {
    for (const table of tables) await client.query(`DELETE FROM ${table} WHERE trace_id = ANY($1)`, [traceIds]);
  });
  await vacuumPostgres(url);
}

/**
 * After a benchmark deleted or rewrote rows: the bench's server stops before autovacuum is done with the dead rows.
 * Left, they piled up run after run (a quarter of the rows, measured) and every run measured its writes beside
 * whatever vacuum they were due. A store in service has autovacuum; this one is put back as it was built (README,
 * Performance).
 */
export async function vacuumPostgres(url: string): Promise<void> {
  await withClient(url, (client) => client.query('VACUUM (ANALYZE)'));
}

/** Opens the database of schema `fromSchema` with the current store, which migrates it, timed by `timeMigration`. */
async function migrate(url: string, fromSchema: number, log: (line: string) => void): Promise<LargeStoreMigration> {
  log(`  migrating from schema ${fromSchema} to ${POSTGRES_SCHEMA_VERSION}, a write every ${MIGRATION_WRITE_EVERY_MS} ms`);
  const { traceIds, ...timing } = await timeMigration(
    async () => {
      const store = new PostgresStore({ connectionString: url });
      await store.ready();
      return store;
    },
    async (_store, seconds, writes) => `${seconds.toFixed(0)} s: migrating, ${writes} writes meanwhile`,
    log,
  );
  await deletePostgresTraces(url, traceIds);
  // buildCpuSeconds is this process's CPU only: the index build runs in the PostgreSQL server.
  return { fromSchema, toSchema: POSTGRES_SCHEMA_VERSION, ...timing };
}

async function build(server: PostgresServer, generations: number, seed: number, log: (line: string) => void): Promise<Manifest> {
  await withClient(server.url, (client) => client.query(`CREATE DATABASE ${DATABASE}`));
  const store = new PostgresStore({ connectionString: databaseUrl(server) });
  await store.indexesBuilt();
  log(`  writing ${generations.toLocaleString('en')} generations through PostgresStore`);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let nextReport = 0;
  try {
    await writeTraces(store, storeTraces(seed, generations), (written) => {
      if (written < nextReport) return;
      nextReport += Math.max(2_000, Math.floor(generations / 10));
      const seconds = (performance.now() - started) / 1000;
      log(`  ${written.toLocaleString('en')} generations written, ${seconds.toFixed(0)} s, ${(written / seconds).toFixed(0)}/s`);
    });
    await writeTraces(store, probeTraces(seed));
  } finally {
    await store.close();
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    builder: BUILDER_VERSION,
    schema: POSTGRES_SCHEMA_VERSION,
    generations,
    seed,
    loadSeconds,
    loadCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/**
 * The large PostgreSQL store, its cluster started: the cached one when its manifest matches, else (when `build`) made
 * now. Resolves undefined when none is cached and building was not asked for. The caller stops the server.
 */
export async function largePostgres(
  options: { generations?: number; seed?: number; build?: boolean; log?: (line: string) => void } = {},
): Promise<LargePostgres | undefined> {
  const generations = options.generations ?? LARGE_STORE_DEFAULT_GENERATIONS;
  const seed = options.seed ?? LARGE_STORE_DEFAULT_SEED;
  const log = options.log ?? (() => {});
  const name = `pg-large-${generations}-s${seed}`;
  const folder = join(largeStoreFolder(), name);
  const manifestPath = join(largeStoreFolder(), `${name}.json`);
  let manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest) : undefined;
  const matches =
    manifest?.builder === BUILDER_VERSION &&
    manifest.schema <= POSTGRES_SCHEMA_VERSION &&
    manifest.generations === generations &&
    manifest.seed === seed &&
    existsSync(folder);
  if (!matches && !options.build) return undefined;
  let built = false;
  if (!matches) {
    rmSync(manifestPath, { force: true });
    rmSync(folder, { recursive: true, force: true });
  }
  const server = await startPostgres({ durable: true, folder, settings: LARGE_POSTGRES_SETTINGS });
  try {
    const url = databaseUrl(server);
    if (!matches) {
      manifest = await build(server, generations, seed, log);
      await vacuumPostgres(url);
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      built = true;
    } else if (manifest && manifest.schema < POSTGRES_SCHEMA_VERSION) {
      // Cached at an older schema: the rows are the same, so the store migrates it as it would any database, timed.
      const migration = await migrate(url, manifest.schema, log);
      manifest = { ...manifest, schema: POSTGRES_SCHEMA_VERSION, migration };
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const bytes = await withClient(url, async (client) => {
      const { rows } = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
      return Number(rows[0].bytes);
    });
    return { ...(manifest as Manifest), server, url, folder, built, bytes };
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
