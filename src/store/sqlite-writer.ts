import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { ONE_PARTITION, type PreparedWrites, partitionsForWrite, runOps } from './sqlite-partitions.js';
import type {
  CheckpointThreadMessage,
  CheckpointThreadReply,
  PartitionOpening,
  SqliteWriteOp,
  ThreadConnectionSetup,
  WriteFailure,
  WriteThreadMessage,
  WriteThreadReply,
  WriteThreadSetup,
} from './sqlite-thread-protocol.js';

export type { SqliteWriteOp } from './sqlite-thread-protocol.js';

/**
 * Where an `SqliteStore` runs its writes: one connection, one IMMEDIATE transaction per call. Resolves with the
 * rows changed per statement; rejects with the driver's error (or with whatever iterating `ops` threw), rolled back.
 * `held`, when given, is told how long the transaction held the write lock (retention reports its longest batch).
 */
export interface SqliteWriter {
  transaction(ops: Iterable<SqliteWriteOp>, held?: (ms: number) => void): Promise<number[]>;
  /** Resolves once no background checkpoint is running (at once when none is, or the writer has none). */
  checkpointed(): Promise<void>;
  close(): Promise<void>;
}

/** A writer's clock: the time a partition due opens at (`Date.now`, unless a benchmark replays older data). */
export type WriterClock = () => number;

/** Runs the writes on the store's own connection, on the calling thread (an in-memory database has no other). */
export class InlineSqliteWriter implements SqliteWriter {
  /** Prepared on first use, inside the write's transaction (as the write thread does), by index and partition. */
  private readonly statements: PreparedWrites = { catalog: '', statements: new Map() };
  private readonly run: Database.Transaction<(ops: Iterable<SqliteWriteOp>) => number[]>;

  constructor(db: Database.Database, sql: readonly string[], partitions?: PartitionOpening, clock: WriterClock = Date.now) {
    this.run = db.transaction((ops: Iterable<SqliteWriteOp>) => {
      const changes = sql.map(() => 0);
      const catalog = partitions ? partitionsForWrite(db, { ...partitions, clockMs: clock() }) : ONE_PARTITION;
      runOps(db, sql, this.statements, catalog, ops, changes);
      return changes;
    });
  }

