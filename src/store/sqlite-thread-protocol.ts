/**
 * What `ThreadSqliteWriter`, `ThreadSqliteReader` and their threads (sqlite-write-thread.js, sqlite-checkpoint-thread.js,
 * sqlite-read-thread.js) hand each other.
 * The threads are plain JavaScript modules, so Node runs the same files from the sources and from the built package;
 * they take these types through JSDoc, and tsc checks both sides against them.
 */

/**
 * One execution of a write statement: its index in the writer's statement list, its parameters, and for a row of a
 * partitioned table its start time, which picks the partition it runs in (sqlite-partitions.js); null when not known,
 * to run it in every partition (a statement that finds its rows by key, changing none where they are not).
 */
export type SqliteWriteOp = readonly [statement: number, parameters: readonly unknown[], startMs?: number | null];

/** How a writer opens partitions: partition 0's DDL, renamed for each new one, once the newest holds `rows`. */
export interface PartitionOpening {
  ddl: readonly string[];
  rows: number;
}

/** How a thread opens its own connection to the store's file (structured-cloned into it as `workerData`). */
export interface ThreadConnectionSetup {
  path: string;
  busyTimeoutMs: number;
  /** Run on the connection once it is open, in order. */
  pragmas: readonly string[];
}

/** What the write thread is started with. */
export interface WriteThreadSetup extends ThreadConnectionSetup {
  /** The statements the ops refer to by index. */
  statements: readonly string[];
  /** For a file with time partitions; without, every op runs on partition 0's tables. */
  partitions?: PartitionOpening;
}

/**
 * To the write thread: a write's ops in chunks, the last one marked (the thread commits after it), with the calling
 * side's clock when the write began (a partition due opens at it); `abort` when the rest of a write cannot be built,
 * so the thread rolls back what it was sent; `close` once no more writes come.
 */
export type WriteThreadMessage =
  | { kind: 'ops'; id: number; ops: SqliteWriteOp[]; last: boolean; clockMs: number }
  | { kind: 'abort'; id: number }
  | { kind: 'close' };

/** A driver error as it crosses threads (from the write or a read thread): its SQLite code (if any) and message. */
export interface WriteFailure {
  code?: string;
  message: string;
}

/**
 * From the write thread, once per write after its COMMIT or ROLLBACK: the rows changed per statement and how long it
 * held the write lock (BEGIN IMMEDIATE to COMMIT), or why it failed.
 */
export type WriteThreadReply = { id: number; changes: number[]; heldMs: number } | { id: number; failure: WriteFailure };

/** To the checkpoint thread. */
export type CheckpointThreadMessage = 'checkpoint' | 'close';

/** From the checkpoint thread, after each checkpoint it was asked for: done, or why it could not run. */
export type CheckpointThreadReply = 'done' | { failure: string };

/** To a read thread: one statement to run (`all` rows, or the first row with `get`); `close` once no more come. */
export type ReadThreadMessage = { kind: 'all' | 'get'; id: number; sql: string; params: readonly unknown[] } | { kind: 'close' };

/** From a read thread, once per statement: its rows (none for a `get` that found nothing), or why it failed. */
export type ReadThreadReply = { id: number; rows: unknown[] } | { id: number; failure: WriteFailure };
