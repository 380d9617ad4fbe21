/**
 * Queries at scale (issue 11): `GET /api/traces/:traceId` for a trace of 500 steps and `GET /api/threads/:id` for a
 * thread of 200 traces, each under 50 ms on a store of 1,000,000 generations, beside the same query on a store holding
 * only that trace and thread; also the first page of the generation and trace lists. Each is timed at the store (the
 * call plus the JSON the route would send) and over HTTP against a real `genspan serve` per store; warm, the two
 * stores taking turns call by call, median of many calls.
 *
 * The large store (bench/large-store.ts) takes a long while to build, so a plain `npm run bench` uses it only when it
 * is cached already. `GENSPAN_BENCH_LARGE=1` builds it when missing; `GENSPAN_BENCH_LARGE=100000` (any count) builds
 * and uses a store of that many generations instead, to try things out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jsonStream } from '../src/server/json-stream.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { LARGE_STORE_PROBES, largeStore, largeStoreFolder, largeStoreRequest, probeTraces, writeTraces } from './large-store.js';
import { type BenchServer, startGenspanServe } from './support.js';

const TARGET_MS = 50;
const WARMUP = 10;
const CALLS = 101;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
}

interface Query {
  label: string;
  /** Whether issue 11's 50 ms target applies. */
  targeted: boolean;
  /** The store call, its answer serialized as the route sends it (returns the bytes, so nothing is optimised away). */
  store(store: SqliteStore): Promise<number>;
  /** The route's URL path, and its name in the report. */
  path: string;
  route: string;
}

const QUERIES: Query[] = [
  {
    label: `trace of ${LARGE_STORE_PROBES.bigTraceSteps} steps`,
    targeted: true,
    store: async (store) => JSON.stringify(await store.getTrace(LARGE_STORE_PROBES.bigTraceId)).length,
    path: `/api/traces/${LARGE_STORE_PROBES.bigTraceId}`,
    route: 'GET /api/traces/:traceId',
  },
  {
    label: `thread of ${LARGE_STORE_PROBES.longThreadTraces} traces`,
    targeted: true,
    store: async (store) => JSON.stringify(await store.getThread(LARGE_STORE_PROBES.longThreadId)).length,
    path: `/api/threads/${LARGE_STORE_PROBES.longThreadId}`,
    route: 'GET /api/threads/:id',
  },
  {
    label: 'generations, first page',
    targeted: false,
    store: async (store) => JSON.stringify(await store.list()).length,
    path: '/api/generations',
    route: 'GET /api/generations',
  },
  {
    label: 'threads, first page',
    targeted: false,
    store: async (store) => JSON.stringify(await store.listThreads()).length,
    path: '/api/threads',
    route: 'GET /api/threads',
  },
  {
    label: 'traces, first page',
    targeted: false,
    store: async (store) => JSON.stringify(await store.listTraces()).length,
    path: '/api/traces',
    route: 'GET /api/traces',
  },
];

interface Times {
  /** The large store's first call (the statement prepared, its pages possibly not in SQLite's cache yet). */
  first: number;
  large: number[];
  empty: number[];
}

/** Times `call` on both sides in turns (which goes first alternates), after a warm-up; milliseconds per call. */
async function sideBySide(large: () => Promise<number>, empty: () => Promise<number>): Promise<Times> {
  const times: Times = { first: 0, large: [], empty: [] };
  const time = async (side: 'large' | 'empty', call: () => Promise<number>) => {
    const started = performance.now();
    await call();
    times[side].push(performance.now() - started);
  };
  await time('large', large);
  times.first = times.large[0];
  times.large = [];
  for (let index = 0; index < WARMUP; index++) await Promise.all([large(), empty()]);
  for (let index = 0; index < CALLS; index++) {
    if (index % 2 === 0) {
      await time('large', large);
      await time('empty', empty);
    } else {
      await time('empty', empty);
      await time('large', large);
    }
  }
  return times;
}

function report(label: string, times: Times, targeted: boolean): boolean {
  const large = median(times.large);
  const empty = median(times.empty);
  const meets = large < TARGET_MS;
  const verdict = targeted ? (meets ? `  meets the ${TARGET_MS} ms target` : `  MISSES the ${TARGET_MS} ms target`) : '';
  console.log(
    `  ${label.padEnd(58)} large: ${large.toFixed(2).padStart(6)} ms (p95 ${percentile(times.large, 0.95).toFixed(2)})` +
      `  empty: ${empty.toFixed(2).padStart(6)} ms  ratio ${(large / empty).toFixed(2)}  first call ${times.first.toFixed(1)} ms${verdict}`,
  );
  return !targeted || meets;
}

