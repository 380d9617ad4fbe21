import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** One execution of a write statement: its index in the writer's statement list and its parameters. */
export type SqliteWriteOp = readonly [statement: number, parameters: readonly unknown[]];

/**
 * Where an `SqliteStore` runs its writes: one connection, one IMMEDIATE transaction per call. Resolves with the
 * rows changed per statement; rejects with the driver's error (or with whatever iterating `ops` threw), rolled back.
 */
export interface SqliteWriter {
  transaction(ops: Iterable<SqliteWriteOp>): Promise<number[]>;
  close(): Promise<void>;
}

/** Runs the writes on the store's own connection, on the calling thread (an in-memory database has no other). */
export class InlineSqliteWriter implements SqliteWriter {
  private readonly statements: Database.Statement[];
  private readonly run: Database.Transaction<(ops: Iterable<SqliteWriteOp>) => number[]>;

  constructor(db: Database.Database, statements: readonly string[]) {
    this.statements = statements.map((sql) => db.prepare(sql));
    this.run = db.transaction((ops: Iterable<SqliteWriteOp>) => {
      const changes = this.statements.map(() => 0);
      for (const [index, parameters] of ops) changes[index] += this.statements[index].run(...parameters).changes;
      return changes;
    });
  }

  transaction(ops: Iterable<SqliteWriteOp>): Promise<number[]> {
    try {
      return Promise.resolve(this.run.immediate(ops));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {}
}

/** What the write thread is started with (structured-cloned into it). */
interface WriterSetup {
  /** Resolved path of better-sqlite3, so the thread loads the same driver as the store. */
  driver: string;
  path: string;
  busyTimeoutMs: number;
  pragmas: readonly string[];
  statements: readonly string[];
}

type WriterMessage = { kind: 'ops'; id: number; ops: SqliteWriteOp[]; last: boolean } | { kind: 'abort'; id: number } | { kind: 'close' };

interface WriterFailure {
  code?: string;
  message: string;
}

type WriterReply = { id: number; changes: number[] } | { id: number; failure: WriterFailure };

/**
 * The write thread's program. It is run from its source text (`eval`), so it may use nothing from this module:
 * only `require` and what it is given. It keeps one connection open, runs each write's chunks of ops in one
 * IMMEDIATE transaction as they arrive, and answers once per write, after COMMIT or ROLLBACK.
 */
function writerThread(): void {
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const port = threads.parentPort as import('node:worker_threads').MessagePort;
  const setup = threads.workerData as WriterSetup;
  const Driver = require(setup.driver) as typeof import('better-sqlite3');
  let db: import('better-sqlite3').Database | undefined;
  let statements: import('better-sqlite3').Statement[] = [];
  let current: { id: number; changes: number[]; failure?: WriterFailure } | undefined;

  // Opened on the first write, and again after a failed open, so a file that is busy at startup is retried.
  function connection(): import('better-sqlite3').Database {
    if (db) return db;
    const opened = new Driver(setup.path, { fileMustExist: true, timeout: setup.busyTimeoutMs });
    try {
      for (const pragma of setup.pragmas) opened.pragma(pragma);
      statements = setup.statements.map((sql) => opened.prepare(sql));
    } catch (error) {
      opened.close();
      throw error;
    }
    db = opened;
    return opened;
  }
  function failure(error: unknown): WriterFailure {
    const code = (error as { code?: unknown } | null)?.code;
    return { code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) };
  }
  function rollback(): void {
    try {
      if (db?.inTransaction) db.exec('ROLLBACK');
    } catch {
      // SQLite rolls back by itself after some errors; there is nothing left to undo then.
    }
  }

  port.on('message', (message: WriterMessage) => {
    if (message.kind === 'close') {
      rollback();
      db?.close();
      port.close();
      return;
    }
    if (message.kind === 'abort') {
      if (current?.id === message.id && !current.failure) rollback();
      if (current?.id === message.id) current = undefined;
      return;
    }
    if (current?.id !== message.id) {
      current = { id: message.id, changes: setup.statements.map(() => 0) };
      try {
        connection().exec('BEGIN IMMEDIATE');
      } catch (error) {
        current.failure = failure(error);
      }
    }
    const write = current;
    if (!write.failure) {
      try {
        for (const [index, parameters] of message.ops) write.changes[index] += statements[index].run(...parameters).changes;
        if (message.last) connection().exec('COMMIT');
      } catch (error) {
        write.failure = failure(error);
        rollback();
      }
    }
    if (!message.last) return;
    current = undefined;
    const reply: WriterReply = write.failure ? { id: write.id, failure: write.failure } : { id: write.id, changes: write.changes };
    port.postMessage(reply);
  });
}

/**
 * The checkpoint thread's program (run from its source text like the write thread's): when asked, it copies the
 * committed WAL frames into the database file with its own connection. SQLite otherwise checkpoints inside the
 * COMMIT that crosses `wal_autocheckpoint`, which would stall that write for the whole copy and its fsyncs; here it
 * runs beside the writes, and the automatic checkpoint only mops up what this one has not copied yet.
 */
function checkpointThread(): void {
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const port = threads.parentPort as import('node:worker_threads').MessagePort;
  const setup = threads.workerData as Omit<WriterSetup, 'statements'>;
  const Driver = require(setup.driver) as typeof import('better-sqlite3');
  let db: import('better-sqlite3').Database | undefined;

  port.on('message', (message: 'checkpoint' | 'close') => {
    if (message === 'close') {
      db?.close();
      port.close();
      return;
    }
    try {
      if (!db) {
        db = new Driver(setup.path, { fileMustExist: true, timeout: setup.busyTimeoutMs });
        for (const pragma of setup.pragmas) db.pragma(pragma);
      }
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A checkpoint that cannot run now is left to the next one, or to the writer's automatic checkpoint.
    }
    port.postMessage('done');
  });
}

const WRITER_THREAD_SOURCE = `(${writerThread.toString()})();`;
const CHECKPOINT_THREAD_SOURCE = `(${checkpointThread.toString()})();`;
/** Records (ops) written between two background checkpoints: about 4 MB of WAL for 2 KB generations. */
const CHECKPOINT_EVERY_OPS = 1024;
/**
 * The threads' JavaScript heaps are small: a write thread holds only the chunks in flight, which die young. Capping
 * the young generation (V8's default lets it grow to tens of MB) keeps a busy server's peak RSS down, at no
 * measurable cost in throughput.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 6 };
/** Ops per message: small enough that the thread starts inserting while the rest of the batch is still being built. */
const CHUNK_OPS = 32;

interface Waiting {
  resolve(changes: number[]): void;
  reject(error: unknown): void;
}

/**
 * Runs the writes on a thread of their own with its own connection to the file. The calling thread (in an
 * instrumented app, its event loop) only builds the rows: it hands them over in chunks while the thread inserts
 * them, so building and inserting overlap, and waiting for a lock or the disk never blocks it. A second thread
 * checkpoints the WAL between and beside the writes (SQLite's documentation suggests this for applications that
 * write steadily), so no commit waits for a checkpoint.
 * The write thread starts with the writer and is restarted after a crash; the threads hold the process open only
 * while a write is in flight.
 */
export class ThreadSqliteWriter implements SqliteWriter {
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  /** `again`: more was committed while a checkpoint ran, so another follows it. */
  private checkpoint: 'idle' | 'running' | 'again' = 'idle';
  private opsSinceCheckpoint = 0;
  private readonly waiting = new Map<number, Waiting>();
  private lastId = 0;
  private closing: Promise<void> | undefined;
  private readonly setup: WriterSetup;

