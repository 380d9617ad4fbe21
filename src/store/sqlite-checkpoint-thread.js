/**
 * The checkpoint thread of `ThreadSqliteWriter`: when asked, it copies the committed WAL frames into the database
 * file with its own connection. SQLite otherwise checkpoints inside the COMMIT that crosses `wal_autocheckpoint`,
 * which would stall that write for the whole copy and its fsyncs; here it runs beside the writes, and the automatic
 * checkpoint only mops up what this one has not copied yet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openThreadConnection } from './sqlite-thread-connection.js';

/** @import { Database } from 'better-sqlite3' */
/** @import { CheckpointThreadMessage, CheckpointThreadReply, ThreadConnectionSetup } from './sqlite-thread-protocol.js' */

if (!parentPort) throw new Error('sqlite-checkpoint-thread.js runs only as a worker thread of ThreadSqliteWriter');
const port = parentPort;
const setup = /** @type {ThreadConnectionSetup} */ (workerData);
/** @type {Database | undefined} */
let db;

port.on('message', (/** @type {CheckpointThreadMessage} */ message) => {
  if (message === 'close') {
    db?.close();
    port.close();
    return;
  }
  /** @type {CheckpointThreadReply} */
  let reply = 'done';
  try {
    db ??= openThreadConnection(setup);
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // The WAL is left to the next checkpoint, or to the writer's automatic one; the store reports why.
    reply = { failure: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
