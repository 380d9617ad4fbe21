import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { shippedPriceTable } from '../src/generation/prices.js';
import type { GenerationRecord } from '../src/generation/record.js';
import { toGenerationRecord } from '../src/ingest/record.js';
import { GENERATION_COLUMNS, toRow } from '../src/store/generation-row.js';
import { generationColumnArrays, POSTGRES_GENERATIONS_DDL, POSTGRES_INSERT_GENERATIONS, PostgresStore } from '../src/store/postgres.js';
import { SQLITE_CONNECTION_PRAGMAS, SQLITE_GENERATIONS_DDL, SQLITE_INSERT_GENERATION, SqliteStore } from '../src/store/sqlite.js';
import { startPostgres } from '../test/support/postgres.js';

/**
 * Store write throughput for generations with ~2 KB of content, in batches of 512, each beside its lower bound:
 * the same rows inserted straight into a table of the same shape (same DDL and indexes) with one prepared
 * statement, one transaction per batch (SQLite), or the same UNNEST statement with precomputed arrays (PostgreSQL).
 * The two sides take turns batch by batch, so they run under the same machine load.
 */

const BATCH = 512;
const SQLITE_RECORDS = BATCH * 20;
const POSTGRES_RECORDS = BATCH * 12;
const ROUNDS = 3;

const WORDS = 'the model answered quickly with a short list of steps about spans traces tokens prompts latency cost'.split(' ');

function text(seed: number, length: number): string {
  let out = '';
  let state = seed * 2654435761;
  while (out.length < length) {
    state = (state * 1103515245 + 12345) >>> 0;
    out += `${WORDS[state % WORDS.length]} `;
  }
  return out.slice(0, length);
}

function records(count: number, offset: number): GenerationRecord[] {
  const prices = shippedPriceTable();
  return Array.from({ length: count }, (_, index) => {
    const n = offset + index;
    const startNs = BigInt(Date.UTC(2026, 0, 1) + n) * 1_000_000n;
    return toGenerationRecord(
      {
        traceId: n.toString(16).padStart(32, '0'),
        spanId: (n + 1).toString(16).padStart(16, '0'),
        name: 'chat gpt-4o',
        kind: 3,
        startTimeUnixNano: startNs,
        endTimeUnixNano: startNs + 900_000_000n,
        attributes: {},
        events: [],
        status: { code: n % 50 === 0 ? 2 : 0 },
        resource: { 'service.name': `service-${n % 4}` },
        scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
      },
      {
        source: 'genai',
        warnings: [],
        generation: {
          type: 'CHAT',
          provider: 'openai',
          model: n % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
          settings: { temperature: 0.2, max_tokens: 512 },
          variables: {},
          tags: [`team-${n % 5}`],
          metadata: {},
          messages: [
            { role: 'system', content: text(n, 300) },
            { role: 'user', content: text(n + 1, 1200) },
          ],
          messageCompletion: { role: 'assistant', content: text(n + 2, 500) },
          inputTokenCount: 400,
          outputTokenCount: 120,
        },
      },
      prices,
    );
  });
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH) out.push(items.slice(start, start + BATCH));
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function line(label: string, count: number, seconds: number): number {
  const rate = count / seconds;
  console.log(`  ${label.padEnd(44)} ${String(count).padStart(6)} records  ${rate.toFixed(0).padStart(8)} records/s`);
  return rate;
}

interface Timed {
  store: number;
  raw: number;
}

/**
 * Feeds the same batches to both sides, alternating which goes first batch by batch, and sums each side's time:
 * a machine whose load changes during the run slows both sides alike.
 */
async function interleaved(count: number, store: (batch: number) => Promise<void>, raw: (batch: number) => Promise<void>): Promise<Timed> {
  const total: Timed = { store: 0, raw: 0 };
  const time = async (side: keyof Timed, work: () => Promise<void>) => {
    const started = performance.now();
    await work();
    total[side] += (performance.now() - started) / 1000;
  };
  for (let batch = 0; batch < count; batch += 1) {
    if (batch % 2 === 0) {
      await time('store', () => store(batch));
      await time('raw', () => raw(batch));
    } else {
      await time('raw', () => raw(batch));
      await time('store', () => store(batch));
    }
  }
  return total;
}

