import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { isRecordsRejectedError, isRetryableStoreError, StoreError } from '../store/errors.js';

/** How an exporter rides out a failing store (PostgreSQL restarting, SQLITE_BUSY, disk full). */
export interface RetryOptions {
  /** Records held (written, waiting or retrying) at most; a batch that does not fit is dropped and reported FAILED. Default 10,000. */
  maxBufferedRecords?: number;
  /** Retries of a failed write before its records are dropped and reported FAILED. Default 10 (about half a minute). */
  maxRetries?: number;
  /** First backoff delay; it doubles on each retry up to `maxBackoffMillis`, with jitter. Default 100. */
  initialBackoffMillis?: number;
  /** Default 5,000. */
  maxBackoffMillis?: number;
  /** Records per store write at most: queued batches are coalesced up to it. Default 2,048. */
  maxWriteRecords?: number;
}

/**
 * Whether a failed write may succeed later. A store's own non-retryable errors (closed, rejected records,
 * unwritable or incompatible database) will not; anything else, including the drivers' unclassified errors, is retried.
 */
export function isTransientWriteError(error: unknown): boolean {
  if (isRetryableStoreError(error)) return true;
  return !(error instanceof StoreError);
}

export const RETRY_DEFAULTS: Required<RetryOptions> = {
  maxBufferedRecords: 10_000,
  maxRetries: 10,
  initialBackoffMillis: 100,
  maxBackoffMillis: 5_000,
  maxWriteRecords: 2_048,
};

export type ResultCallback = (result: ExportResult) => void;

interface Entry<T> {
  items: readonly T[];
  done: ResultCallback;
}

/** Some items of one entry, written together while a group the store rejected is split. */
interface Part<T> {
  entry: Entry<T>;
  items: readonly T[];
}

/** Why a write was given up: `rejected` is the records' fault (the others are worth writing without them). */
interface WriteFailure {
  kind: 'rejected' | 'refused' | 'exhausted';
  reason: string;
  cause: unknown;
}

/** The records of one entry that were dropped, for its result. */
interface Loss {
  count: number;
  reason: string;
  cause: unknown;
}

/** What became of one coalesced group so far. */
interface GroupOutcome<T> {
  losses: Map<Entry<T>, Loss>;
  /** Set once retries ran out: the store is down, so the group's remaining parts are dropped without more waiting. */
  exhausted?: WriteFailure;
}

/** Splits parts in two: by entry (export call) while there are several, then an entry's items in halves. */
function halves<T>(parts: readonly Part<T>[]): [Part<T>[], Part<T>[]] {
  if (parts.length > 1) {
    const middle = Math.ceil(parts.length / 2);
    return [parts.slice(0, middle), parts.slice(middle)];
  }
  const [{ entry, items }] = parts;
  const middle = Math.ceil(items.length / 2);
  return [[{ entry, items: items.slice(0, middle) }], [{ entry, items: items.slice(middle) }]];
}

/** Wraps a result callback so it runs at most once and never throws back into the exporter. */
export function callOnce(callback: ResultCallback): ResultCallback {
  let called = false;
  return (result) => {
    if (called) return;
    called = true;
    try {
      callback(result);
    } catch (error) {
      report('error', `genspan: an export result callback threw: ${errorMessage(error)}`);
    }
  };
}

/**
 * A bounded buffer in front of a store: batches are written one write at a time (the BatchSpanProcessor's
 * forceFlush exports batches concurrently), failed writes are retried with exponential backoff and jitter,
 * and every dropped record is counted and logged through the OpenTelemetry diagnostic logger.
 * When the store rejects some records of a coalesced write (`RecordsRejectedError`), the write is split so that
 * only the records that fail on their own are dropped.
 * Each batch's callback is called exactly once: SUCCESS after its records are stored, FAILED when any was dropped.
 */
