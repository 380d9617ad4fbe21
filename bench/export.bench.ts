/**
 * Issue 4, the exporter: records per second through `PlaygroundExporter` into each store, beside the lower bound
 * of inserting the same rows straight into a table of the same shape; and peak RSS while 200,000 LLM spans go
 * through a BatchSpanProcessor and the exporter (measured in a child process so the figure is its own).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PlaygroundExporter } from '../src/export/exporter.js';
import { ChatGeneration } from '../src/generation/index.js';
import { shippedPriceTable } from '../src/generation/prices.js';
import type { GenerationRecord } from '../src/generation/record.js';
import { toGenerationRecord } from '../src/ingest/record.js';
import { encodeGeneration } from '../src/semconv/encode.js';
import { GENERATION_COLUMNS, toRow } from '../src/store/generation-row.js';
import { generationColumnArrays, POSTGRES_GENERATIONS_DDL, POSTGRES_INSERT_GENERATIONS, PostgresStore } from '../src/store/postgres.js';
import { SQLITE_CONNECTION_PRAGMAS, SQLITE_GENERATIONS_DDL, SQLITE_INSERT_GENERATION, SqliteStore } from '../src/store/sqlite.js';
import { normalizeReadableSpan } from '../src/translate/normalize.js';
import { translateSpan } from '../src/translate/translate.js';
import { startPostgres } from '../test/support/postgres.js';
import { callUnderSteps } from './support.js';

/** The records are priced as the exporter prices them. */
const PRICES = shippedPriceTable();
const BATCH = 512;
const THROUGHPUT_RECORDS = 10_000;
const ROUNDS = 7;
const RSS_SPANS = Number(process.env.RSS_SPANS ?? 200_000);
/** Smaller than the throughput runs' 2 KB so 200,000 rows (about 1 GB of database) fit the benchmark's time. */
const RSS_CONTENT_BYTES = 1000;
const RSS_CHILD_FLAG = '--rss-child';

/** A chat generation with about `contentBytes` of content (system + user message and the completion). */
function generation(index: number, contentBytes = 2000): ChatGeneration {
  const text = `Ticket ${index}: the customer cannot log in after the password reset and asks for help. `;
  const half = Math.round((contentBytes - 50) / 2);
  const long = text.repeat(Math.ceil(half / text.length)).slice(0, half);
  return new ChatGeneration({
    provider: 'openai',
    model: 'gpt-4o-mini',
    settings: { temperature: 0.2, max_tokens: 256 },
    tags: ['support'],
    messages: [
      { role: 'system', content: 'You summarise support tickets in one sentence.' },
      { role: 'user', content: long },
    ],
    messageCompletion: { role: 'assistant', content: long },
    inputTokenCount: 230,
    outputTokenCount: 200,
  });
}

/**
 * Real SDK spans carrying genspan's GenAI encoding, as `step()` writes them; with `steps`, each call is the `llm` step
 * of a `run` step that also holds a `tool` step (three spans per generation).
 */
function makeSpans(count: number, steps = false): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('genspan');
  for (let i = 0; i < count; i++) {
    const { name, attributes } = encodeGeneration(generation(i), { captureContent: true });
    if (steps) callUnderSteps(tracer, name, attributes);
    else tracer.startSpan(name, { attributes }).end();
  }
  return memory.getFinishedSpans();
}

function toRecords(spans: readonly ReadableSpan[]): GenerationRecord[] {
  return spans.map((readable) => {
    const span = normalizeReadableSpan(readable);
    const result = translateSpan(span);
    if (!result) throw new Error('benchmark span not recognised by the translator');
    return toGenerationRecord(span, result, PRICES);
  });
}

interface ExporterRun {
  recordsPerSecond: number;
  /** Microseconds per record the exporting thread was busy (its event loop's utilization over the run). */
  busyMicros: number;
}

/** Exports in batches of 512, one at a time as the BatchSpanProcessor does. */
async function throughExporter(
  exporter: PlaygroundExporter,
  spans: readonly ReadableSpan[],
  generations = spans.length,
): Promise<ExporterRun> {
  const utilization = performance.eventLoopUtilization();
  const start = process.hrtime.bigint();
  for (let offset = 0; offset < spans.length; offset += BATCH) {
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export(spans.slice(offset, offset + BATCH), resolve),
    );
    if (result.code !== ExportResultCode.SUCCESS) throw new Error(`export failed: ${result.error?.message}`);
  }
  await exporter.forceFlush();
  const micros = Number(process.hrtime.bigint() - start) / 1e3;
  return {
    recordsPerSecond: generations / (micros / 1e6),
    busyMicros: (micros * performance.eventLoopUtilization(utilization).utilization) / generations,
  };
}

