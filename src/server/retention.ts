import type { FastifyBaseLogger } from 'fastify';
import {
  describeReport,
  RETENTION_INTERVAL_MS,
  type RetentionPolicy,
  type RetentionReport,
  type RetentionStore,
  runRetention,
} from '../store/retention.js';
import { errorDetail } from './log.js';

/**
 * `--retain` / `--max-size`: a retention run when the server is ready, then one every `RETENTION_INTERVAL_MS` (a
 * timer that never keeps the process alive), one at a time. Each run's deletions are counted and logged; a failed run
 * (the store unreachable) is logged and the next one tries again.
 */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionReport | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly store: RetentionStore,
    private readonly policy: RetentionPolicy,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = RETENTION_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
    void this.run();
  }

  /** Runs retention now, or joins the run under way; resolves with its report (undefined if it failed or once closed). */
  run(): Promise<RetentionReport | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.running ??= this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<RetentionReport | undefined> {
    try {
      const report = await runRetention(this.store, this.policy);
      if (report.batches > 0) this.log.info(`retention: ${describeReport(report)}`);
      else this.log.debug('retention: nothing to delete');
      return report;
    } catch (error) {
      this.log.error(`retention failed, retrying in ${Math.round(this.intervalMs / 1000)} s: ${errorDetail(error)}`);
      return undefined;
    }
  }

  /** Stops the timer and waits for a run under way, so the store can be closed after it. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }
}
