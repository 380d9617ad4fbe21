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