function line(name: string, value: string): void {
  console.log(`${name.padEnd(64)} ${value}`);
}

/** Inserts the records into a fresh table of the store's shape; from `records` (rows built inside the timing) or `rows`. */
function sqliteRawInsert(path: string, records: readonly GenerationRecord[], from: 'records' | 'rows'): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const pragma of SQLITE_CONNECTION_PRAGMAS) db.pragma(pragma);
  db.exec(SQLITE_GENERATIONS_DDL);
  const insert = db.prepare(SQLITE_INSERT_GENERATION);
  const values = (record: GenerationRecord): unknown[] => {
    const row = toRow(record);
    return GENERATION_COLUMNS.map((column) => (column === 'is_error' ? (row.is_error ? 1 : 0) : row[column]));
  };
  const rows = from === 'rows' ? records.map(values) : [];
  const start = process.hrtime.bigint();
  db.transaction(() => {
    if (from === 'rows') for (const row of rows) insert.run(...row);
    else for (const record of records) insert.run(...values(record));
  })();
  const rate = records.length / (Number(process.hrtime.bigint() - start) / 1e9);
  db.close();
  return rate;
}

/** Best of the rounds: each round runs every candidate once, in turn, so drift on a busy machine hits all alike. */
async function rounds(count: number, candidates: Record<string, (round: number) => Promise<number>>): Promise<Record<string, number>> {
  const best: Record<string, number> = Object.fromEntries(Object.keys(candidates).map((name) => [name, 0]));
  for (let round = 0; round < count; round++) {
    for (const [name, run] of Object.entries(candidates)) best[name] = Math.max(best[name], await run(round));
  }
  return best;
}

async function sqliteFigures(
  dir: string,
  spans: readonly ReadableSpan[],
  stepSpans: readonly ReadableSpan[],
  records: readonly GenerationRecord[],
): Promise<void> {
  const contentBytes = records.reduce((sum, record) => sum + JSON.stringify(record.generation).length, 0) / records.length;
  let busyMicros = Infinity;
  let stepsBusyMicros = Infinity;
  const rates = await rounds(ROUNDS, {
    // Lower bound: the same records, already translated, through one prepared statement in one transaction
    // (turning a record into its row is part of inserting it). The floor beside it starts from rows built beforehand.
    bound: async (round) => sqliteRawInsert(join(dir, `bound-${round}.db`), records, 'records'),
    floor: async (round) => sqliteRawInsert(join(dir, `floor-${round}.db`), records, 'rows'),
    exporter: async (round) => {
      const store = new SqliteStore({ path: join(dir, `exporter-${round}.db`) });
      try {
        // Like the lower bound's connection and statement, the store's write connection is opened before timing.
        await store.ready();
        const exporter = new PlaygroundExporter({ store });
        const run = await throughExporter(exporter, spans);
        busyMicros = Math.min(busyMicros, run.busyMicros);
        await exporter.shutdown();
        if ((await store.list({ limit: 1 })).items.length === 0) throw new Error('nothing reached the SQLite store');
        return run.recordsPerSecond;
      } finally {
        await store.close();
      }
    },
    steps: async (round) => {
      const store = new SqliteStore({ path: join(dir, `steps-${round}.db`) });
      try {
        await store.ready();
        const exporter = new PlaygroundExporter({ store });
        const run = await throughExporter(exporter, stepSpans, records.length);
        stepsBusyMicros = Math.min(stepsBusyMicros, run.busyMicros);
        await exporter.shutdown();
        const trace = await store.getTrace(stepSpans[0].spanContext().traceId);
        if (trace?.steps.length !== 3) throw new Error('the steps did not reach the SQLite store');
        return run.recordsPerSecond;
      } finally {
        await store.close();
      }
    },
  });
  console.log(`SQLite, ${records.length} chat generations, ~${Math.round(contentBytes)} B of wire JSON each, best of ${ROUNDS} rounds`);
  line('  PlaygroundExporter -> SqliteStore (batches of 512)', `${rates.exporter.toFixed(0).padStart(8)} records/s`);
  line('  lower bound: records -> prepared INSERT, one transaction', `${rates.bound.toFixed(0).padStart(8)} records/s`);
  line('  ratio (lower bound / exporter), target <= 1.5', (rates.bound / rates.exporter).toFixed(2));
  line('  floor: rows built beforehand -> prepared INSERT, one transaction', `${rates.floor.toFixed(0).padStart(8)} records/s`);
  line('  ratio (floor / exporter)', (rates.floor / rates.exporter).toFixed(2));
  line('  each call under a run step with a tool step (3 steps a generation)', `${rates.steps.toFixed(0).padStart(8)} generations/s`);
  line('  ratio (lower bound / exporter with steps), target <= 1.5', (rates.bound / rates.steps).toFixed(2));
  line('  exporting thread busy per generation, with steps', `${stepsBusyMicros.toFixed(1).padStart(8)} µs`);
  const costs = exporterCosts(spans);
  line('  where the exporter time goes, per record:', '');
  line('    wall time (the best round)', `${(1e6 / rates.exporter).toFixed(1).padStart(8)} µs`);
  line('    exporting thread busy (the event loop; least of the rounds)', `${busyMicros.toFixed(1).padStart(8)} µs`);
  line('      of which normalize + translate (translateSpan)', `${costs.translate.toFixed(1).padStart(8)} µs`);
  line('      of which build the record (toGenerationRecord)', `${costs.record.toFixed(1).padStart(8)} µs`);
  line('    lower bound, for comparison', `${(1e6 / rates.bound).toFixed(1).padStart(8)} µs`);
}

