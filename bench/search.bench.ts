import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ListFilter } from '../src/generation/filter.js';
import { shippedPriceTable } from '../src/generation/prices.js';
import type { GenerationRecord } from '../src/generation/record.js';
import { toGenerationRecord } from '../src/ingest/record.js';
import { fromRow, LIST_COLUMNS, type RecordColumns } from '../src/store/generation-row.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { PlaygroundStore } from '../src/store/types.js';
import { startPostgres } from '../test/support/postgres.js';

/**
 * Search, tag, facet and count timings on a store of `GENSPAN_BENCH_SEARCH_ROWS` generations (default 100,000, ~2.5 KB
 * of message text each, words drawn from a 4,000-word vocabulary), each beside the same query as schema 5 ran it
 * (a scan: instr/strpos over search_text, json_each over tags) on the same data; and the write throughput into a store
 * with the search and tag indexes against one without them (their triggers dropped), batches taking turns. SQLite, then
 * PostgreSQL (`GENSPAN_BENCH_SEARCH_POSTGRES_ROWS`, default the same). Then the migration: the same file taken back to
 * schema 5 and opened, timing the background build while a writer keeps writing.
 */

const ROWS = Number(process.env.GENSPAN_BENCH_SEARCH_ROWS ?? 100_000);
const POSTGRES_ROWS = Number(process.env.GENSPAN_BENCH_SEARCH_POSTGRES_ROWS ?? ROWS);
const BATCH = 500;
const RUNS = 7;
const RARE_WORD = 'quixotically';
const ABSENT_WORD = 'xylophonist';
const RARE_TAG = 'rare-tag';

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const SYLLABLES = 'ka lo mi ne ru sa to vi de pa qu en st or an ti ce mo la ri'.split(' ');
const VOCABULARY = Array.from({ length: 4000 }, (_, index) => {
  const next = random(index + 7);
  const length = 2 + Math.floor(next() * 3);
  return Array.from({ length }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join('');
});
/** The most frequent word: words are drawn with a skew towards the start of the vocabulary. */
const COMMON_WORD = VOCABULARY[0];

function text(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += `${VOCABULARY[Math.floor(next() ** 3 * VOCABULARY.length)]} `;
  return out.slice(0, length);
}

function records(count: number, offset: number): GenerationRecord[] {
  const prices = shippedPriceTable();
  return Array.from({ length: count }, (_, index) => {
    const n = offset + index;
    const next = random(n + 1);
    const startNs = BigInt(Date.UTC(2026, 0, 1) + n * 1000) * 1_000_000n;
    const rare = n === Math.floor(ROWS / 3);
    return toGenerationRecord(
      {
        traceId: (n + 1).toString(16).padStart(32, '0'),
        spanId: (n + 1).toString(16).padStart(16, '0'),
        name: 'chat',
        kind: 3,
        startTimeUnixNano: startNs,
        endTimeUnixNano: startNs + 900_000_000n,
        attributes: {},
        events: [],
        status: { code: 0 },
        resource: { 'service.name': `service-${n % 8}` },
        scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
      },
      {
        source: 'genai',
        warnings: [],
        generation: {
          type: 'CHAT',
          provider: n % 5 === 0 ? 'anthropic' : 'openai',
          model: ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'o3-mini'][n % 4],
          settings: {},
          variables: {},
          tags: rare ? [RARE_TAG] : [`team-${n % 5}`, `env-${n % 2}`],
          metadata: {},
          messages: [
            { role: 'system', content: text(next, 300) },
            { role: 'user', content: `${text(next, 1400)}${rare ? ` ${RARE_WORD}` : ''}` },
          ],
          messageCompletion: { role: 'assistant', content: text(next, 800) },
          inputTokenCount: 400,
          outputTokenCount: 120,
        },
      },
      prices,
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A query whose warm-up call took longer than this is timed `SLOW_RUNS` times at most (a scan of a large store). */
const SLOW_MS = 1_000;
const SLOW_RUNS = 3;

async function timeMs(work: () => Promise<unknown> | unknown, runs = RUNS): Promise<number> {
  const times: number[] = [];
  const warmup = performance.now();
  await work();
  const timed = performance.now() - warmup > SLOW_MS ? Math.min(runs, SLOW_RUNS) : runs;
  for (let run = 0; run < timed; run++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

function report(label: string, indexedMs: number, scanMs: number): void {
  const ratio = scanMs / indexedMs;
  console.log(
    `  ${label.padEnd(40)} indexed ${indexedMs.toFixed(1).padStart(8)} ms   scan ${scanMs.toFixed(1).padStart(8)} ms   ` +
      `scan/indexed ${ratio.toFixed(1).padStart(6)}x${indexedMs > 50 ? '   (over 50 ms)' : ''}`,
  );
}

/** The queries, as the store answers them (indexed) and as schema 5 did (a scan), on the same data. */
interface QueryPair {
  label: string;
  indexed: () => Promise<unknown>;
  scan: () => Promise<unknown>;
}

/** The words and tag the queries look up. */
export interface SearchProbes {
  rareWord: string;
  absentWord: string;
  commonWord: string;
  rareTag: string;
}

const PROBES: SearchProbes = { rareWord: RARE_WORD, absentWord: ABSENT_WORD, commonWord: COMMON_WORD, rareTag: RARE_TAG };
/** A q too short for a trigram: answered by reading every row the other filters match (none hold it). */
export const SHORT_QUERY = 'zq';

export function storeQueries(store: PlaygroundStore, probes: SearchProbes = PROBES): Record<string, () => Promise<unknown>> {
  const { rareWord: RARE_WORD, absentWord: ABSENT_WORD, commonWord: COMMON_WORD, rareTag: RARE_TAG } = probes;
  const list = (filter: ListFilter) => () => store.list(filter);
  return {
    [`q: a word in one record (${RARE_WORD})`]: list({ q: RARE_WORD }),
    [`q: a word in none (${ABSENT_WORD})`]: list({ q: ABSENT_WORD }),
    [`q: a common word (${COMMON_WORD})`]: list({ q: COMMON_WORD }),
    [`q: two characters (${SHORT_QUERY})`]: list({ q: SHORT_QUERY }),
    'tag: a rare tag': list({ tag: RARE_TAG }),
    'model: any case (GPT-4O)': list({ model: 'GPT-4O' }),
    'count: everything': () => store.count(),
    'count: q common word': () => store.count({ q: COMMON_WORD }),
    'facets: model': () => store.facets('model'),
    'facets: tag, q common word': () => store.facets('tag', { q: COMMON_WORD }),
  };
}

/** Schema 5's queries for the same labels: scans of search_text and tags, exact equality, an unbounded count. */
export function schema5Queries(
  run: (sql: string, params: unknown[]) => Promise<unknown>,
  dialect: 'sqlite' | 'postgres',
  probes: SearchProbes = PROBES,
) {
  const { rareWord: RARE_WORD, absentWord: ABSENT_WORD, commonWord: COMMON_WORD, rareTag: RARE_TAG } = probes;
  const p = (index: number) => (dialect === 'sqlite' ? '?' : `$${index}`);
  const contains = dialect === 'sqlite' ? `instr(search_text, ${p(1)}) > 0` : `strpos(search_text, ${p(1)}) > 0`;
  const tag =
    dialect === 'sqlite' ? `EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ${p(1)})` : `tags @> jsonb_build_array(${p(1)}::text)`;
  const page = (where: string) =>
    `SELECT ${LIST_COLUMNS.join(', ')} FROM genspan_generations WHERE ${where} ORDER BY start_ms DESC, id DESC LIMIT 51`;
  const tagValues = dialect === 'sqlite' ? 'json_each(g.tags) AS j' : 'jsonb_array_elements_text(g.tags) AS j(value)';
  return {
    [`q: a word in one record (${RARE_WORD})`]: () => run(page(contains), [RARE_WORD]),
    [`q: a word in none (${ABSENT_WORD})`]: () => run(page(contains), [ABSENT_WORD]),
    [`q: a common word (${COMMON_WORD})`]: () => run(page(contains), [COMMON_WORD]),
    'q: two characters (zq)': () => run(page(contains), ['zq']),
    'tag: a rare tag': () => run(page(tag), [RARE_TAG]),
    'model: any case (GPT-4O)': () => run(page(`lower(model) = lower(${p(1)})`), ['GPT-4O']),
    'count: everything': () => run('SELECT count(*) FROM genspan_generations', []),
    'count: q common word': () => run(`SELECT count(*) FROM genspan_generations WHERE ${contains}`, [COMMON_WORD]),
    'facets: model': () => run('SELECT model, count(*) AS n FROM genspan_generations GROUP BY model ORDER BY n DESC LIMIT 20', []),
    'facets: tag, q common word': () =>
      run(
        `SELECT j.value, count(*) AS n FROM genspan_generations AS g, ${tagValues} ` +
          `WHERE ${contains.replace('search_text', 'g.search_text')} ` +
          'GROUP BY j.value ORDER BY n DESC LIMIT 20',
        [COMMON_WORD],
      ),
  };
}

/**
 * Times each query as the store answers it and as schema 5 did, median of `runs` after one warm-up call (`runs.scan`
 * for the scans, which take seconds each on a large store; `SLOW_RUNS` for any slower than `SLOW_MS`); answers whether
 * every indexed median is under 50 ms.
 */
export async function compare(
  indexed: Record<string, () => Promise<unknown>>,
  scan: Record<string, () => Promise<unknown>>,
  runs: { indexed?: number; scan?: number } = {},
): Promise<boolean> {
  const pairs: QueryPair[] = Object.keys(indexed).map((label) => ({ label, indexed: indexed[label], scan: scan[label] }));
  let under = true;
  for (const pair of pairs) {
    const indexedMs = await timeMs(pair.indexed, runs.indexed);
    report(pair.label, indexedMs, await timeMs(pair.scan, runs.scan));
    under &&= indexedMs < 50;
  }
  return under;
}

/**
 * Writes every batch into both stores, taking turns which goes first; answers each side's records per second over the
 * whole run, and the indexed side's over its first and last tenth (does the index slow writes as the store grows?).
 */
async function writeBoth(
  count: number,
  indexed: PlaygroundStore,
  plain: PlaygroundStore,
): Promise<{ indexed: number; plain: number; first: number; last: number }> {
  const total = { indexed: 0, plain: 0 };
  const perBatch: number[] = [];
  const batches = Math.ceil(count / BATCH);
  for (let batch = 0; batch < batches; batch++) {
    const data = records(Math.min(BATCH, count - batch * BATCH), batch * BATCH);
    const sides: ['indexed' | 'plain', PlaygroundStore][] = [
      ['indexed', indexed],
      ['plain', plain],
    ];
    if (batch % 2 === 1) sides.reverse();
    for (const [side, store] of sides) {
      const started = performance.now();
      await store.write(data);
      const seconds = (performance.now() - started) / 1000;
      total[side] += seconds;
      if (side === 'indexed') perBatch.push(seconds);
    }
  }
  const tenth = Math.max(1, Math.floor(batches / 10));
  const rate = (seconds: number[]) => (seconds.length * BATCH) / seconds.reduce((sum, value) => sum + value, 0);
  return {
    indexed: count / total.indexed,
    plain: count / total.plain,
    first: rate(perBatch.slice(0, tenth)),
    last: rate(perBatch.slice(-tenth)),
  };
}

function printWrites(result: { indexed: number; plain: number; first: number; last: number }, count: number): void {
  console.log(`  write, ${count} generations in batches of ${BATCH}, turns taken batch by batch:`);
  console.log(`    with the search and tag indexes  ${result.indexed.toFixed(0).padStart(8)} records/s`);
  console.log(`    without them                     ${result.plain.toFixed(0).padStart(8)} records/s`);
  console.log(`    ratio with / without: ${(result.indexed / result.plain).toFixed(2)}`);
  console.log(
    `    with the indexes, first tenth ${result.first.toFixed(0)} records/s, last tenth ${result.last.toFixed(0)} records/s ` +
      `(last / first ${(result.last / result.first).toFixed(2)})`,
  );
}

const SQLITE_TRIGGERS = ['genspan_generations_index_insert', 'genspan_generations_index_delete', 'genspan_generations_index_update'];

async function sqliteBench(folder: string): Promise<void> {
  console.log(`SQLite, ${ROWS} generations:`);
  const indexedPath = join(folder, 'indexed.db');
  const plainPath = join(folder, 'plain.db');
  const indexed = new SqliteStore({ path: indexedPath });
  const plain = new SqliteStore({ path: plainPath });
  await Promise.all([indexed.indexesBuilt(), plain.indexesBuilt()]);
  const raw = new Database(plainPath);
  for (const trigger of SQLITE_TRIGGERS) raw.exec(`DROP TRIGGER ${trigger}`);
  raw.close();
  printWrites(await writeBoth(ROWS, indexed, plain), ROWS);
  await plain.close();

  const reader = new Database(indexedPath, { readonly: true });
  await compare(
    storeQueries(indexed),
    // Rows read as the store reads them: a page's records parsed.
    schema5Queries(
      async (sql, params) => (reader.prepare(sql).all(...params) as RecordColumns[]).map((row) => row.generation && fromRow(row)),
      'sqlite',
    ),
  );
  reader.close();
  await indexed.close();

  // The migration: the indexed file taken back to schema 5, opened, and built in the background while a writer writes.
  const back = new Database(indexedPath);
  back.exec(`${SQLITE_TRIGGERS.map((trigger) => `DROP TRIGGER ${trigger};`).join(' ')}
    DROP TABLE genspan_search; DROP TABLE genspan_search_build; DROP TABLE genspan_generation_tags; DROP TABLE genspan_index_build;
    DROP INDEX genspan_generations_service_ci; DROP INDEX genspan_generations_model_ci; DROP INDEX genspan_generations_provider_ci;
    CREATE INDEX genspan_generations_service ON genspan_generations (service_name, start_ms, id);
    CREATE INDEX genspan_generations_model ON genspan_generations (model, start_ms, id);
    CREATE INDEX genspan_generations_provider ON genspan_generations (provider, start_ms, id);
    PRAGMA user_version = 5;`);
  back.close();
  const opened = performance.now();
  const migrated = new SqliteStore({ path: indexedPath });
  const openMs = performance.now() - opened;
  const latencies: number[] = [];
  let built = false;
  const building = migrated.indexesBuilt().then(() => {
    built = true;
  });
  for (let n = ROWS; !built; n++) {
    const started = performance.now();
    await migrated.write(records(1, n));
    latencies.push(performance.now() - started);
  }
  await building;
  const buildSeconds = (performance.now() - opened) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `  migration 5 -> 6 of ${ROWS} generations: opening ${openMs.toFixed(0)} ms; background build ${buildSeconds.toFixed(1)} s ` +
      `(~${((buildSeconds * 1_000_000) / ROWS / 60).toFixed(0)} min per 1,000,000 at this rate); ` +
      `${latencies.length} single-record writes ` +
      `meanwhile: median ${median(latencies).toFixed(1)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(1)} ms, ` +
      `max ${latencies[latencies.length - 1].toFixed(1)} ms`,
  );
  await migrated.close();
}

async function postgresBench(): Promise<void> {
  console.log(`PostgreSQL, ${POSTGRES_ROWS} generations:`);
  const server = await startPostgres({ durable: true });
  try {
    const indexedUrl = await server.createDatabase('genspan_search_bench');
    const plainUrl = await server.createDatabase('genspan_search_bench');
    const indexed = new PostgresStore({ connectionString: indexedUrl });
    const plain = new PostgresStore({ connectionString: plainUrl });
    await Promise.all([indexed.indexesBuilt(), plain.indexesBuilt()]);
    const client = new pg.Client({ connectionString: plainUrl });
    await client.connect();
    await client.query('DROP INDEX genspan_generations_search');
    await client.end();
    printWrites(await writeBoth(POSTGRES_ROWS, indexed, plain), POSTGRES_ROWS);
    await plain.close();

    const reader = new pg.Client({ connectionString: indexedUrl });
    await reader.connect();
    await reader.query('VACUUM ANALYZE genspan_generations');
    await compare(
      storeQueries(indexed),
      schema5Queries(
        async (sql, params) =>
          (await reader.query(sql, params)).rows.map((row: { generation?: string }) => row.generation && JSON.parse(row.generation)),
        'postgres',
      ),
    );
    await indexed.close();

    await reader.query(
      'DROP INDEX genspan_generations_search, genspan_generations_service_ci, genspan_generations_model_ci, ' +
        'genspan_generations_provider_ci',
    );
    await reader.query(`UPDATE genspan_meta SET value = '5' WHERE key = 'schema_version'`);
    await reader.end();
    const started = performance.now();
    const migrated = new PostgresStore({ connectionString: indexedUrl });
    await migrated.ready();
    const readyMs = performance.now() - started;
    await migrated.indexesBuilt();
    console.log(
      `  migration 5 -> 6 of ${POSTGRES_ROWS} generations: ready after ${readyMs.toFixed(0)} ms; CREATE INDEX CONCURRENTLY of the ` +
        `four indexes ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await migrated.close();
  } finally {
    await server.destroy();
  }
}

export default async function searchBenchmark(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'genspan-search-bench-'));
  try {
    if (ROWS > 0) await sqliteBench(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  if (POSTGRES_ROWS > 0) await postgresBench();
}
