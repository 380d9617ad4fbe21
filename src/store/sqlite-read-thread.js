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
const SNAPSHOT = 'SELECT 1 FROM sqlite_schema LIMIT 1';

/**
 * Each query runs in a read transaction whose snapshot is taken (by reading the schema) before its statement is
 * prepared. FTS5 reads its own config table while a statement that uses the search index is prepared; outside a
 * transaction that read opens a snapshot of its own, and if another connection changed the schema in between (the
 * index build's steps) it fails with SQLITE_SCHEMA as "vtable constructor failed", which SQLite does not retry. In one
 * snapshot the schema SQLite loads and the config FTS5 reads agree.
 * @param {{ kind: 'all' | 'get'; sql: string; params: readonly unknown[] }} message
 * @returns {unknown[]}
 */
function run(message) {
  db ??= openThreadConnection(setup);
  cachedStatement(db, statements, 'BEGIN').run();
  try {
    cachedStatement(db, statements, SNAPSHOT).get();
    const prepared = cachedStatement(db, statements, message.sql);
    const rows = message.kind === 'all' ? prepared.all(...message.params) : [prepared.get(...message.params)];
    return rows[0] === undefined && message.kind === 'get' ? [] : rows;
  } finally {
    cachedStatement(db, statements, 'COMMIT').run();
  }
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
    reply = { id: message.id, failure: threadFailure(error) };
  }
  port.postMessage(reply);
});
