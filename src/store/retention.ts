import { EVERY_PARTITION } from './sqlite-partitions.js';

/**
 * Retention: deleting the oldest data in small batches, one short transaction each, so ingestion is never held off
 * for long. The unit is the trace (its steps, generations, kept spans and log records go together); generations
 * stored without steps (older stores, imports of older files) go by their own start time. Both stores implement
 * `RetentionStore` with the SQL below; `runRetention` drives them.
 */

/**
 * Rows a batch aims at: whole traces are taken until their steps reach it (at least one trace). At 1,000,000
 * generations in SQLite (schema 9's search index), 20 held writers 1.8 ms (median; p99 4.9 ms) against 4.1 ms (p99
 * 16.2 ms) for 50, deleting 7–13% slower; with schema 10's, 20 hold them 1.1 ms (p99 1.8 ms) (README, Retention).
 */
export const RETENTION_BATCH_ROWS = 20;
/** How often `genspan serve` runs retention. */
export const RETENTION_INTERVAL_MS = 60_000;
/** How long one run may go on deleting: half the interval, so runs never pile up. */
export const RETENTION_RUN_LIMIT_MS = RETENTION_INTERVAL_MS / 2;
/**
 * Free pages an SQLite file gives back per transaction (512 KB of 4 KB pages). Each step holds the write lock as a
 * retention batch does: giving back 90 MB after deleting 10,000 of 1,000,000 generations, steps of 128 pages held
 * writers 2.0 ms on average (6.2 ms at the longest outside the benchmark, 14.9 ms once in it), against 15.7 ms
 * (19.6 ms) for the 1,024 pages taken before 2026-12-04, for 0.46 s against 0.38 s in all
 * (docs/reference-additions.md).
 */
export const RECLAIM_PAGES_PER_STEP = 128;
/** Rounds of measuring and deleting a run does for `--max-size`. */
const SIZE_ROUNDS = 8;
/** "No time bound": the latest time a JavaScript Date holds, in ms. */
export const NO_TIME_BOUND_MS = 8_640_000_000_000_000;

/** What a batch (or a run) deleted, per table. Experiments and their results are kept (see README, Retention). */
export interface PruneCounts {
  generations: number;
  steps: number;
  spans: number;
  logs: number;
  traces: number;
  threads: number;
}

/**
 * One batch: what it deleted, and how long its transaction held writers off, timed where the locks are held (SQLite:
 * the write lock, BEGIN to the end of COMMIT in the write thread; PostgreSQL: the row locks on the batch's traces, in
 * the server, to the end of the statement its COMMIT follows).
 */
export interface PruneBatch extends PruneCounts {
  heldMs: number;
}

export const NO_PRUNE: PruneBatch = { generations: 0, steps: 0, spans: 0, logs: 0, traces: 0, threads: 0, heldMs: 0 };

export function addCounts(a: PruneCounts, b: PruneCounts): PruneCounts {
  return {
    generations: a.generations + b.generations,
    steps: a.steps + b.steps,
    spans: a.spans + b.spans,
    logs: a.logs + b.logs,
    traces: a.traces + b.traces,
    threads: a.threads + b.threads,
  };
}

function deletedAnything(counts: PruneCounts): boolean {
  return counts.generations + counts.steps + counts.spans + counts.logs + counts.traces + counts.threads > 0;
}

/** Deleting old data, as both stores do it. One contract test suite covers both. */
export interface RetentionStore {
  /**
   * One batch, one short transaction: the oldest traces whose steps all started and ended before `beforeMs` (taken
   * whole until their steps reach `rows`), generations without a trace that started before it (oldest first, at most
   * `rows`), and log records older than it whose span has neither. A trace keeps what a concurrent write added to it
   * at or after `beforeMs`. Resolves with what it deleted; all zero when nothing is left to delete.
   */
  pruneBatch(beforeMs: number, rows: number): Promise<PruneBatch>;
  /**
   * How many of the oldest generations to delete to bring the store within `maxBytes`, estimated from the average
   * generation's share of the size; 0 when it is within. SQLite: its pages in use (not the WAL). PostgreSQL:
   * `pg_total_relation_size` of genspan's tables; once a deletion for size was recorded (`sizePruned`), the limit plus
   * what they grew past that size (PostgreSQL keeps deleted rows' space for new rows rather than returning it).
   */
  generationsOverSize(maxBytes: number): Promise<number>;
  /** Records the size after a deletion for size (PostgreSQL; see `generationsOverSize`); SQLite needs nothing. */
  sizePruned(): Promise<void>;
  /**
   * Gives freed space back to the file system where the store can (SQLite files with incremental auto-vacuum, in
   * steps of `RECLAIM_PAGES_PER_STEP` pages, `held` told how long each step's transaction held writers off); resolves
   * with the bytes given back. PostgreSQL: 0, autovacuum does it.
   */
  reclaimSpace(held?: (ms: number) => void): Promise<number>;
  /** Compacts the whole store now (SQLite: VACUUM, switching the file to incremental auto-vacuum; PostgreSQL: VACUUM). */
  vacuum(): Promise<void>;
}

