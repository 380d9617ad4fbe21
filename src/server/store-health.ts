import { type StoreError, StoreUnwritableError } from '../store/errors.js';

/**
 * Whether the store still takes writes, as the server's writes found it: after a failure no retry fixes (a file made
 * read-only, a privilege revoked) `/healthz` reports it, until a write succeeds again. Other failures (busy, down for
 * a while) are the clients' to retry and do not count.
 */
export class StoreWriteHealth {
  private failure: { message: string; since: Date } | undefined;

  succeeded(): void {
    this.failure = undefined;
  }

  failed(error: StoreError, at = new Date()): void {
    if (!(error instanceof StoreUnwritableError)) return;
    this.failure = { message: error.message, since: this.failure?.since ?? at };
  }

  /** Why the store does not take writes, or undefined while it does (as far as the last write knows). */
  get problem(): string | undefined {
    return this.failure && `the store has refused every write since ${this.failure.since.toISOString()}: ${this.failure.message}`;
  }
}
