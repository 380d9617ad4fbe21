import type pg from 'pg';

/**
 * PostgreSQL's time partitions (schema 10): the generations and steps tables are partitioned by range on start_ms, one
 * partition per week, so a write's randomly keyed trees ((trace_id, span_id) and the generation id) are those of a
 * week's rows, not of the whole store's (docs/arrival-order-keys.md). The planner reads the partitions itself, so
 * every query stays as written against the parent table; it plans each partition, which is why they are weeks: with
 * a partition a day, 31 at 1,000,000 generations, planning made the count of a common word 55.7 ms against 25.2.
 */
const DAY_MS = 86_400_000;
/** A partition's span of start times: weeks counted from the Unix epoch (so each starts on a Thursday, 00:00 UTC). */
export const PARTITION_WEEK_MS = 7 * DAY_MS;
/** The tables split by week; traces, threads, spans and log records stay one table each. */
export const PARTITIONED_TABLES = ['genspan_generations', 'genspan_steps'] as const;
/**
 * A partitioned table's unique keys must hold the partition key: these replace the tables' own (trace_id, span_id)
 * and id keys. Every copy of a span carries the same start time, so a duplicate still meets its first copy.
 */
export const PARTITION_KEYS = [
  { table: 'genspan_generations', name: 'genspan_generations_span', columns: '(trace_id, span_id, start_ms)' },
  { table: 'genspan_generations', name: 'genspan_generations_id', columns: '(id, start_ms)' },
  { table: 'genspan_steps', name: 'genspan_steps_span', columns: '(trace_id, span_id, start_ms)' },
] as const;
/** `genspan_meta`'s row holding where the week partitions start: the stored table holds everything before. */
export const PARTITIONS_FROM_KEY = 'partitions_from_ms';
/** Held (per transaction) by whoever opens or drops a partition, so two writers never create the same one. */
export const PARTITION_LOCK_KEY = '29113321772917104';
/** The check a stored table gets before it becomes the partition of everything before the first week partition. */
export const LEGACY_BOUND = (table: string) => `${table}_before_partitions`;
/** What a stored table is renamed to when it becomes that partition. */
const legacyName = (table: string) => `${table}_legacy`;

/** The partition of `table` holding week `week` (weeks since 1970-01-01), named by its first day's date. */
export function partitionName(table: string, week: number): string {
  const time = new Date(week * PARTITION_WEEK_MS).toISOString();
  const date = time.slice(0, time.indexOf('T'));
  return `${table}_${date.startsWith('-') ? 'm' : ''}${date.replace(/\D/g, '')}`;
}

/** The weeks the given start times fall in that have week partitions (those before `fromMs` go to the stored table). */
export function partitionWeeks(startMs: Iterable<number>, fromMs: number): number[] {
  const weeks = new Set<number>();
  for (const ms of startMs) {
    const week = Math.floor(ms / PARTITION_WEEK_MS);
    if (Number.isFinite(week) && week * PARTITION_WEEK_MS >= fromMs) weeks.add(week);
  }
  return [...weeks].sort((a, b) => a - b);
}

/** The names of the partitions `weeks` need, in both tables. */
export function partitionNames(weeks: readonly number[]): string[] {
  return weeks.flatMap((week) => PARTITIONED_TABLES.map((table) => partitionName(table, week)));
}

/**
 * Which of the named tables do not exist. Read from pg_class with the statement's snapshot: to_regclass goes through
 * the backend's catalog cache, which may not yet know of a partition another writer committed a moment ago.
 */
export const MISSING_TABLES = `SELECT name FROM unnest($1::text[]) AS name WHERE NOT EXISTS (
  SELECT 1 FROM pg_class c WHERE c.relname = name AND c.relnamespace = to_regnamespace(current_schema())::oid)`;

/**
 * Creates the week partitions of `weeks` that no one created yet, in the caller's transaction, under the partition
 * lock. Each is made beside the parent and then attached: ATTACH PARTITION holds the parent with a lock that lets
 * reads and writes go on (CREATE TABLE ... PARTITION OF would hold them off), and an empty table needs no check.
 */
