/**
 * The SQLite file genspan uses when none is named: `SqliteStore`, `register()` and the CLI's `--db`. In a module of
 * its own so the CLI can show it without loading SQLite.
 */
export const DEFAULT_DATABASE_PATH = './genspan.db';