  transaction(ops: Iterable<SqliteWriteOp>, held?: (ms: number) => void): Promise<number[]> {
    try {
      const started = performance.now();
      const changes = this.run.immediate(ops);
      held?.(performance.now() - started);
      return Promise.resolve(changes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async checkpointed(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Records (ops) written between two background checkpoints: about 4 MB of WAL for 2 KB generations. */
const CHECKPOINT_EVERY_OPS = 1024;
/**
 * The threads' JavaScript heaps are small: a write thread holds only the chunks in flight, a read thread a query's
 * rows, and both die young. Capping the young generation (V8's default lets it grow to tens of MB) keeps a busy
 * server's peak RSS down, at no measurable cost in throughput.
 */
export const THREAD_LIMITS = { maxYoungGenerationSizeMb: 6 };
/** Ops per message: small enough that the thread starts inserting while the rest of the batch is still being built. */
const CHUNK_OPS = 32;

interface Waiting {
  resolve(changes: number[]): void;
  reject(error: unknown): void;
  held?: (ms: number) => void;
}

/**
 * Runs the writes on a thread of their own with its own connection to the file. The calling thread (in an
 * instrumented app, its event loop) only builds the rows: it hands them over in chunks while the thread inserts
 * them, so building and inserting overlap, and waiting for a lock or the disk never blocks it. A second thread
 * checkpoints the WAL between and beside the writes (SQLite's documentation suggests this for applications that
 * write steadily), so no commit waits for a checkpoint.
 * The write thread starts with the writer and is restarted after a crash; the threads hold the process open only
 * while a write is in flight. Each thread is a JavaScript module beside this one (sqlite-write-thread.js,
 * sqlite-checkpoint-thread.js), so Node runs the same file from the sources and from the built package.
 */
export class ThreadSqliteWriter implements SqliteWriter {
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  /** `again`: more was committed while a checkpoint ran, so another follows it. */
  private checkpoint: 'idle' | 'running' | 'again' = 'idle';
  /** Waiting for the running checkpoint (and any that follows it at once) to finish. */
  private checkpointWaiters: (() => void)[] = [];
  private opsSinceCheckpoint = 0;
  private readonly waiting = new Map<number, Waiting>();
  private lastId = 0;
  private closing: Promise<void> | undefined;
  private readonly setup: WriteThreadSetup;
  private readonly clock: WriterClock;

  constructor(setup: WriteThreadSetup, clock: WriterClock = Date.now) {
    this.setup = setup;
    this.clock = clock;
    // Started now, like opening a connection, so the first export does not wait for a thread to boot.
    this.thread();
  }

  transaction(ops: Iterable<SqliteWriteOp>, held?: (ms: number) => void): Promise<number[]> {
    if (this.closing) return Promise.reject(new Error('the SQLite writer is closed'));
    const worker = this.thread();
    const id = ++this.lastId;
    const result = new Promise<number[]>((resolve, reject) => this.waiting.set(id, { resolve, reject, held }));
    if (this.waiting.size === 1) worker.ref();
    let chunk: SqliteWriteOp[] = [];
    let count = 0;
    const clockMs = this.clock();
    try {
      for (const op of ops) {
        count++;
        chunk.push(op);
        if (chunk.length === CHUNK_OPS) {
          this.post(worker, { kind: 'ops', id, ops: chunk, last: false, clockMs });
          chunk = [];
        }
      }
      this.post(worker, { kind: 'ops', id, ops: chunk, last: true, clockMs });
      this.opsSinceCheckpoint += count;
    } catch (error) {
      // Building an op threw, or one held a value that cannot be cloned: the write fails like a bad parameter would.
      this.post(worker, { kind: 'abort', id });
      this.settle(id, (waiting) => waiting.reject(error));
    }
    return result;
  }

  checkpointed(): Promise<void> {
    if (this.checkpoint === 'idle') return Promise.resolve();
    return new Promise((resolve) => this.checkpointWaiters.push(resolve));
  }

  private checkpointEnded(): void {
    this.checkpoint = 'idle';
    const waiters = this.checkpointWaiters;
    this.checkpointWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Lets the writes handed over so far finish, then closes the threads' connections. */
  close(): Promise<void> {
    this.closing ??= stopThread<WriteThreadMessage>(this.worker, { kind: 'close' }).then(() =>
      stopThread<CheckpointThreadMessage>(this.checkpointer, 'close'),
    );
    return this.closing;
  }

  /** Asks for a checkpoint once enough was written since the last one; one runs at a time. */
  private requestCheckpoint(): void {
    if (this.opsSinceCheckpoint < CHECKPOINT_EVERY_OPS || this.closing) return;
    if (this.checkpoint !== 'idle') {
      this.checkpoint = 'again';
      return;
    }
    this.opsSinceCheckpoint = 0;
    this.checkpoint = 'running';
    const message: CheckpointThreadMessage = 'checkpoint';
    this.checkpointThread().postMessage(message);
  }

  private checkpointThread(): Worker {
    if (this.checkpointer) return this.checkpointer;
    const { path, busyTimeoutMs, pragmas } = this.setup;
    const workerData: ThreadConnectionSetup = { path, busyTimeoutMs, pragmas };
    const worker = new Worker(new URL('./sqlite-checkpoint-thread.js', import.meta.url), { workerData, resourceLimits: THREAD_LIMITS });
    worker.unref();
    worker.on('message', (reply: CheckpointThreadReply) => {
      if (reply !== 'done') report('warn', `genspan: a background checkpoint of ${path} could not run: ${reply.failure}`);
      const again = this.checkpoint === 'again';
      this.checkpoint = 'idle';
      if (again) this.requestCheckpoint();
      if (this.checkpoint === 'idle') this.checkpointEnded();
    });
    // A checkpoint thread that fails leaves the checkpoints to SQLite's automatic one until the next request.
    worker.on('error', (error) => report('warn', `genspan: the checkpoint thread of ${path} failed: ${errorMessage(error)}`));
    worker.on('exit', () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      this.checkpointEnded();
    });
    this.checkpointer = worker;
    return worker;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./sqlite-write-thread.js', import.meta.url), {
      workerData: this.setup,
      resourceLimits: THREAD_LIMITS,
    });
    worker.unref();
    worker.on('message', (reply: WriteThreadReply) => {
      if ('failure' in reply) return this.settle(reply.id, (waiting) => waiting.reject(driverError(reply.failure)));
      this.settle(reply.id, (waiting) => {
        waiting.held?.(reply.heldMs);
        waiting.resolve(reply.changes);
      });
      this.requestCheckpoint();
    });
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the SQLite write thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private post(worker: Worker, message: WriteThreadMessage): void {
    worker.postMessage(message);
  }

  private settle(id: number, outcome: (waiting: Waiting) => void): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    // Once closing, the thread keeps the process until it has closed its connection (see stopThread).
    if (this.waiting.size === 0 && !this.closing) this.worker?.unref();
    outcome(waiting);
  }

  /** The thread is gone: its open writes fail (they were rolled back with it), and the next write starts a new one. */
  private lose(worker: Worker, error: unknown): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const id of [...this.waiting.keys()]) this.settle(id, (waiting) => waiting.reject(error));
  }
}

/** Sends a thread its last message and resolves once it has exited (at once when there is none). */
export function stopThread<Message>(worker: Worker | undefined, message: Message): Promise<void> {
  if (!worker) return Promise.resolve();
  return new Promise((resolve) => {
    worker.ref();
    worker.once('exit', () => resolve());
    worker.postMessage(message);
  });
}

/** The driver's error class again, so the store sorts a thread's failure as it sorts its own. */
export function driverError(failure: WriteFailure): Error {
  return failure.code ? new Database.SqliteError(failure.message, failure.code) : new Error(failure.message);
}
