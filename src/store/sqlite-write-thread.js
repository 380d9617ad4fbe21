/**
 * The write thread of `ThreadSqliteWriter`. It keeps one connection open, runs each write's chunks of ops in one
 * IMMEDIATE transaction as they arrive, and answers once per write, after COMMIT or ROLLBACK.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ONE_PARTITION, partitionsForWrite, runOps } from './sqlite-partitions.js';
import { openThreadConnection, threadFailure } from './sqlite-thread-connection.js';

/** @import { Database } from 'better-sqlite3' */
/** @import { WriteFailure, WriteThreadMessage, WriteThreadReply, WriteThreadSetup } from './sqlite-thread-protocol.js' */
/** @import { Partition, PreparedWrites } from './sqlite-partitions.js' */

if (!parentPort) throw new Error('sqlite-write-thread.js runs only as a worker thread of ThreadSqliteWriter');
const port = parentPort;
const setup = /** @type {WriteThreadSetup} */ (workerData);
/** @type {Database | undefined} */
let db;
/**
 * Prepared on first use, inside that write's transaction: the schema is the one the write sees, and a statement for
 * objects only some files have (a step of an index build) is prepared only where it runs.
 * @type {PreparedWrites}
 */
const statements = { catalog: '', statements: new Map() };
/** @type {{ id: number; changes: number[]; startedAt: number; catalog: readonly Partition[]; failure?: WriteFailure } | undefined} */
let current;

/**
 * Opened on the first write, and again after a failed open, so a file that is busy at startup is retried.
 * @returns {Database}
 */
function connection() {
  if (db) return db;
  db = openThreadConnection(setup);
  return db;
}

function rollback() {
  try {
    if (db?.inTransaction) db.exec('ROLLBACK');
  } catch {
    // SQLite rolls back by itself after some errors; there is nothing left to undo then.
  }
}

port.on('message', (/** @type {WriteThreadMessage} */ message) => {
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
    current = { id: message.id, changes: setup.statements.map(() => 0), startedAt: 0, catalog: ONE_PARTITION };
    try {
      connection().exec('BEGIN IMMEDIATE');
      current.startedAt = performance.now();
      // Read after BEGIN IMMEDIATE: a partition another connection opened is in it, and none opens until COMMIT.
      if (setup.partitions) current.catalog = partitionsForWrite(connection(), { ...setup.partitions, clockMs: message.clockMs });
    } catch (error) {
      current.failure = threadFailure(error);
      rollback();
    }
  }
  const write = current;
  if (!write.failure) {
    try {
      runOps(connection(), setup.statements, statements, write.catalog, message.ops, write.changes);
      if (message.last) connection().exec('COMMIT');
    } catch (error) {
      write.failure = threadFailure(error);
      rollback();
    }
  }
  if (!message.last) return;
  current = undefined;
  /** @type {WriteThreadReply} */
  const reply = write.failure
    ? { id: write.id, failure: write.failure }
    : { id: write.id, changes: write.changes, heldMs: performance.now() - write.startedAt };
  port.postMessage(reply);
});
