/**
 * SQLite's time partitions (docs/arrival-order-keys.md): the generations, their search and tag indexes, the steps and
 * the traces are split into partitions by start time, each a set of tables of its own, so writes go into small trees
 * whatever the store's size. Partition 0 is the tables under their plain names (a file of an older schema keeps its
 * rows there); partition k's tables carry `_p<k>` after the table's name (`genspan_generations_p3`,
 * `genspan_generations_p3_start`). Every statement is written once, for partition 0, and renamed for the others.
 * A plain JavaScript module, as the write thread routes with it (see sqlite-thread-protocol.ts).
 */

/** @import { Database, Statement } from 'better-sqlite3' */
/** @import { SqliteWriteOp } from './sqlite-thread-protocol.js' */

/** @typedef {{ id: number; fromMs: number }} Partition */

/**
 * Marks a part of a statement that stands for every partition, written for partition 0: a condition that must hold
 * in each (`EVERY_PARTITION`, joined with AND) or a SELECT to read from each (`EACH_PARTITION`, joined with UNION
 * ALL). Comments, so PostgreSQL, which partitions by itself, runs the same text as it is.
 */
export const EVERY_PARTITION = '/*every partition*/';
export const EACH_PARTITION = '/*each partition*/';

/**
 * The catalog of a file of one partition, and what a writer without partitions routes by.
 * @type {readonly Partition[]}
 */
export const ONE_PARTITION = [{ id: 0, fromMs: Number.MIN_SAFE_INTEGER }];

/** The catalog: partition k holds the rows whose start time is from its `from_ms` to the next one's. */
export const PARTITION_CATALOG_DDL = `
CREATE TABLE genspan_partitions (
  id INTEGER PRIMARY KEY,
  from_ms INTEGER NOT NULL UNIQUE
);
INSERT INTO genspan_partitions (id, from_ms) VALUES (0, ${ONE_PARTITION[0].fromMs});
`;

/**
 * Generations a partition takes before the writer opens the next one. Writes into a store of 50,000 generations ran
 * at 0.87 of an empty store's rate, into one of 100,000 at 0.78 (docs/reference-additions.md, 2026-12-04).
 */
export const PARTITION_ROWS = 50_000;

/**
 * The tables split by start time, each with a `start_ms` column and an index leading with it. The traces first: a
 * step moved into a partition then widens its trace's row there (the steps' trigger) rather than clashing with it.
 */
const TIME_TABLES = ['genspan_traces', 'genspan_generations', 'genspan_steps'];
/** Whether a partition holds rows: a statement per time table, written for partition 0, each a row if it does. */
export const PARTITION_HOLDS = TIME_TABLES.map((table) => `SELECT 1 FROM ${table} LIMIT 1`);
/** A partition's tables (their indexes and triggers go with them). */
const PARTITION_TABLES = [...TIME_TABLES, 'genspan_search', 'genspan_generation_tags'];

/**
 * A write statement the writer runs as code: drops the oldest partition's tables and catalog row once it holds no
 * row (retention emptied it) and is not the only one. One row changed when it did.
 */
export const DROP_OLDEST_IF_EMPTY = '-- genspan: drop the oldest partition once empty';

/**
 * The names a partition renames: its tables and everything named after them (indexes, triggers, the search index's
 * own tables). The background builds' tables (`genspan_search_build`, `genspan_search_next`) belong to partition 0.
 */
const PARTITIONED_NAME = /\bgenspan_(generations|generation_tags|steps|traces|search(?!_build|_next))(?=\b|_)/g;

/**
 * A statement written for partition 0, for partition `id`.
 * @param {string} sql
 * @param {number} id
 * @returns {string}
 */
export function inPartition(sql, id) {
  return id === 0 ? sql : sql.replace(PARTITIONED_NAME, `$&_p${id}`);
}

/**
 * A statement written for partition 0, for partition `id`, its `EVERY_PARTITION` and `EACH_PARTITION` parts written
 * out for each partition of `catalog`.
 * @param {string} sql
 * @param {number} id
 * @param {readonly Pick<Partition, 'id'>[]} catalog
 * @returns {string}
 */
export function partitionSql(sql, id, catalog) {
  /**
   * @type {(text: string, marker: string, each: (part: string, id: number) => string, join: string, rest: (text: string) => string)
   *   => string}
   */
  const expand = (text, marker, each, join, rest) =>
    text
      .split(marker)
      .map((part, index) => (index % 2 === 0 ? rest(part) : catalog.map((partition) => each(part, partition.id)).join(join)))
      .join('');
  return expand(
    sql,
    EVERY_PARTITION,
    (part, partition) => `(${inPartition(part, partition)})`,
    ' AND ',
    (part) => expand(part, EACH_PARTITION, inPartition, ' UNION ALL ', (rest) => inPartition(rest, id)),
  );
}

/**
 * The partition holding a row that started at `ms`: the last one starting at or before it.
 * @param {readonly Partition[]} catalog in time order, partition 0 first
 * @param {number} ms
 * @returns {number}
 */
export function partitionOf(catalog, ms) {
  let found = catalog[0].id;
  for (const partition of catalog) {
    if (partition.fromMs > ms) break;
    found = partition.id;
  }
  return found;
}

/**
 * The catalog as a transaction on `db` sees it, in time order.
 * @param {Database} db
 * @returns {Partition[]}
 */
export function readCatalog(db) {
  return /** @type {{ id: number; from_ms: number }[]} */ (
    db.prepare('SELECT id, from_ms FROM genspan_partitions ORDER BY from_ms').all()
  ).map((row) => ({ id: row.id, fromMs: row.from_ms }));
}

