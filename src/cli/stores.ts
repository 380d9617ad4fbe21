import { existsSync } from 'node:fs';
import { PostgresStore } from '../store/postgres.js';
import { SqliteStore } from '../store/sqlite.js';
import type { PlaygroundStore } from '../store/types.js';
import type { StoreChoice } from './args.js';

/** A store failure the user can fix (missing file, unreachable database): one line, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface OpenedStore {
  store: PlaygroundStore;
  /** Where the data is, for messages; never includes a password. */
  description: string;
}

/** Waits for a store to take writes; one that cannot is closed before its error goes on, so no connection lingers. */
async function readyOrClosed(store: SqliteStore | PostgresStore): Promise<void> {
  try {
    await store.ready();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Opens the chosen store and checks it is usable now (PostgreSQL connected and migrated), so an unreachable
 * database is reported at start rather than on the first request. `mustExist` refuses to create a new SQLite file;
 * `writable` checks that an SQLite file takes writes.
 */
export async function openStore(choice: StoreChoice, options: { mustExist?: boolean; writable?: boolean } = {}): Promise<OpenedStore> {
  if (choice.kind === 'sqlite') {
    if (options.mustExist && !existsSync(choice.path))
      throw new CliError(`no database at ${choice.path} (use --db FILE or --postgres URL)`);
    const store = new SqliteStore({ path: choice.path });
    // `writable`: a file SQLite can only read is refused now, not found out at the first write.
    if (options.writable) await readyOrClosed(store);
    return { store, description: `SQLite ${choice.path}` };
  }
  const store = new PostgresStore({ connectionString: choice.url });
  await readyOrClosed(store);
  return { store, description: `PostgreSQL ${store.target}` };
}