export class WriteQueue<T> {
  private readonly options: Required<RetryOptions>;
  private readonly pending: Entry<T>[] = [];
  private buffered = 0;
  private dropped = 0;
  private running: Promise<void> | null = null;
  private closed = false;
  private flushing = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<unknown>,
    /** What the records are, for log lines: "generation records", "log records". */
    private readonly what: string,
    options: RetryOptions = {},
  ) {
    this.options = { ...RETRY_DEFAULTS, ...definedOnly(options) };
  }

  /** Records held now: queued, being written or waiting for a retry. */
  get bufferedRecords(): number {
    return this.buffered;
  }

  /** Records dropped since the queue was created. */
  get droppedRecords(): number {
    return this.dropped;
  }

  /** Counts and logs dropped records; exporters also report here what they lost before it reached the queue. */
  reportDropped(count: number, reason: string): void {
    if (count === 0) return;
    this.dropped += count;
    report('error', `genspan: dropped ${count} ${this.what}: ${reason} (${this.dropped} dropped in total)`);
  }

  /** Takes a batch; `done` is called exactly once. Never throws. */
  enqueue(items: readonly T[], done: ResultCallback): void {
    const once = callOnce(done);
    if (this.closed) {
      this.reportDropped(items.length, 'the exporter is shut down');
      once({ code: ExportResultCode.FAILED, error: new Error('genspan: the exporter is shut down') });
      return;
    }
    if (items.length === 0) {
      once({ code: ExportResultCode.SUCCESS });
      return;
    }
    if (this.buffered + items.length > this.options.maxBufferedRecords) {
      const reason = `the buffer is full (${this.buffered} of ${this.options.maxBufferedRecords} records waiting for the store)`;
      this.reportDropped(items.length, reason);
      once({ code: ExportResultCode.FAILED, error: new Error(`genspan: dropped ${items.length} ${this.what}: ${reason}`) });
      return;
    }
    this.pending.push({ items, done: once });
    this.buffered += items.length;
    void this.run();
  }

  /** Resolves once everything queued so far is written or dropped. Never rejects. */
  async flush(): Promise<void> {
    this.flushing++;
    // A retry wait keeps the process alive only while someone waits for the flush, as the SDK's batch timer does.
    this.retryTimer?.ref();
    try {
      while (this.running) await this.running;
    } finally {
      this.flushing--;
    }
  }

  /** Refuses new batches, then flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private run(): Promise<void> {
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
        // A batch queued between the last loop check and this point still needs a writer.
        if (this.pending.length > 0) void this.run();
      });
    }
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.takeGroup();
      const outcome: GroupOutcome<T> = { losses: new Map() };
      try {
        await this.writeParts(
          group.map((entry) => ({ entry, items: entry.items })),
          outcome,
        );
      } catch (error) {
        // Only a bug gets here (store errors are handled below): the records not dropped yet count as dropped now.
        const reason = `unexpected failure: ${errorMessage(error)}`;
        let count = 0;
        for (const entry of group) {
          count += entry.items.length - (outcome.losses.get(entry)?.count ?? 0);
          outcome.losses.set(entry, { count: entry.items.length, reason, cause: error });
        }
        this.reportDropped(count, reason);
      }
      this.settle(group, outcome.losses);
    }
  }

  /** Coalesces queued batches into one store write, up to `maxWriteRecords` (at least one batch). */
  private takeGroup(): Entry<T>[] {
    const group: Entry<T>[] = [this.pending.shift() as Entry<T>];
    let count = group[0].items.length;
    while (this.pending.length > 0 && count + this.pending[0].items.length <= this.options.maxWriteRecords) {
      const next = this.pending.shift() as Entry<T>;
      count += next.items.length;
      group.push(next);
    }
    return group;
  }

  /**
   * Writes the parts' items in one store write. When the store rejects records, the parts are split and each half
   * written on its own, down to single records, so only the records that fail by themselves are dropped.
   */
  private async writeParts(parts: readonly Part<T>[], outcome: GroupOutcome<T>): Promise<void> {
    if (outcome.exhausted) {
      this.lose(parts, outcome.exhausted, outcome);
      return;
    }
    const items = parts.length === 1 ? parts[0].items : parts.flatMap((part) => part.items);
    const failure = await this.writeWithRetries(items);
    if (!failure) return;
    if (failure.kind === 'rejected' && items.length > 1) {
      for (const half of halves(parts)) await this.writeParts(half, outcome);
      return;
    }
    if (failure.kind === 'exhausted') outcome.exhausted = failure;
    this.lose(parts, failure, outcome);
  }

  /** Writes items, retrying transient failures with backoff; resolves with why it gave up, or undefined once written. */
  private async writeWithRetries(items: readonly T[]): Promise<WriteFailure | undefined> {
    for (let retry = 0; ; retry++) {
      try {
        await this.write(items);
        if (retry > 0) report('info', `genspan: the store accepted ${items.length} ${this.what} after ${retry} retries`);
        return undefined;
      } catch (error) {
        if (!isTransientWriteError(error)) {
          return isRecordsRejectedError(error)
            ? { kind: 'rejected', reason: `the store rejected them: ${errorMessage(error)}`, cause: error }
            : { kind: 'refused', reason: `the store refused them: ${errorMessage(error)}`, cause: error };
        }
        if (retry >= this.options.maxRetries) {
          return { kind: 'exhausted', reason: `the store still failed after ${retry} retries: ${errorMessage(error)}`, cause: error };
        }
        const delay = this.backoff(retry);
        report(
          retry === 0 ? 'warn' : 'debug',
          `genspan: could not write ${items.length} ${this.what} (${errorMessage(error)}); retry ${retry + 1} in ${delay} ms`,
        );
        await this.sleep(delay);
      }
    }
  }

  /** Drops the parts' items: counted and logged once, and noted against each entry for its result. */
  private lose(parts: readonly Part<T>[], failure: WriteFailure, outcome: GroupOutcome<T>): void {
    let count = 0;
    for (const { entry, items } of parts) {
      count += items.length;
      const loss = outcome.losses.get(entry);
      if (loss) loss.count += items.length;
      else outcome.losses.set(entry, { count: items.length, reason: failure.reason, cause: failure.cause });
    }
    this.reportDropped(count, failure.reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        resolve();
      }, ms);
      if (this.flushing === 0) this.retryTimer.unref();
    });
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries spread but still wait. */
  private backoff(retry: number): number {
    const { initialBackoffMillis, maxBackoffMillis } = this.options;
    const ceiling = Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** retry);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private settle(group: readonly Entry<T>[], losses: ReadonlyMap<Entry<T>, Loss>): void {
    for (const entry of group) {
      this.buffered -= entry.items.length;
      const loss = losses.get(entry);
      if (!loss) {
        entry.done({ code: ExportResultCode.SUCCESS });
        continue;
      }
      const count = loss.count === entry.items.length ? `${loss.count}` : `${loss.count} of ${entry.items.length}`;
      entry.done({
        code: ExportResultCode.FAILED,
        error: new Error(`genspan: dropped ${count} ${this.what}: ${loss.reason}`, { cause: loss.cause }),
      });
    }
  }
}

function definedOnly(options: RetryOptions): RetryOptions {
  const result: RetryOptions = {};
  for (const [key, value] of Object.entries(options) as [keyof RetryOptions, number | undefined][]) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) result[key] = value;
  }
  return result;
}