export async function openPartitions(client: pg.ClientBase, weeks: readonly number[]): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
  const missing = new Set((await client.query<{ name: string }>(MISSING_TABLES, [partitionNames(weeks)])).rows.map((row) => row.name));
  for (const week of weeks) {
    for (const table of PARTITIONED_TABLES) {
      const name = partitionName(table, week);
      if (!missing.has(name)) continue;
      await client.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING COMPRESSION INCLUDING STORAGE)`);
      const from = week * PARTITION_WEEK_MS;
      await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${from + PARTITION_WEEK_MS})`);
    }
  }
}

/** The indexes of a table that no constraint owns, with their definitions (`CREATE [UNIQUE] INDEX name ON table ...`). */
const OWN_INDEXES = `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
  WHERE i.schemaname = current_schema() AND i.tablename = $1
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(i.indexname))
  ORDER BY i.indexname`;
const INDEX_DEFINITION = /^(CREATE (?:UNIQUE )?INDEX) \S+ ON \S+ (USING .*)$/s;

/**
 * Turns the (unpartitioned) tables into partitioned ones with the same columns and indexes, in the caller's
 * transaction. With `cutoverMs`, each stored table becomes the partition of every start time before it, its indexes
 * attached as the parent's (built already, with the `PARTITION_KEYS` among them), and its `LEGACY_BOUND` check (valid)
 * spares the scan; without, the tables are new and empty, and go.
 */
export async function partitionTables(client: pg.ClientBase, cutoverMs: number | null): Promise<void> {
  for (const table of PARTITIONED_TABLES) {
    const legacy = legacyName(table);
    const indexes = (await client.query<{ name: string; definition: string }>(OWN_INDEXES, [table])).rows;
    for (const index of indexes) await client.query(`ALTER INDEX ${index.name} RENAME TO ${index.name}_legacy`);
    await client.query(`ALTER TABLE ${table} RENAME TO ${legacy}`);
    await client.query(
      `CREATE TABLE ${table} (LIKE ${legacy} INCLUDING DEFAULTS INCLUDING COMPRESSION INCLUDING STORAGE) PARTITION BY RANGE (start_ms)`,
    );
    if (cutoverMs !== null)
      await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${legacy} FOR VALUES FROM (MINVALUE) TO (${cutoverMs})`);
    for (const index of indexes) {
      const parts = INDEX_DEFINITION.exec(index.definition);
      if (!parts) throw new Error(`unexpected index definition: ${index.definition}`);
      await client.query(`${parts[1]} ${index.name} ON ${table} ${parts[2]}`);
    }
    if (cutoverMs === null) await client.query(`DROP TABLE ${legacy}`);
  }
}

/**
 * Where a stored database's week partitions start: the week after both the server's clock and the newest row, so
 * the stored table keeps every row it has and this week's, and next week's go to a partition.
 */
export const CUTOVER = `SELECT ((greatest((extract(epoch FROM now()) * 1000)::bigint,
    (SELECT max(start_ms) FROM genspan_generations), (SELECT max(start_ms) FROM genspan_steps)) / ${PARTITION_WEEK_MS} + 1)
    * ${PARTITION_WEEK_MS})::bigint AS cutover`;

/**
 * The partitions (the stored table's among them) whose range ended over a day ago by the server's clock, with their
 * size: those retention may have emptied. The current week's, and the last one's for its first day, are left to the
 * writers.
 */
export const ENDED_PARTITIONS = `SELECT c.relname AS name, p.relname AS parent, pg_total_relation_size(c.oid)::bigint AS bytes
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
  WHERE p.relname = ANY($1::text[]) AND p.relnamespace = to_regnamespace(current_schema())::oid
    AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''(-?\\d+)''\\)'))[1]::bigint
      <= (extract(epoch FROM now()) * 1000)::bigint - ${DAY_MS}
  ORDER BY c.relname`;
/**
 * How long dropping a partition waits for the parent's lock (DROP TABLE holds it exclusively): readers and writers
 * queue behind a waiting drop, so it gives up soon and the next retention run tries again.
 */
export const PARTITION_DROP_LOCK_TIMEOUT_MS = 50;
/** The stored tables' partitions, under their names (dropping them moves where week partitions start). */
export const LEGACY_PARTITIONS: readonly string[] = PARTITIONED_TABLES.map(legacyName);