/**
 * Opens the next partition inside the caller's transaction once the newest holds `rows` generations (by rowid: the
 * rows written into it), starting at `clockMs`. The newest one's rows that start at or after that (a sender whose
 * clock runs ahead) move into it, so every copy of a span, whenever it arrives, goes to the partition holding the
 * first. A clock behind the newest partition's start opens nothing. Returns the catalog as it is now.
 * @param {Database} db
 * @param {readonly Partition[]} catalog
 * @param {{ ddl: readonly string[]; rows: number; clockMs: number }} opening partition 0's DDL, renamed for the new one
 * @returns {readonly Partition[]}
 */
export function openDuePartition(db, catalog, opening) {
  const newest = catalog[catalog.length - 1];
  if (opening.clockMs <= newest.fromMs) return catalog;
  if (writtenInto(db, newest.id) < opening.rows) return catalog;
  const id = Math.max(...catalog.map((partition) => partition.id)) + 1;
  for (const statement of opening.ddl) db.exec(inPartition(statement, id));
  db.prepare('INSERT INTO genspan_partitions (id, from_ms) VALUES (?, ?)').run(id, opening.clockMs);
  for (const table of TIME_TABLES) {
    const from = inPartition(table, newest.id);
    db.prepare(`INSERT INTO ${inPartition(table, id)} SELECT * FROM ${from} WHERE start_ms >= ?`).run(opening.clockMs);
    db.prepare(`DELETE FROM ${from} WHERE start_ms >= ?`).run(opening.clockMs);
  }
  // The partition before the one closing now is written no more but for rows later than a partition's time: its search
  // index is merged to one segment, as a search asks every partition's index and the segments 50,000 writes leave
  // cost each ~2.5 ms (one: ~0.5 ms). ~0.5 s, once a partition. Not the one closing now: a late write (a sender's
  // batch dated before the new partition) adds dozens of segments, undoing the merge. Not partition 0 of a file from
  // before partitions, whose index may hold millions of rows.
  const settled = catalog[catalog.length - 2];
  if (settled !== undefined && writtenInto(db, settled.id) <= 2 * opening.rows) {
    const search = inPartition('genspan_search', settled.id);
    db.exec(`INSERT INTO ${search} (${search}) VALUES ('optimize')`);
  }
  return [...catalog, { id, fromMs: opening.clockMs }];
}

/**
 * The generations written into a partition (its largest rowid; retention's deletes leave it).
 * @param {Database} db
 * @param {number} id
 * @returns {number}
 */
function writtenInto(db, id) {
  const { written } = /** @type {{ written: number | null }} */ (
    db.prepare(`SELECT max(rowid) AS written FROM ${inPartition('genspan_generations', id)}`).get()
  );
  return written ?? 0;
}

/**
 * What a write transaction starts with: the catalog as it sees it, after opening the next partition if one is due.
 * Opening waits for the background index build (partition 0's steps need their start index to give up the rows
 * ahead of the clock without a scan).
 * @param {Database} db
 * @param {{ ddl: readonly string[]; rows: number; clockMs: number }} opening
 * @returns {readonly Partition[]}
 */
export function partitionsForWrite(db, opening) {
  const catalog = readCatalog(db);
  const { complete } = /** @type {{ complete: number }} */ (db.prepare('SELECT complete FROM genspan_index_build').get());
  return complete === 1 ? openDuePartition(db, catalog, opening) : catalog;
}

/**
 * A connection's write statements, by index and partition, for the catalog they were written out for (a statement
 * reading every partition changes with it).
 * @typedef {{ catalog: string; statements: Map<string, Statement> }} PreparedWrites
 */

/**
 * Runs a write's ops inside the caller's transaction, each in the partition of its row's start time (the oldest
 * when it has none: a statement on tables not partitioned; every partition when it is null), adding the rows each
 * statement changed to `changes`.
 * @param {Database} db
 * @param {readonly string[]} sql the statements the ops refer to by index, written for partition 0
 * @param {PreparedWrites} prepared the connection's statements
 * @param {readonly Partition[]} catalog
 * @param {Iterable<SqliteWriteOp>} ops
 * @param {number[]} changes
 */
export function runOps(db, sql, prepared, catalog, ops, changes) {
  const written = catalog.map((partition) => partition.id).join();
  if (prepared.catalog !== written) {
    prepared.catalog = written;
    prepared.statements.clear();
  }
  for (const [index, parameters, startMs] of ops) {
    if (sql[index] === DROP_OLDEST_IF_EMPTY) {
      changes[index] += dropOldestIfEmpty(db, catalog);
      continue;
    }
    const partitions =
      startMs === null ? catalog.map((partition) => partition.id) : [startMs === undefined ? catalog[0].id : partitionOf(catalog, startMs)];
    for (const partition of partitions) {
      const key = `${index}/${partition}`;
      let statement = prepared.statements.get(key);
      if (!statement) {
        statement = db.prepare(partitionSql(sql[index], partition, catalog));
        prepared.statements.set(key, statement);
      }
      changes[index] += statement.run(...parameters).changes;
    }
  }
}

/**
 * See `DROP_OLDEST_IF_EMPTY`. Checked inside the write's transaction, so no row lands between the check and the drop.
 * @param {Database} db
 * @param {readonly Partition[]} catalog
 * @returns {number}
 */
function dropOldestIfEmpty(db, catalog) {
  if (catalog.length < 2) return 0;
  const oldest = catalog[0].id;
  if (PARTITION_HOLDS.some((sql) => db.prepare(inPartition(sql, oldest)).get() !== undefined)) return 0;
  for (const table of PARTITION_TABLES) db.exec(`DROP TABLE ${inPartition(table, oldest)}`);
  db.prepare('DELETE FROM genspan_partitions WHERE id = ?').run(oldest);
  return 1;
}
