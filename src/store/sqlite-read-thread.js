/**
 * A read thread of `ThreadSqliteReader`: it runs the store's queries on a connection of its own, so a query that reads
 * many rows (a search too short for the index, a count) holds this thread, not the event loop that takes in OTLP.
 * Statements are prepared once per SQL text, as the store did on its own connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cachedStatement, inOneSnapshot, openThreadConnection, threadFailure } from './sqlite-thread-connection.js';

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
 * Each query in one snapshot from before its statement is prepared (see `inOneSnapshot`).
 * @param {{ kind: 'all' | 'get'; sql: string; params: readonly unknown[] }} message
 * @returns {unknown[]}
 */
function run(message) {
  db ??= openThreadConnection(setup);
  const connection = db;
  return inOneSnapshot(connection, statements, () => {
    const prepared = cachedStatement(connection, statements, message.sql);
    const rows = message.kind === 'all' ? prepared.all(...message.params) : [prepared.get(...message.params)];
    return rows[0] === undefined && message.kind === 'get' ? [] : rows;
  });
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