export interface RetentionPolicy {
  /** Keep data newer than this many ms. */
  retainMs?: number;
  /** Keep the store within this many bytes. */
  maxBytes?: number;
}

export interface RetentionReport extends PruneCounts {
  batches: number;
  /** The longest time a batch's transaction held writers off. */
  longestBatchMs: number;
  /** Bytes given back to the file system afterwards. */
  reclaimedBytes: number;
  /** The longest time a step giving space back held writers off (0 when none ran). */
  longestReclaimMs: number;
  /** False when the run stopped at its time limit with more to delete. */
  complete: boolean;
}

/**
 * Deletes batch after batch until one deletes nothing, or `generations` are deleted: batches then take no more rows
 * than generations are left to delete, so a size limit deletes little more than it must.
 */
async function prune(
  store: RetentionStore,
  beforeMs: number,
  report: RetentionReport,
  run: { deadline: number; onBatch?: (batch: PruneBatch) => void },
  generations = Number.POSITIVE_INFINITY,
): Promise<void> {
  const target = report.generations + generations;
  while (report.generations < target) {
    if (performance.now() > run.deadline) {
      report.complete = false;
      return;
    }
    const batch = await store.pruneBatch(beforeMs, Math.min(RETENTION_BATCH_ROWS, target - report.generations));
    if (!deletedAnything(batch)) return;
    run.onBatch?.(batch);
    report.batches++;
    report.longestBatchMs = Math.max(report.longestBatchMs, batch.heldMs);
    Object.assign(report, addCounts(report, batch));
  }
}

/**
 * One retention run: by age, then by size, then the space given back. `now` is the clock the age is measured on. A run
 * stops after `limitMs` (a backlog, or data arriving already old as fast as it is deleted), `complete: false`; the next
 * run goes on from there. `onBatch` is told each batch that deleted something (the benchmark times them).
 */
export async function runRetention(
  store: RetentionStore,
  policy: RetentionPolicy,
  now = Date.now(),
  limitMs = RETENTION_RUN_LIMIT_MS,
  onBatch?: (batch: PruneBatch) => void,
): Promise<RetentionReport> {
  const report: RetentionReport = { ...NO_PRUNE, batches: 0, longestBatchMs: 0, reclaimedBytes: 0, longestReclaimMs: 0, complete: true };
  const run = { deadline: performance.now() + limitMs, onBatch };
  if (policy.retainMs !== undefined) await prune(store, now - policy.retainMs, report, run);
  if (policy.maxBytes !== undefined) {
    // The estimate is proportional, but pages do not empty in proportion (half-full pages, the schema's own): measured
    // again after each round, until within or nothing is left to delete.
    for (let round = 0; round < SIZE_ROUNDS; round++) {
      const over = await store.generationsOverSize(policy.maxBytes);
      if (over === 0) break;
      const before = report.batches;
      await prune(store, NO_TIME_BOUND_MS, report, run, over);
      await store.sizePruned();
      if (report.batches === before || !report.complete) break;
    }
  }
  if (report.batches > 0) {
    report.reclaimedBytes = await store.reclaimSpace((ms) => {
      report.longestReclaimMs = Math.max(report.longestReclaimMs, ms);
    });
  }
  return report;
}

/** One line for the log and `genspan prune`: what a run deleted. */
export function describeReport(report: RetentionReport): string {
  const deleted =
    `${report.generations} generations, ${report.steps} steps, ${report.spans} kept spans, ${report.logs} log records, ` +
    `${report.traces} traces, ${report.threads} threads`;
  const reclaimed =
    report.reclaimedBytes > 0 ? `, ${report.reclaimedBytes} bytes given back (longest step ${report.longestReclaimMs.toFixed(1)} ms)` : '';
  const rest = report.complete ? '' : '; more to delete, the next run goes on';
  return `deleted ${deleted} in ${report.batches} batches (longest ${report.longestBatchMs.toFixed(1)} ms)${reclaimed}${rest}`;
}

/** The SQL both stores run; `p(name)` writes a parameter in the store's syntax. */
export interface PruneSql {
  /** The batch's traces: trace_id, thread_id, start_ms, oldest first. Parameters: before, rows. */
  traces: string;
  /** Generations without a trace: trace_id, span_id, start_ms. Parameters: before (the bound), rows. */
  orphanGenerations: string;
  /** Log records older than the bound whose span has no generation and whose trace no row: seq. */
  orphanLogs: string;
}

