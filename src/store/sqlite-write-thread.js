/**
 * The write thread of `ThreadSqliteWriter`. It keeps one connection open, runs each write's chunks of ops in one
 * IMMEDIATE transaction as they arrive, and answers once per write, after COMMIT or ROLLBACK.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openThreadConnection, threadFailure } from './sqlite-thread-connection.js';

/** @import { Database, Statement } from 'better-sqlite3' */
/** @import { WriteFailure, WriteThreadMessage, WriteThreadReply, WriteThreadSetup } from './sqlite-thread-protocol.js' */

if (!parentPort) throw new Error('sqlite-write-thread.js runs only as a worker thread of ThreadSqliteWriter');
const port = parentPort;
const setup = /** @type {WriteThreadSetup} */ (workerData);
/** @type {Database | undefined} */
let db;
/**
 * Prepared on first use, inside that write's transaction: the schema is the one the write sees, and a statement for
 * objects only some files have (a step of an index build) is prepared only where it runs.
 * @type {(Statement | undefined)[]}
 */
const statements = [];
/** @type {{ id: number; changes: number[]; startedAt: number; failure?: WriteFailure } | undefined} */
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
    current = { id: message.id, changes: setup.statements.map(() => 0), startedAt: 0 };
    try {
      connection().exec('BEGIN IMMEDIATE');
      current.startedAt = performance.now();
    } catch (error) {
      current.failure = threadFailure(error);
    }
  }
  const write = current;
  if (!write.failure) {
    try {
      for (const [index, parameters] of message.ops) {
        statements[index] ??= connection().prepare(setup.statements[index]);
        write.changes[index] += statements[index].run(...parameters).changes;
      }
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
