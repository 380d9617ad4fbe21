import Database from 'better-sqlite3';

/** @import { Statement } from 'better-sqlite3' */
/** @import { ThreadConnectionSetup, WriteFailure } from './sqlite-thread-protocol.js' */

/**
 * A thread's own connection to the store's file, tuned as it was told; the file exists (the store created it).
 * A pragma that fails closes the connection again, so the thread can retry the whole opening later.
 * @param {ThreadConnectionSetup} setup
 * @returns {Database.Database}
 */
export function openThreadConnection(setup) {
  const db = new Database(setup.path, { fileMustExist: true, timeout: setup.busyTimeoutMs });
  try {
    for (const pragma of setup.pragmas) db.pragma(pragma);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A driver error as it crosses back to the calling thread: its SQLite code and message (an Error does not clone).
 * @param {unknown} error
 * @returns {WriteFailure}
 */
export function threadFailure(error) {
  const code = /** @type {{ code?: unknown } | null} */ (error)?.code;
  return { code: typeof code === 'string' ? code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/**
 * A statement prepared once per SQL text on a connection (the list queries vary with their filters).
 * @param {Database.Database} db
 * @param {Map<string, Statement>} statements the connection's own cache
 * @param {string} sql
 * @returns {Statement}
 */
export function cachedStatement(db, statements, sql) {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/**
 * Runs `work` in a read transaction whose snapshot is taken (by reading the schema cookie) before it prepares
 * anything. FTS5 reads its own config table while a statement that uses the search index is prepared; outside a
 * transaction that read opens a snapshot of its own, and if another connection changed the schema in between (an
 * index build's steps) it fails with SQLITE_SCHEMA as "vtable constructor failed", which SQLite does not retry. And
 * SQLite prepares a statement again after a schema change only once: outside a transaction, another change meanwhile
 * fails it with "database schema has changed". In one snapshot the schema SQLite loads and the config FTS5 reads
 * agree. `PRAGMA schema_version` takes the snapshot because preparing it reads no schema, which could itself be stale.
 * @template T
 * @param {Database.Database} db
 * @param {Map<string, Statement>} statements the connection's own cache
 * @param {() => T} work
 * @returns {T}
 */
export function inOneSnapshot(db, statements, work) {
  cachedStatement(db, statements, 'BEGIN').run();
  try {
    cachedStatement(db, statements, 'PRAGMA schema_version').get();
    return work();
  } finally {
    cachedStatement(db, statements, 'COMMIT').run();
  }
}
