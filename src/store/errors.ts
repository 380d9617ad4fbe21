/** Base class of every error a store raises on purpose; `message` is written for the user. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The store cannot be reached or written right now (PostgreSQL down, restarting or not answering, SQLite busy,
 * disk full): the same call may succeed later, so writers retry these.
 */
export class StoreUnavailableError extends StoreError {
  readonly retryable = true;
}

/**
 * The store refuses every write until someone repairs it (a read-only or corrupt file, a missing table, no privilege):
 * retrying does not help, and neither does leaving some records out.
 */
export class StoreUnwritableError extends StoreError {}

/**
 * The store refused the records of this write and will refuse them again (a value it cannot hold, a constraint
 * they break), while other records may still be written: a writer holding a batch sets the failing records apart.
 */
export class RecordsRejectedError extends StoreError {}

/** The file or database is not a genspan store (or was written by a newer genspan); it was left untouched. */
export class IncompatibleDatabaseError extends StoreError {}

/** A `list` filter value that cannot be used (bad time, bad cursor, bad limit). */
export class InvalidListFilterError extends StoreError {}

/** A record that does not fit `GenerationRecord` (e.g. a bad JSON Lines line on import, a start time that is no time). */
export class InvalidRecordError extends RecordsRejectedError {}

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

/** True when a write failed because of some of its records, so the others may be written without them. */
export function isRecordsRejectedError(error: unknown): boolean {
  return error instanceof RecordsRejectedError;
}