async function sqliteRound(folder: string, round: number, data: readonly GenerationRecord[]): Promise<Timed> {
  const store = new SqliteStore({ path: join(folder, `store-${round}.db`) });
  const db = new Database(join(folder, `raw-${round}.db`));
  db.pragma('journal_mode = WAL');
  for (const pragma of SQLITE_CONNECTION_PRAGMAS) db.pragma(pragma);
  db.exec(SQLITE_GENERATIONS_DDL);
  const insert = db.prepare(SQLITE_INSERT_GENERATION);
  const writeBatch = db.transaction((batch: unknown[][]) => {
    for (const values of batch) insert.run(...values);
  });
  const recordBatches = batches(data);
  const rowBatches = recordBatches.map((batch) =>
    batch.map((record) => {
      const row = toRow(record);
      return GENERATION_COLUMNS.map((column) => (column === 'is_error' ? (row.is_error ? 1 : 0) : row[column]));
    }),
  );
  const timed = await interleaved(
    recordBatches.length,
    async (batch) => {
      await store.write(recordBatches[batch]);
    },
    async (batch) => {
      writeBatch.immediate(rowBatches[batch]);
    },
  );
  await store.close();
  db.close();
  return timed;
}

async function postgresRound(createDatabase: () => Promise<string>, data: readonly GenerationRecord[]): Promise<Timed> {
  const store = new PostgresStore({ connectionString: await createDatabase() });
  await store.ready();
  const client = new pg.Client({ connectionString: await createDatabase() });
  await client.connect();
  await client.query(POSTGRES_GENERATIONS_DDL);
  const recordBatches = batches(data);
  const arrayBatches = recordBatches.map((batch) => generationColumnArrays(batch));
  const timed = await interleaved(
    recordBatches.length,
    async (batch) => {
      await store.write(recordBatches[batch]);
    },
    async (batch) => {
      await client.query({ name: 'raw_insert', text: POSTGRES_INSERT_GENERATIONS, values: arrayBatches[batch] });
    },
  );
  await store.close();
  await client.end();
  return timed;
}

export default async function storeBenchmark(): Promise<void> {
  const sample = records(1, 0)[0];
  const contentBytes = JSON.stringify(sample.generation.messages).length + JSON.stringify(sample.generation.messageCompletion).length;
  console.log(`store: write throughput, ~${(contentBytes / 1024).toFixed(1)} KB of message content per generation, batches of ${BATCH}`);

  const folder = mkdtempSync(join(tmpdir(), 'genspan-store-bench-'));
  try {
    const sqliteData = records(SQLITE_RECORDS, 0);
    await sqliteRound(folder, 0, sqliteData.slice(0, BATCH * 4));
    const sqlite = { store: [] as number[], raw: [] as number[] };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const result = await sqliteRound(folder, round, sqliteData);
      sqlite.store.push(result.store);
      sqlite.raw.push(result.raw);
    }
    console.log(`SQLite (better-sqlite3, WAL, synchronous=NORMAL), median of ${ROUNDS} rounds:`);
    const sqliteStoreRate = line('SqliteStore.write', SQLITE_RECORDS, median(sqlite.store));
    const sqliteRawRate = line('lower bound: prepared INSERT, same table', SQLITE_RECORDS, median(sqlite.raw));
    console.log(`  ratio lower bound / store: ${(sqliteRawRate / sqliteStoreRate).toFixed(2)} (target <= 1.5)`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const server = await startPostgres({ durable: true });
  try {
    const postgresData = records(POSTGRES_RECORDS, 0);
    const createDatabase = () => server.createDatabase('genspan_bench');
    await postgresRound(createDatabase, postgresData.slice(0, BATCH * 4));
    const postgres = { store: [] as number[], raw: [] as number[] };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const result = await postgresRound(createDatabase, postgresData);
      postgres.store.push(result.store);
      postgres.raw.push(result.raw);
    }
    console.log(`PostgreSQL (local throwaway server${server.owned ? ', fsync on' : ''}), median of ${ROUNDS} rounds:`);
    const storeRate = line('PostgresStore.write', POSTGRES_RECORDS, median(postgres.store));
    const rawRate = line('lower bound: INSERT ... UNNEST, precomputed', POSTGRES_RECORDS, median(postgres.raw));
    console.log(`  ratio lower bound / store: ${(rawRate / storeRate).toFixed(2)} (target <= 1.5)`);
  } finally {
    await server.destroy();
  }
}