/** Milliseconds per call, median of `CALLS` after a warm-up. */
async function medianMs(call: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < WARMUP; index++) await call();
  const times: number[] = [];
  for (let index = 0; index < CALLS; index++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function drain(stream: AsyncIterable<string | Buffer>): Promise<number> {
  let length = 0;
  for await (const chunk of stream) length += chunk.length;
  return length;
}

/**
 * Where the routes' time beyond the store call goes: the trace and thread routes stream their answer as JSON piece by
 * piece (`jsonStream`, so a large answer is never one string); here beside `JSON.stringify` of the same answer.
 */
async function serializationCost(store: SqliteStore): Promise<void> {
  const trace = await store.getTrace(LARGE_STORE_PROBES.bigTraceId);
  const thread = await store.getThread(LARGE_STORE_PROBES.longThreadId);
  const line = async (label: string, value: unknown) => {
    const streamed = await medianMs(() => drain(jsonStream(value)));
    const whole = await medianMs(async () => JSON.stringify(value).length);
    const kb = JSON.stringify(value).length / 1024;
    console.log(
      `  of which JSON, ${label} (${kb.toFixed(0)} KB): jsonStream drained ${streamed.toFixed(2)} ms, ` +
        `JSON.stringify ${whole.toFixed(2)} ms`,
    );
  };
  await line('trace of 500 steps', trace);
  await line('thread of 200 traces', thread);
}

function serveStore(db: string): Promise<BenchServer> {
  return startGenspanServe(['--grpc-port', 'off', '--db', db]);
}

async function get(url: string): Promise<number> {
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`);
  return body.byteLength;
}

export default async function run(): Promise<void> {
  const { generations, build } = largeStoreRequest();
  const buildLog = (line: string) => console.log(line);
  if (build) console.log(`large store: ${generations.toLocaleString('en')} generations in ${largeStoreFolder()} (built when missing)`);
  const large = await largeStore({ generations, build, log: buildLog });
  if (!large) {
    console.log(
      `skipped: no store of ${generations.toLocaleString('en')} generations is cached in ${largeStoreFolder()}. Building one ` +
        'takes a long while (see README), so it is built only when asked: GENSPAN_BENCH_LARGE=1 npm run bench -- large ' +
        '(or GENSPAN_BENCH_LARGE=100000 for a smaller one).',
    );
    return;
  }
  const cpu = large.buildCpuSeconds === undefined ? '' : ` (${large.buildCpuSeconds.toFixed(0)} s of CPU)`;
  console.log(
    `large store: ${large.generations.toLocaleString('en')} generations (+ probes), ${(large.bytes / 1e9).toFixed(2)} GB, ` +
      `${large.built ? 'built now' : 'cached; built'} in ${large.buildSeconds.toFixed(0)} s${cpu}; machine load ${loadavg()[0].toFixed(1)}`,
  );

  const folder = mkdtempSync(join(tmpdir(), 'genspan-large-bench-'));
  const emptyPath = join(folder, 'empty.db');
  try {
    const seeding = new SqliteStore({ path: emptyPath });
    await writeTraces(seeding, probeTraces());
    await seeding.close();

    let ok = true;
    const stores = { large: new SqliteStore({ path: large.path }), empty: new SqliteStore({ path: emptyPath }) };
    try {
      console.log(`store call + JSON.stringify of its answer, median of ${CALLS} warm calls (large store vs. only the probes):`);
      for (const query of QUERIES) {
        const times = await sideBySide(
          () => query.store(stores.large),
          () => query.store(stores.empty),
        );
        ok = report(query.label, times, query.targeted) && ok;
      }
      await serializationCost(stores.large);
    } finally {
      await stores.large.close();
      await stores.empty.close();
    }

    const servers = { large: await serveStore(large.path), empty: await serveStore(emptyPath) };
    try {
      console.log(`over HTTP (genspan serve, one per store, keep-alive), median of ${CALLS} warm requests:`);
      for (const query of QUERIES) {
        const times = await sideBySide(
          () => get(servers.large.url + query.path),
          () => get(servers.empty.url + query.path),
        );
        ok = report(`${query.route} (${query.label})`, times, query.targeted) && ok;
      }
    } finally {
      await servers.large.stop();
      await servers.empty.stop();
    }
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
