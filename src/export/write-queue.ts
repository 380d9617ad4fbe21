import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { isRetryableStoreError, StoreError } from '../store/errors.js';
import { errorMessage, report } from './diagnostics.js';

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
 * Whether a failed write may succeed later. A store's own non-retryable errors (closed, invalid record,
 * incompatible database) will not, so their records are dropped at once; anything else, including the
 * drivers' raw errors, is retried.
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
 * Each batch's callback is called exactly once: after its records are durable, or when they are dropped.
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

  /** Takes a batch; `done` is called exactly once. Never throws. */
  enqueue(items: readonly T[], done: ResultCallback): void {
    const once = callOnce(done);
    if (this.closed) {
      this.drop(items.length, 'the exporter is shut down');
      once({ code: ExportResultCode.FAILED, error: new Error('genspan: the exporter is shut down') });
      return;
    }
    if (items.length === 0) {
      once({ code: ExportResultCode.SUCCESS });
      return;
    }
    if (this.buffered + items.length > this.options.maxBufferedRecords) {
      const reason = `the buffer is full (${this.buffered} of ${this.options.maxBufferedRecords} records waiting for the store)`;
      this.drop(items.length, reason);
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
      try {
        await this.writeWithRetries(group);
      } catch (error) {
        // Only a bug gets here (store errors are handled above); the batch still gets its one answer.
        const count = group.reduce((sum, entry) => sum + entry.items.length, 0);
        this.drop(count, `unexpected failure: ${errorMessage(error)}`);
        this.settle(group, { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
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

  private async writeWithRetries(group: Entry<T>[]): Promise<void> {
    const items = group.length === 1 ? group[0].items : group.flatMap((entry) => entry.items);
    for (let retry = 0; ; retry++) {
      try {
        await this.write(items);
        if (retry > 0) report('info', `genspan: the store accepted ${items.length} ${this.what} after ${retry} retries`);
        this.settle(group, { code: ExportResultCode.SUCCESS });
        return;
      } catch (error) {
        const transient = isTransientWriteError(error);
        if (!transient || retry >= this.options.maxRetries) {
          const reason = transient
            ? `the store still failed after ${retry} retries: ${errorMessage(error)}`
            : `the store refused them: ${errorMessage(error)}`;
          this.drop(items.length, reason);
          this.settle(group, {
            code: ExportResultCode.FAILED,
            error: new Error(`genspan: dropped ${items.length} ${this.what}: ${reason}`, { cause: error }),
          });
          return;
        }
        const delay = this.backoff(retry);
        report(retry === 0 ? 'warn' : 'debug', `genspan: could not write ${items.length} ${this.what} (${errorMessage(error)}); retry ${retry + 1} in ${delay} ms`);
        await this.sleep(delay);
      }
    }
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

  private settle(group: Entry<T>[], result: ExportResult): void {
    for (const entry of group) {
      this.buffered -= entry.items.length;
      entry.done(result);
    }
  }

  private drop(count: number, reason: string): void {
    if (count === 0) return;
    this.dropped += count;
    report('error', `genspan: dropped ${count} ${this.what}: ${reason} (${this.dropped} dropped in total)`);
  }
}

function definedOnly(options: RetryOptions): RetryOptions {
  const result: RetryOptions = {};
  for (const [key, value] of Object.entries(options) as [keyof RetryOptions, number | undefined][]) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) result[key] = value;
  }
  return result;
}