/**
 * Generations and log records looked at per batch for those without a trace: the oldest ones, so a batch never reads
 * much of a table whatever the plan. Without that bound, PostgreSQL once chose a parallel bitmap scan of every
 * generation below the bound (its statistics still counting the rows the run had deleted), visiting their dead
 * tuples: 20–38 ms in 166 of a run's 1,429 calls at 1,000,000 generations. Generations of a trace too young to go yet
 * can fill the window: orphans behind them wait for that trace to go.
 */
export const ORPHAN_SCAN_ROWS = RETENTION_BATCH_ROWS * 10;

/**
 * The selections, given how the store writes the parameters `before` (ms), `rows` and `before` in ns. The deletes
 * check again what the selection read, so a write between the two never loses a record newer than `before`. What
 * stands for every SQLite partition is marked (`EVERY_PARTITION`); PostgreSQL reads the marks as comments.
 */
export function pruneSql(before: string, rows: string, beforeNs: string): PruneSql {
  return {
    traces: `WITH candidates AS (
        SELECT trace_id, thread_id, start_ms FROM genspan_traces WHERE start_ms < ${before} AND end_ms < ${before}
        ORDER BY start_ms, trace_id LIMIT ${rows}),
      sized AS (
        SELECT c.trace_id, c.thread_id, c.start_ms, (SELECT count(*) FROM genspan_steps s WHERE s.trace_id = c.trace_id) AS steps
        FROM candidates c),
      running AS (SELECT trace_id, thread_id, start_ms, sum(steps) OVER (ORDER BY start_ms, trace_id) - steps AS earlier FROM sized)
      SELECT trace_id, thread_id, start_ms FROM running WHERE earlier < ${rows} ORDER BY start_ms, trace_id`,
    orphanGenerations: `SELECT g.trace_id, g.span_id, g.start_ms FROM (SELECT trace_id, span_id, start_ms, id FROM genspan_generations
        WHERE start_ms < ${before} ORDER BY start_ms, id LIMIT ${ORPHAN_SCAN_ROWS}) g
      WHERE ${EVERY_PARTITION}NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.trace_id = g.trace_id)${EVERY_PARTITION}
      ORDER BY g.start_ms, g.id LIMIT ${rows}`,
    orphanLogs: `SELECT l.seq FROM (SELECT seq, trace_id, span_id, time_unix_nano FROM genspan_logs
        ORDER BY seq LIMIT ${ORPHAN_SCAN_ROWS}) l
      WHERE l.time_unix_nano < ${beforeNs} AND ${EVERY_PARTITION}NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.trace_id = l.trace_id)
        AND NOT EXISTS (SELECT 1 FROM genspan_generations g WHERE g.trace_id = l.trace_id AND g.span_id = l.span_id)${EVERY_PARTITION}
      ORDER BY l.seq LIMIT ${rows}`,
  };
}

/**
 * A kept span or log record whose span has neither a step nor a generation left (`table` is its alias): a span's log
 * records stay while its generation does, since a rebuild reads them.
 */
export function unclaimed(table: string): string {
  return (
    `${EVERY_PARTITION}NOT EXISTS (SELECT 1 FROM genspan_steps s WHERE s.trace_id = ${table}.trace_id AND s.span_id = ${table}.span_id) ` +
    `AND NOT EXISTS (SELECT 1 FROM genspan_generations g WHERE g.trace_id = ${table}.trace_id AND g.span_id = ${table}.span_id)` +
    EVERY_PARTITION
  );
}

/**
 * Given a batch's traces (oldest first), how far back generations and log records without a trace are taken in the
 * same batch: up to its newest trace's start, so each batch deletes the oldest data of either kind.
 */
export function orphanBound(beforeMs: number, traces: readonly { start_ms: number | string }[]): number {
  if (traces.length === 0) return beforeMs;
  return Math.min(beforeMs, Number(traces[traces.length - 1].start_ms));
}

/** Milliseconds in the largest unit that divides them: `30d`, `12h`, `90m`, `45s`. */
function duration(ms: number): string {
  const units: [string, number][] = [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const [unit, size] = units.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

/** Bytes in the largest power of 1024 that divides them: `5GiB`, `500MiB`. */
function bytes(count: number): string {
  const units: [string, number][] = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  const [unit, size] = units.find(([, size]) => count % size === 0) ?? ['bytes', 1];
  return `${count / size}${unit === 'bytes' ? ' bytes' : unit}`;
}

/** The policy in words, for `genspan serve`'s start lines. */
export function describePolicy(policy: RetentionPolicy): string {
  const parts: string[] = [];
  if (policy.retainMs !== undefined) parts.push(`keeps ${duration(policy.retainMs)}`);
  if (policy.maxBytes !== undefined) parts.push(`at most ${bytes(policy.maxBytes)}`);
  return parts.join(', ');
}