/** Microseconds per record of the exporter's CPU steps before the store, best of three passes over the spans. */
function exporterCosts(spans: readonly ReadableSpan[]): { translate: number; record: number } {
  let translate = Infinity;
  let record = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    let start = process.hrtime.bigint();
    const translated = spans.map((readable) => {
      const span = normalizeReadableSpan(readable);
      return { span, result: translateSpan(span) };
    });
    translate = Math.min(translate, Number(process.hrtime.bigint() - start) / 1e3 / spans.length);
    start = process.hrtime.bigint();
    for (const { span, result } of translated) if (result) toGenerationRecord(span, result, PRICES);
    record = Math.min(record, Number(process.hrtime.bigint() - start) / 1e3 / spans.length);
  }
  return { translate, record };
}

async function postgresFigures(
  spans: readonly ReadableSpan[],
  stepSpans: readonly ReadableSpan[],
  records: readonly GenerationRecord[],
): Promise<void> {
  const server = await startPostgres({ durable: true });
  try {
    const rates = await rounds(ROUNDS, {
      bound: async () => {
        const client = new pg.Client({ connectionString: await server.createDatabase('genspan_bench_bound') });
        await client.connect();
        try {
          await client.query(POSTGRES_GENERATIONS_DDL);
          // Lower bound: the same records, already translated, as UNNEST arrays of 1,000 rows in one transaction.
          const start = process.hrtime.bigint();
          await client.query('BEGIN');
          for (let offset = 0; offset < records.length; offset += 1000) {
            const values = generationColumnArrays(records.slice(offset, offset + 1000));
            await client.query({ name: 'insert', text: POSTGRES_INSERT_GENERATIONS, values });
          }
          await client.query('COMMIT');
          return records.length / (Number(process.hrtime.bigint() - start) / 1e9);
        } finally {
          await client.end();
        }
      },
      exporter: async () => {
        const store = new PostgresStore({ connectionString: await server.createDatabase('genspan_bench_exporter') });
        try {
          await store.ready();
          const exporter = new PlaygroundExporter({ store });
          const { recordsPerSecond } = await throughExporter(exporter, spans);
          await exporter.shutdown();
          return recordsPerSecond;
        } finally {
          await store.close();
        }
      },
      steps: async () => {
        const store = new PostgresStore({ connectionString: await server.createDatabase('genspan_bench_steps') });
        try {
          await store.ready();
          const exporter = new PlaygroundExporter({ store });
          const { recordsPerSecond } = await throughExporter(exporter, stepSpans, records.length);
          await exporter.shutdown();
          return recordsPerSecond;
        } finally {
          await store.close();
        }
      },
    });
    console.log(`PostgreSQL (local throwaway server, fsync on), ${records.length} chat generations, best of ${ROUNDS} rounds`);
    line('  PlaygroundExporter -> PostgresStore (batches of 512)', `${rates.exporter.toFixed(0).padStart(8)} records/s`);
    line('  lower bound: records -> UNNEST insert, one transaction', `${rates.bound.toFixed(0).padStart(8)} records/s`);
    line('  ratio (lower bound / exporter), target <= 1.5', (rates.bound / rates.exporter).toFixed(2));
    line('  each call under a run step with a tool step (3 steps a generation)', `${rates.steps.toFixed(0).padStart(8)} generations/s`);
    line('  ratio (lower bound / exporter with steps), target <= 1.5', (rates.bound / rates.steps).toFixed(2));
  } finally {
    await server.destroy();
  }
}

