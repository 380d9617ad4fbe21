/** Base class of every error a store raises on purpose; `message` is written for the user. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The store cannot be reached or written right now (PostgreSQL down or restarting, SQLite busy, disk full):
 * the same call may succeed later, so writers retry these.
 */
export class StoreUnavailableError extends StoreError {
  readonly retryable = true;
}

/** The file or database is not a genspan store (or was written by a newer genspan); it was left untouched. */
export class IncompatibleDatabaseError extends StoreError {}

/** A `list` filter value that cannot be used (bad time, bad cursor, bad limit). */
export class InvalidListFilterError extends StoreError {}

/** A record that does not fit `GenerationRecord` (e.g. a bad JSON Lines line on import). */
export class InvalidRecordError extends StoreError {}

/** The store was closed. */
export class StoreClosedError extends StoreError {
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/** True for store errors worth retrying with backoff (see `StoreUnavailableError`). */
export function isRetryableStoreError(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}