  constructor(options: Omit<WriterSetup, 'driver'>) {
    this.setup = { ...options, driver: createRequire(import.meta.url).resolve('better-sqlite3') };
    // Started now, like opening a connection, so the first export does not wait for a thread to boot.
    this.thread();
  }

  transaction(ops: Iterable<SqliteWriteOp>): Promise<number[]> {
    if (this.closing) return Promise.reject(new Error('the SQLite writer is closed'));
    const worker = this.thread();
    const id = ++this.lastId;
    const result = new Promise<number[]>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.waiting.size === 1) worker.ref();
    let chunk: SqliteWriteOp[] = [];
    let count = 0;
    try {
      for (const op of ops) {
        count++;
        chunk.push(op);
        if (chunk.length === CHUNK_OPS) {
          this.post(worker, { kind: 'ops', id, ops: chunk, last: false });
          chunk = [];
        }
      }
      this.post(worker, { kind: 'ops', id, ops: chunk, last: true });
      this.opsSinceCheckpoint += count;
    } catch (error) {
      // Building an op threw, or one held a value that cannot be cloned: the write fails like a bad parameter would.
      this.post(worker, { kind: 'abort', id });
      this.settle(id, (waiting) => waiting.reject(error));
    }
    return result;
  }

  /** Lets the writes handed over so far finish, then closes the threads' connections. */
  close(): Promise<void> {
    this.closing ??= stopThread(this.worker, { kind: 'close' }).then(() => stopThread(this.checkpointer, 'close'));
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
    this.checkpointThread().postMessage('checkpoint');
  }

  private checkpointThread(): Worker {
    if (this.checkpointer) return this.checkpointer;
    const { driver, path, busyTimeoutMs, pragmas } = this.setup;
    const worker = new Worker(CHECKPOINT_THREAD_SOURCE, {
      eval: true,
      workerData: { driver, path, busyTimeoutMs, pragmas },
      resourceLimits: THREAD_LIMITS,
    });
    worker.unref();
    worker.on('message', () => {
      const again = this.checkpoint === 'again';
      this.checkpoint = 'idle';
      if (again) this.requestCheckpoint();
    });
    // A checkpoint thread that fails leaves the checkpoints to SQLite's automatic one until the next request.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      this.checkpoint = 'idle';
    });
    this.checkpointer = worker;
    return worker;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WRITER_THREAD_SOURCE, { eval: true, workerData: this.setup, resourceLimits: THREAD_LIMITS });
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      if ('failure' in reply) return this.settle(reply.id, (waiting) => waiting.reject(driverError(reply.failure)));
      this.settle(reply.id, (waiting) => waiting.resolve(reply.changes));
      this.requestCheckpoint();
    });
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the SQLite write thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private post(worker: Worker, message: WriterMessage): void {
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
function stopThread<Message>(worker: Worker | undefined, message: Message): Promise<void> {
  if (!worker) return Promise.resolve();
  return new Promise((resolve) => {
    worker.ref();
    worker.once('exit', () => resolve());
    worker.postMessage(message);
  });
}

/** The driver's error class again, so the store sorts a thread's failure as it sorts its own. */
function driverError(failure: WriterFailure): Error {
  return failure.code ? new Database.SqliteError(failure.message, failure.code) : new Error(failure.message);
}
