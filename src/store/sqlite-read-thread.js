/**
 * A read thread of `ThreadSqliteReader`: it runs the store's queries on a connection of its own, so a query that reads
 * many rows (a search too short for the index, a count) holds this thread, not the event loop that takes in OTLP.
 * Statements are prepared once per SQL text, as the store did on its own connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cachedStatement, openThreadConnection, threadFailure } from './sqlite-thread-connection.js';

/** @import { Database, Statement } from 'better-sqlite3' */
/** @import { ReadThreadMessage, ReadThreadReply, ThreadConnectionSetup } from './sqlite-thread-protocol.js' */

if (!parentPort) throw new Error('sqlite-read-thread.js runs only as a worker thread of ThreadSqliteReader');
const port = parentPort;
const setup = /** @type {ThreadConnectionSetup} */ (workerData);
/** @type {Database | undefined} */
let db;
/** @type {Map<string, Statement>} */
const statements = new Map();

/**
 * @param {string} sql
 * @returns {Statement}
 */
function statement(sql) {
  db ??= openThreadConnection(setup);
  return cachedStatement(db, statements, sql);
}

/**
 * @param {{ kind: 'all' | 'get'; sql: string; params: readonly unknown[] }} message
 * @returns {unknown[]}
 */
function run(message) {
  const prepared = statement(message.sql);
  const rows = message.kind === 'all' ? prepared.all(...message.params) : [prepared.get(...message.params)];
  return rows[0] === undefined && message.kind === 'get' ? [] : rows;
}

/**
 * Seen once in CI while a schema 5 file was migrated: the search index's virtual table failed to connect on a read
 * connection opened before the build's schema changes.
 * @param {unknown} error
 */
function schemaChanged(error) {
  const { code, message } = threadFailure(error);
  return code === 'SQLITE_SCHEMA' || message.includes('vtable constructor failed');
}

port.on('message', (/** @type {ReadThreadMessage} */ message) => {
  if (message.kind === 'close') {
    db?.close();
    port.close();
    return;
  }
  /** @type {ReadThreadReply} */
  let reply;
  try {
    reply = { id: message.id, rows: run(message) };
  } catch (error) {
    if (!schemaChanged(error)) reply = { id: message.id, failure: threadFailure(error) };
    else {
      // The schema changed under this connection (a migration's index build): a new connection reads it afresh.
      db?.close();
      db = undefined;
      statements.clear();
      try {
        reply = { id: message.id, rows: run(message) };
      } catch (again) {
        reply = { id: message.id, failure: threadFailure(again) };
      }
    }
  }
  port.postMessage(reply);
});