interface RssReport {
  baselineMB: number;
  peakMB: number;
  seconds: number;
  stored: number;
  dropped: number;
  droppedBySpanProcessor: number;
}

/**
 * Span attributes as genspan's encoder writes them for `generation(index)`, without re-running the encoder per span:
 * the encoded template with the index substituted, so every span still carries its own content strings.
 */
function attributeFactory(): (index: number) => { name: string; attributes: Record<string, string | number | string[]> } {
  const marker = 'Ticket 0:';
  const { name, attributes } = encodeGeneration(generation(0, RSS_CONTENT_BYTES), { captureContent: true });
  return (index) => {
    const own: Record<string, string | number | string[]> = {};
    for (const [key, value] of Object.entries(attributes)) {
      own[key] = typeof value === 'string' ? value.split(marker).join(`Ticket ${index}:`) : (value as number | string[]);
    }
    return { name, attributes: own };
  };
}

/** The child: 200,000 LLM spans through a BatchSpanProcessor (SDK defaults) into the exporter and SQLite. */
async function rssChild(path: string): Promise<void> {
  const baselineMB = process.resourceUsage().maxRSS / 1024;
  const store = new SqliteStore({ path });
  const exporter = new PlaygroundExporter({ store });
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('genspan');
  const spanAttributes = attributeFactory();
  const start = process.hrtime.bigint();
  for (let i = 0; i < RSS_SPANS; i++) {
    const { name, attributes } = spanAttributes(i);
    tracer.startSpan(name, { attributes }).end();
    // Like an app between LLM calls, let the processor export; with the store keeping up nothing piles up.
    if (i % BATCH === BATCH - 1) await provider.forceFlush();
  }
  await provider.shutdown();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await store.close();
  const check = new Database(path, { readonly: true });
  const stored = (check.prepare('SELECT count(*) AS n FROM genspan_generations').get() as { n: number }).n;
  check.close();
  const report: RssReport = {
    baselineMB,
    peakMB: process.resourceUsage().maxRSS / 1024,
    seconds,
    stored,
    dropped: exporter.droppedRecords,
    droppedBySpanProcessor: RSS_SPANS - stored - exporter.droppedRecords,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runRssChild(path: string): Promise<RssReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), RSS_CHILD_FLAG, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the RSS child exited with code ${code}`));
      else resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}') as RssReport);
    });
  });
}

/**
 * Where the memory run's database goes: a tmpfs (/dev/shm) with room to spare when there is one, so the disk's
 * fsync pace does not stretch the run past the benchmark's time; the file's pages are not the process's RSS either way.
 */
function rssDatabaseFolder(fallback: string): { folder: string; where: string } {
  const shm = '/dev/shm';
  try {
    const stats = statfsSync(shm);
    if (stats.bavail * stats.bsize > 4 * 1024 ** 3) return { folder: mkdtempSync(join(shm, 'genspan-bench-')), where: 'tmpfs' };
  } catch {
    // No tmpfs here: the temporary folder on disk it is.
  }
  return { folder: fallback, where: 'disk' };
}

async function rssFigures(dir: string): Promise<void> {
  const { folder, where } = rssDatabaseFolder(dir);
  let report: RssReport;
  try {
    report = await runRssChild(join(folder, 'rss.db'));
  } finally {
    if (folder !== dir) rmSync(folder, { recursive: true, force: true });
  }
  console.log(
    `Memory: ${RSS_SPANS} LLM spans (~${RSS_CONTENT_BYTES} B content) through BatchSpanProcessor + PlaygroundExporter ` +
      `into SQLite (${where}), own process`,
  );
  line('  peak RSS, target < 300 MB', `${report.peakMB.toFixed(0)} MB (Node baseline ${report.baselineMB.toFixed(0)} MB)`);
  line('  throughput', `${(RSS_SPANS / report.seconds).toFixed(0)} spans/s (${report.seconds.toFixed(1)} s)`);
  line(
    '  stored / dropped by the exporter / dropped by the span processor',
    `${report.stored} / ${report.dropped} / ${report.droppedBySpanProcessor}`,
  );
}

export default async function (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genspan-bench-export-'));
  try {
    const spans = makeSpans(THROUGHPUT_RECORDS);
    const stepSpans = makeSpans(THROUGHPUT_RECORDS, true);
    const records = toRecords(spans);
    await sqliteFigures(dir, spans, stepSpans, records);
    await postgresFigures(spans, stepSpans, records);
    await rssFigures(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === RSS_CHILD_FLAG) {
  await rssChild(process.argv[3]);
}
