import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';

/** The v6 rule: which generation rows the tag index (and the v6 search index) hold while the v6 build runs. */
export const V6_INDEXED = (row: 'new' | 'old') =>
  `${row}.rowid <= (SELECT done_rowid FROM genspan_index_build) OR ${row}.rowid > (SELECT end_rowid FROM genspan_index_build)`;

/** Takes a current file back to the layout of schema 10: one set of tables, no steps' start order. */
export function toSchema10(raw: Database.Database): void {
  raw.exec(`DROP TABLE genspan_partitions; DROP INDEX genspan_steps_start; DROP TRIGGER genspan_steps_trace_row;
    DROP TRIGGER genspan_generations_index_delete; DROP TABLE genspan_pruning;
    CREATE TRIGGER genspan_generations_index_delete AFTER DELETE ON genspan_generations BEGIN
      DELETE FROM genspan_search WHERE rowid = old.rowid;
      DELETE FROM genspan_generation_tags WHERE generation_rowid = old.rowid AND tag IN (SELECT value FROM json_each(old.tags));
    END`);
  raw.pragma('user_version = 10');
}

/**
 * Takes a current file back to the layout of schema 9: the search index as an external-content FTS5 table over the
 * generations (rebuilt from them, merging as v9 does) with the v6 triggers, and no v10 build.
 */
export function toSchema9(raw: Database.Database): void {
  const index = (row: 'new') => `INSERT INTO genspan_search (rowid, search_text) VALUES (${row}.rowid, ${row}.search_text);
    INSERT OR IGNORE INTO genspan_generation_tags (tag, generation_rowid) SELECT value, ${row}.rowid FROM json_each(${row}.tags);`;
  const unindex = (
    row: 'old',
  ) => `INSERT INTO genspan_search (genspan_search, rowid, search_text) VALUES ('delete', ${row}.rowid, ${row}.search_text);
    DELETE FROM genspan_generation_tags WHERE generation_rowid = ${row}.rowid AND tag IN (SELECT value FROM json_each(${row}.tags));`;
  toSchema10(raw);
  raw.exec(`
    DROP TRIGGER genspan_generations_index_insert; DROP TRIGGER genspan_generations_index_delete;
    DROP TRIGGER genspan_generations_index_update; DROP TABLE genspan_search; DROP TABLE genspan_search_build;
    CREATE VIRTUAL TABLE genspan_search USING fts5(
      search_text, content = 'genspan_generations', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1', detail = none
    );
    INSERT INTO genspan_search (genspan_search) VALUES ('rebuild');
    INSERT INTO genspan_search (genspan_search, rank) VALUES ('automerge', 16), ('crisismerge', 64);
    CREATE TRIGGER genspan_generations_index_insert AFTER INSERT ON genspan_generations WHEN ${V6_INDEXED('new')} BEGIN
      ${index('new')}
    END;
    CREATE TRIGGER genspan_generations_index_delete AFTER DELETE ON genspan_generations WHEN ${V6_INDEXED('old')} BEGIN
      ${unindex('old')}
    END;
    CREATE TRIGGER genspan_generations_index_update AFTER UPDATE OF search_text, tags ON genspan_generations WHEN ${V6_INDEXED('old')} BEGIN
      ${unindex('old')}
      ${index('new')}
    END;
  `);
  raw.pragma('user_version = 9');
}

/**
 * Takes a current file back to the layout of schema 5 (before the search, tag and case-insensitive indexes): its
 * rows stay, the v6 objects go and the exact indexes of v1 come back.
 */
export function toSchema5(raw: Database.Database): void {
  toSchema10(raw);
  raw.exec(`
    DROP TRIGGER genspan_generations_index_insert; DROP TRIGGER genspan_generations_index_delete;
    DROP TRIGGER genspan_generations_index_update;
    DROP TABLE genspan_search; DROP TABLE genspan_search_build; DROP TABLE genspan_generation_tags; DROP TABLE genspan_index_build;
    DROP INDEX IF EXISTS genspan_generations_service_ci; DROP INDEX IF EXISTS genspan_generations_model_ci;
    DROP INDEX IF EXISTS genspan_generations_provider_ci;
    CREATE INDEX IF NOT EXISTS genspan_generations_service ON genspan_generations (service_name, start_ms, id);
    CREATE INDEX IF NOT EXISTS genspan_generations_model ON genspan_generations (model, start_ms, id);
    CREATE INDEX IF NOT EXISTS genspan_generations_provider ON genspan_generations (provider, start_ms, id);
  `);
  raw.pragma('user_version = 5');
}

/** A file at `path` holding what `fill` wrote through a current store, taken back to schema 5 (the contract's "migrated"). */
export async function schema5File(path: string, fill: (store: PlaygroundStore) => Promise<void>): Promise<void> {
  const previous = new SqliteStore({ path });
  await fill(previous);
  await previous.indexesBuilt();
  await previous.close();
  const raw = new Database(path);
  toSchema5(raw);
  raw.close();
}
