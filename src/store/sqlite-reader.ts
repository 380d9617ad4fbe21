import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { cachedStatement } from './sqlite-thread-connection.js';
import type { ReadThreadMessage, ReadThreadReply, ThreadConnectionSetup } from './sqlite-thread-protocol.js';
import { driverError, stopThread, THREAD_LIMITS } from './sqlite-writer.js';

/**
 * Where an `SqliteStore` runs the queries behind its REST reads (lists, counts, facets, traces, threads): rows as
 * plain objects, or the driver's error.
 */
export interface SqliteReader {
  all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  get<Row>(sql: string, params: readonly unknown[]): Promise<Row | undefined>;
  close(): Promise<void>;
}

/** Runs the queries on the store's own connection, on the calling thread (an in-memory database has no other). */
export class InlineSqliteReader implements SqliteReader {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.run(() => this.statement(sql).all(...params) as Row[]);
  }

  get<Row>(sql: string, params: readonly unknown[]): Promise<Row | undefined> {
    return this.run(() => this.statement(sql).get(...params) as Row | undefined);
  }

  async close(): Promise<void> {}

  private run<T>(query: () => T): Promise<T> {
    try {
      return Promise.resolve(query());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private statement(sql: string): Database.Statement {
    return cachedStatement(this.db, this.statements, sql);
  }
}

/**
 * Read threads a file store starts as its queries need them (another whenever every one is busy), so a query that
 * reads for seconds (a `q` too short for the search index, over a million rows) holds neither the event loop (which
 * takes in OTLP) nor the other reads: the page asks for a list and its count at once, and `/healthz` reads too.
 */
export const SQLITE_READ_THREADS = 4;

interface ReadThread {
  worker: Worker;
  waiting: Map<number, { resolve(rows: unknown[]): void; reject(error: unknown): void }>;
}

/**
 * Runs the queries on threads of their own, each with its own connection to the file (a read-only one: WAL lets it
 * read beside the writer). A query goes to an idle thread, else to the least busy; a thread that dies fails its
 * queries and is replaced by the next one. The threads hold the process open only while a query is in flight.
 */
export class ThreadSqliteReader implements SqliteReader {
  private readonly threads: ReadThread[] = [];
  private lastId = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly setup: ThreadConnectionSetup) {}

  async all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (await this.query('all', sql, params)) as Row[];
  }

  async get<Row>(sql: string, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.query('get', sql, params))[0] as Row | undefined;
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(this.threads.map(({ worker }) => stopThread<ReadThreadMessage>(worker, { kind: 'close' }))).then(
      () => undefined,
    );
    return this.closing;
  }

  private query(kind: 'all' | 'get', sql: string, params: readonly unknown[]): Promise<unknown[]> {
    if (this.closing) return Promise.reject(new Error('the SQLite reader is closed'));
    const thread = this.thread();
    const id = ++this.lastId;
    const rows = new Promise<unknown[]>((resolve, reject) => thread.waiting.set(id, { resolve, reject }));
    if (thread.waiting.size === 1) thread.worker.ref();
    const message: ReadThreadMessage = { kind, id, sql, params };
    thread.worker.postMessage(message);
    return rows;
  }

  private thread(): ReadThread {
    const idle = this.threads.find((thread) => thread.waiting.size === 0);
    if (idle) return idle;
    if (this.threads.length < SQLITE_READ_THREADS) return this.start();
    return this.threads.reduce((least, thread) => (thread.waiting.size < least.waiting.size ? thread : least));
  }

  private start(): ReadThread {
    const worker = new Worker(new URL('./sqlite-read-thread.js', import.meta.url), {
      workerData: this.setup,
      resourceLimits: THREAD_LIMITS,
    });
    worker.unref();
    const thread: ReadThread = { worker, waiting: new Map() };
    worker.on('message', (reply: ReadThreadReply) => {
      const waiting = thread.waiting.get(reply.id);
      if (!waiting) return;
      thread.waiting.delete(reply.id);
      if (thread.waiting.size === 0 && !this.closing) worker.unref();
      if ('failure' in reply) waiting.reject(driverError(reply.failure));
      else waiting.resolve(reply.rows);
    });
    const lose = (error: unknown) => {
      const index = this.threads.indexOf(thread);
      if (index < 0) return;
      this.threads.splice(index, 1);
      for (const waiting of thread.waiting.values()) waiting.reject(error);
      thread.waiting.clear();
    };
    worker.on('error', lose);
    worker.on('exit', (code) => lose(new Error(`an SQLite read thread stopped (exit code ${code})`)));
    this.threads.push(thread);
    return thread;
  }
}
