import type { Readable, Writable } from 'node:stream';
import pg from 'pg';
import type { Experiment, ExperimentDefinition, ExperimentResult, ExperimentStatus } from '../generation/experiment.js';
import type { ListFilter } from '../generation/filter.js';
import { FACET_LIMITS, type FacetField, LIST_TOTAL_EXACT_BOUND } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import type { FacetList, ListTotal, ThreadDetail, ThreadList, TraceDetail, TraceList } from '../generation/rest.js';
import { StatusCode } from '../generation/status.js';
import {
  type GenerationMerge,
  type IngestStore,
  type SpanKey,
  type StepBatch,
  type StepLink,
  spanKeyString,
  type WriteResult,
} from '../ingest/contract.js';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { storedRecord } from '../ingest/stored-values.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';
import { pageFrom } from './cursor.js';
import {
  IncompatibleDatabaseError,
  RecordsRejectedError,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
  StoreUnwritableError,
} from './errors.js';
import {
  EXPERIMENT_NEWEST_FIRST,
  EXPERIMENT_RESULT_COLUMNS,
  EXPERIMENT_SELECT,
  type ExperimentResultRow,
  type ExperimentRow,
  experimentFromRow,
  experimentValues,
  resultFromRow,
} from './experiment-row.js';
import {
  boundedCountQuery,
  facetFilter,
  facetQuery,
  type ListPart,
  listParts,
  matchingQuery,
  normalizeFilter,
  SEARCH_COMMON_MATCHES,
  SEARCH_DENSE_MATCHES,
  SEARCH_INDEX_MIN_LENGTH,
  searchLength,
  searchProbeParts,
  traceListWhere,
} from './filter-sql.js';
import {
  fromRow,
  GENERATION_COLUMNS,
  type GenerationRow,
  generationFacets,
  type ListRow,
  RECORD_COLUMNS,
  type RecordColumns,
  startMillis,
  toRow,
} from './generation-row.js';
import { EXPORT_PAGE_SIZE, readJsonl, writeJsonl } from './jsonl.js';
import {
  CUTOVER,
  ENDED_PARTITIONS,
  LEGACY_BOUND,
  LEGACY_PARTITIONS,
  MISSING_TABLES,
  openPartitions,
  PARTITION_DROP_LOCK_TIMEOUT_MS,
  PARTITION_KEYS,
  PARTITION_LOCK_KEY,
  PARTITIONED_TABLES,
  PARTITIONS_FROM_KEY,
  partitionNames,
  partitionTables,
  partitionWeeks,
} from './postgres-partitions.js';
import { NO_PRUNE, orphanBound, type PruneBatch, pruneSql, type RetentionStore, unclaimed } from './retention.js';
import {
  batchThreads,
  batchTraceTimes,
  encodePageCursor,
  fromStepRow,
  mergedGenerationJson,
  STEP_COLUMNS,
  STEP_JSON_COLUMNS,
  type StepLinkRow,
  type StepRow,
  type StoredStepRow,
  stepLinkFromRow,
  type ThreadSummaryRow,
  type ThreadTurnRow,
  type TraceSummaryRow,
  type TraceThreadRow,
  threadSummaryFromRow,
  threadTurnFromRow,
  toStepRow,
  traceSummaryFromRow,
  tracesBegun,
  traceThreadFromRow,
  treeOrder,
} from './step-row.js';
import { decodeLog, decodeSpan, encodeSpan, toLogRows } from './telemetry-json.js';
import {
  EXPORT_STEPS,
  EXPORT_THREADS,
  listTracesSql,
  SELECT_THREAD,
  SELECT_THREAD_TURNS,
  SELECT_TRACE_STEPS,
  SELECT_TRACE_THREAD,
  type TraceDialect,
  threadListQuery,
} from './trace-sql.js';
import type { ExportPage, ListPage, PlaygroundStore, ThreadFilter } from './types.js';

export interface PostgresStoreOptions {
  /** e.g. `postgresql://user:password@host:5432/database`. */
  connectionString: string;
  /**
   * node-postgres pool settings (max, idleTimeoutMillis, ssl...). Defaults: connectionTimeoutMillis 10 s;
   * query_timeout 30 s, so a query the server never answers (a half-open connection) fails retryably instead of
   * holding the writer forever; keepAlive on, probing an idle connection after 10 s.
   */
  pool?: Omit<pg.PoolConfig, 'connectionString'>;
  /** Past how many matches `count` stops counting and answers the planner's estimate (default `LIST_TOTAL_EXACT_BOUND`). */
  exactCountBound?: number;
}

/** Pool settings `pool` overrides. */
const POOL_DEFAULTS = {
  connectionTimeoutMillis: 10_000,
  query_timeout: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} satisfies pg.PoolConfig;

/**
 * The schema this code writes (row `schema_version` of `genspan_meta`). 10 is 9's tables with generations and steps
 * partitioned by week (postgres-partitions.ts): a new database is created so, a stored one is brought from 9 to 10 by
 * `partitionStored` after the concurrent index builds; until then the code reads and writes it as it is.
 */
export const POSTGRES_SCHEMA_VERSION = 10;
/** Serialises schema setup across genspan processes starting at once ("genspan" in ASCII). */
const MIGRATION_LOCK_KEY = '29113321772917102';
/** Seeds the hash of trace ids into advisory lock keys, keeping them apart from other applications' keys. */
const TRACE_LOCK_SEED = MIGRATION_LOCK_KEY;

const SCHEMA_V1 = `
CREATE TABLE genspan_generations (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  id text COLLATE "C" NOT NULL UNIQUE,
  parent_span_id text,
  service_name text,
  scope_name text NOT NULL,
  scope_version text,
  source text NOT NULL,
  start_time text NOT NULL,
  end_time text NOT NULL,
  start_ms bigint NOT NULL,
  status_code integer NOT NULL,
  status_message text,
  model text,
  provider text,
  is_error boolean NOT NULL,
  tags jsonb NOT NULL,
  search_text text NOT NULL,
  warnings text NOT NULL,
  generation text NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX genspan_generations_start ON genspan_generations (start_ms, id);
CREATE INDEX genspan_generations_service ON genspan_generations (service_name, start_ms, id);
CREATE INDEX genspan_generations_model ON genspan_generations (model, start_ms, id);
CREATE INDEX genspan_generations_provider ON genspan_generations (provider, start_ms, id);
CREATE INDEX genspan_generations_source ON genspan_generations (source, start_ms, id);
CREATE INDEX genspan_generations_errors ON genspan_generations (start_ms, id) WHERE is_error;
CREATE INDEX genspan_generations_tags ON genspan_generations USING gin (tags jsonb_path_ops);
CREATE TABLE genspan_spans (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  span text NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE genspan_logs (
  seq bigserial PRIMARY KEY,
  key text NOT NULL UNIQUE,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  time_unix_nano bigint NOT NULL,
  record text NOT NULL
);
CREATE INDEX genspan_logs_span ON genspan_logs (trace_id, span_id, time_unix_nano, seq);
`;

/**
 * v2: the record's cost (JSON) and its total (the cost filters read it); records stored before have none. Nullable
 * columns without a default: adding them rewrites no row.
 */
const SCHEMA_V2 = `
ALTER TABLE genspan_generations ADD COLUMN cost text;
ALTER TABLE genspan_generations ADD COLUMN cost_total double precision;
`;

/** v3: experiments and their results. */
const SCHEMA_V3 = `
CREATE TABLE genspan_experiments (
  id text PRIMARY KEY,
  created_ms bigint NOT NULL,
  status text NOT NULL,
  error text,
  definition text NOT NULL
);
CREATE INDEX genspan_experiments_created ON genspan_experiments (created_ms, id);
CREATE TABLE genspan_experiment_results (
  experiment_id text NOT NULL,
  source_id text NOT NULL,
  variant integer NOT NULL,
  generation_id text,
  error text,
  PRIMARY KEY (experiment_id, source_id, variant)
);
`;

/**
 * v4: the cost orders' index (read backward for highest cost first); records without a cost stay out of it, so it
 * costs their inserts nothing. Adds an index only: every row is kept.
 */
const SCHEMA_V4 = `
CREATE INDEX genspan_generations_cost ON genspan_generations (cost_total, start_ms, id) WHERE cost_total IS NOT NULL;
`;

/**
 * v5: steps keyed by their span, with the record of a generation merged into another one (`merged_generation`);
 * traces (their thread, first start and last end) and threads, kept by upserts as steps arrive. New tables only:
 * every row is kept, and traces stored before have no steps. Ids keep the generations table's collation, so joins on
 * them use its indexes.
 */
const SCHEMA_V5 = `
CREATE TABLE genspan_steps (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  id text NOT NULL,
  parent_id text,
  parent_span_id text,
  name text NOT NULL,
  type text NOT NULL,
  input text,
  output text,
  start_time text NOT NULL,
  end_time text NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  error text,
  tags text NOT NULL,
  metadata text NOT NULL,
  generation_id text,
  service_name text,
  merged_generation text,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE genspan_traces (
  trace_id text PRIMARY KEY,
  thread_id text,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL
);
CREATE INDEX genspan_traces_start ON genspan_traces (start_ms, trace_id);
CREATE INDEX genspan_traces_thread ON genspan_traces (thread_id, start_ms, trace_id) WHERE thread_id IS NOT NULL;
CREATE TABLE genspan_threads (
  id text PRIMARY KEY,
  name text,
  user_id text,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL
);
CREATE INDEX genspan_threads_last ON genspan_threads (end_ms, id);
CREATE INDEX genspan_threads_user ON genspan_threads (user_id, end_ms, id) WHERE user_id IS NOT NULL;
`;

/**
 * v6: pg_trgm, for the search index. The indexes themselves (`SEARCH_INDEXES`) are built after the migration's
 * transaction, concurrently.
 */
const SCHEMA_V6 = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
`;

/**
 * v7: the duration and token orders' indexes (`SORT_INDEXES`), built concurrently after the migration as the v6 ones
 * are; the migration itself changes no table.
 */
const SCHEMA_V7 = `
SELECT 1;
`;

/**
 * v8: a trace's steps are read through the primary key's (trace_id, span_id) prefix and sorted, a few rows each; the
 * (trace_id, start_ms) index that spared that sort was a second randomly keyed B-tree on every step write (v5 to v7
 * created it, a new database never has it). DROP INDEX holds the steps table only for the drop itself.
 * And search text is compressed with lz4 where the server has it (PostgreSQL 14 or later, built with lz4): the scans
 * of `q` (a common word's bounded count, a query too short for the trigram index) decompress every row they read,
 * which took most of their time with the default pglz and half as long with lz4 (README, Performance). The change is
 * the column's setting only: rows stored before keep pglz until they are rewritten.
 */
const SCHEMA_V8 = `
DROP INDEX IF EXISTS genspan_steps_trace;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE genspan_generations ALTER COLUMN search_text SET COMPRESSION lz4;
  END IF;
END
$$;
`;

/**
 * Retention's deletes for one batch, in order: the batch's traces (`trace_ids`) with what started before `before_ms`,
 * then what nothing holds any more; their threads (`thread_ids`), deleted once they hold no trace, else starting at
 * their first trace left; generations without a trace by span (`span_trace_ids`, `span_ids`) started before
 * `bound_ms`, with their kept spans and log records; log records without a span (`log_seqs`).
 */
const PRUNE_STATEMENTS = {
  generations: 'DELETE FROM genspan_generations WHERE trace_id = ANY(trace_ids) AND start_ms < before_ms',
  steps: 'DELETE FROM genspan_steps WHERE trace_id = ANY(trace_ids) AND start_ms < before_ms',
  spans: `DELETE FROM genspan_spans WHERE trace_id = ANY(trace_ids) AND ${unclaimed('genspan_spans')}`,
  logs: `DELETE FROM genspan_logs WHERE trace_id = ANY(trace_ids) AND ${unclaimed('genspan_logs')}`,
  traces: `DELETE FROM genspan_traces WHERE trace_id = ANY(trace_ids)
     AND NOT EXISTS (SELECT 1 FROM genspan_steps s WHERE s.trace_id = genspan_traces.trace_id)`,
  threads: `DELETE FROM genspan_threads WHERE id = ANY(thread_ids)
     AND NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.thread_id = genspan_threads.id)`,
  threadStarts: `UPDATE genspan_threads h SET start_ms = t.start_ms
     FROM (SELECT thread_id, min(start_ms) AS start_ms FROM genspan_traces WHERE thread_id = ANY(thread_ids) GROUP BY thread_id) t
     WHERE h.id = t.thread_id`,
  generationsBySpan: `DELETE FROM genspan_generations g USING UNNEST(span_trace_ids, span_ids) AS k(trace_id, span_id)
     WHERE g.trace_id = k.trace_id AND g.span_id = k.span_id AND g.start_ms < bound_ms`,
  spansBySpan: `DELETE FROM genspan_spans USING UNNEST(span_trace_ids, span_ids) AS k(trace_id, span_id)
     WHERE genspan_spans.trace_id = k.trace_id AND genspan_spans.span_id = k.span_id AND ${unclaimed('genspan_spans')}`,
  logsBySpan: `DELETE FROM genspan_logs USING UNNEST(span_trace_ids, span_ids) AS k(trace_id, span_id)
     WHERE genspan_logs.trace_id = k.trace_id AND genspan_logs.span_id = k.span_id AND ${unclaimed('genspan_logs')}`,
  orphanLogs: `DELETE FROM genspan_logs WHERE seq = ANY(log_seqs) AND ${unclaimed('genspan_logs')}
     AND NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.trace_id = genspan_logs.trace_id)`,
} as const;
/** Where each count is in what `genspan_prune_batch` returns: its statement's place in `PRUNE_STATEMENTS`. */
const PRUNED = Object.fromEntries(Object.keys(PRUNE_STATEMENTS).map((name, at) => [name, at])) as Record<
  keyof typeof PRUNE_STATEMENTS,
  number
>;

/**
 * v9: retention's batch is one call of a function, so one statement and one round trip instead of thirteen (BEGIN,
 * eleven statements, COMMIT), any of which a busy machine may deschedule while the batch holds its rows. At 1,000,000
 * generations batches so held their traces 3.8–4.4 ms (median), 11–17 ms at the longest in four runs, the time going
 * to the round trips rather than the deletes; as one call 1.4–1.6 ms, 5.4–6.6 ms at the longest
 * (docs/reference-additions.md). Its COMMIT does not wait for the WAL to reach the disk: a crash can only bring back
 * rows the next run deletes again. Changing the statements takes a migration that replaces the function.
 */
const SCHEMA_V9 = `
CREATE OR REPLACE FUNCTION genspan_prune_batch(
  trace_ids text[], before_ms bigint, thread_ids text[], span_trace_ids text[], span_ids text[], bound_ms bigint, log_seqs bigint[]
) RETURNS bigint[] LANGUAGE plpgsql AS $prune$
DECLARE
  changed bigint;
  counts bigint[] := '{}';
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
${Object.values(PRUNE_STATEMENTS)
  .map((statement) => `  ${statement};\n  GET DIAGNOSTICS changed = ROW_COUNT;\n  counts := counts || changed;`)
  .join('\n')}
  RETURN counts;
END
$prune$;
`;

/**
 * Schema 10's change to retention's function: its statements use generic plans from the first call. PL/pgSQL plans a
 * statement's first five executions for their parameters before settling on a generic plan (PostgreSQL's plan
 * cache); over partitioned tables that planning made a connection's first batches the longest (8.4, 6.9, 5.9, 5.6 and
 * 10.8 ms at 1,000,000 generations, median 2.4 ms). With generic plans, made once by the first call, which deletes
 * nothing (`pruneOn`): median 1.1–1.2 ms, longest 3.3–3.8 ms in two runs (docs/reference-additions.md).
 */
const PRUNE_GENERIC_PLANS = `ALTER FUNCTION genspan_prune_batch(text[], bigint, text[], text[], text[], bigint, bigint[])
  SET plan_cache_mode = force_generic_plan`;

/** Migration i takes the schema from version i to i + 1; the last, to 10, is `partitionTables`. */
const MIGRATIONS = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6, SCHEMA_V7, SCHEMA_V8, SCHEMA_V9];
/** The last schema with one table each for generations and steps. */
const UNPARTITIONED_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * A number of a generation row's wire JSON, NULL when it is absent or not a number (a library caller's record may hold
 * anything): what the duration and token orders sort by, and their indexes hold. A generation holding the escape of
 * NUL is none (PostgreSQL's JSON functions refuse to read it, and an index expression that fails would refuse the row):
 * checked first, in a CASE, which keeps its order. Every function in it is immutable, so it can be indexed; queries
 * spell it exactly so, or the planner would not match the index.
 */
const jsonNumber = (key: string) =>
  `(CASE WHEN strpos(generation, '\\u0000') > 0 THEN NULL WHEN json_typeof(generation::json -> '${key}') = 'number' ` +
  `THEN (generation::json ->> '${key}')::double precision END)`;
/** The token order's value is the generation's total, else its input plus output (as a trace's tokens are counted). */
const SORT_VALUES = {
  duration: jsonNumber('duration'),
  tokens: `coalesce(${jsonNumber('tokenCount')}, ${jsonNumber('inputTokenCount')} + ${jsonNumber('outputTokenCount')})`,
} as const;

/**
 * The duration and token orders' indexes, as the cost order's (v4): read backward for the descending order, and only
 * rows holding the value.
 */
const SORT_INDEXES = Object.entries(SORT_VALUES).map(([name, value]) => ({
  name: `genspan_generations_${name}`,
  definition: `(${value}, start_ms, id) WHERE ${value} IS NOT NULL`,
}));

/**
 * The indexes of v6, each built with CREATE INDEX CONCURRENTLY (writes go on during the build) by every process that
 * opens the database and finds one missing or left invalid by an interrupted build: a pg_trgm GIN index on
 * search_text, which answers `LIKE '%q%'` for any q of 3 characters or more (substring semantics, which full-text
 * search's word stems do not have), and `lower()` indexes for the case-insensitive filters, which replace the exact
 * ones. Until an index is valid, queries are the same, only slower.
 */
const SEARCH_INDEXES: readonly { name: string; definition: string }[] = [
  { name: 'genspan_generations_search', definition: 'USING gin (search_text gin_trgm_ops)' },
  { name: 'genspan_generations_service_ci', definition: '(lower(service_name), start_ms, id)' },
  { name: 'genspan_generations_model_ci', definition: '(lower(model), start_ms, id)' },
  { name: 'genspan_generations_provider_ci', definition: '(lower(provider), start_ms, id)' },
  ...SORT_INDEXES,
];
const REPLACED_INDEXES = ['genspan_generations_service', 'genspan_generations_model', 'genspan_generations_provider'];
/** Held (per session) by the process building `SEARCH_INDEXES`, so another one neither builds them twice nor waits. */
export const INDEX_BUILD_LOCK_KEY = '29113321772917103';
/** How long one statement of the index build may take (a day): a big table's CREATE INDEX takes minutes, not seconds. */
const INDEX_BUILD_TIMEOUT_MS = 86_400_000;

/** The generation table's DDL (with its indexes), for benchmarks that compare against a raw insert. */
export const POSTGRES_GENERATIONS_DDL =
  SCHEMA_V1.slice(0, SCHEMA_V1.indexOf('CREATE TABLE genspan_spans')) +
  SCHEMA_V2 +
  SCHEMA_V4 +
  SCHEMA_V6 +
  SEARCH_INDEXES.map((index) => `CREATE INDEX ${index.name} ON genspan_generations ${index.definition};`).join('\n');
/** The steps and traces tables' DDL (with their indexes), for the benchmarks' lower bound of a corpus with steps. */
export const POSTGRES_STEP_TABLES_DDL = SCHEMA_V5.slice(0, SCHEMA_V5.indexOf('CREATE TABLE genspan_threads'));

const COLUMN_TYPES: Partial<Record<keyof GenerationRow, string>> = {
  start_ms: 'bigint',
  status_code: 'integer',
  is_error: 'boolean',
  cost_total: 'double precision',
};

const GENERATIONS_FROM_ARRAYS = `INSERT INTO genspan_generations (${GENERATION_COLUMNS.join(', ')})
SELECT ${GENERATION_COLUMNS.map((column) => (column === 'tags' ? 'u.tags::jsonb' : `u.${column}`)).join(', ')}
FROM UNNEST(${GENERATION_COLUMNS.map((column, index) => `$${index + 1}::${COLUMN_TYPES[column] ?? 'text'}[]`).join(', ')})
  AS u(${GENERATION_COLUMNS.join(', ')})`;

/**
 * `INSERT ... SELECT FROM UNNEST(arrays)`: one statement and one parameter per column for the whole batch; the
 * benchmarks' lower bound. The store's own insert also leaves out spans merged into another generation.
 */
export const POSTGRES_INSERT_GENERATIONS = `${GENERATIONS_FROM_ARRAYS}
ON CONFLICT DO NOTHING`;

/**
 * A generation's span whose step says it was merged into another generation: its record is not listed again. The
 * step is looked up with its start time, the generation's (both are the span's): the partition key, so one partition
 * is probed rather than every week's.
 */
const INSERT_GENERATIONS_UNLESS_MERGED = `${GENERATIONS_FROM_ARRAYS}
WHERE NOT EXISTS (
  SELECT 1 FROM genspan_steps AS s
  WHERE s.trace_id = u.trace_id AND s.span_id = u.span_id AND s.start_ms = u.start_ms AND s.merged_generation IS NOT NULL
)
ON CONFLICT DO NOTHING`;

/** Steps as UNNEST arrays (`stepColumnArrays`), insert-or-ignore; also the benchmarks' lower bound with steps. */
export const POSTGRES_INSERT_STEPS = `INSERT INTO genspan_steps (${STEP_COLUMNS.join(', ')})
SELECT * FROM UNNEST(${STEP_COLUMNS.map((column, index) => `$${index + 1}::${column.endsWith('_ms') ? 'bigint' : 'text'}[]`).join(', ')})
ON CONFLICT DO NOTHING`;

/**
 * One row per trace (the batch's are gathered first), as one upsert may not change a row twice; a stored trace is
 * rewritten only when the batch widens its times (a new row version, and its index entries, for nothing otherwise).
 */
const UPSERT_TRACE_TIMES = `INSERT INTO genspan_traces (trace_id, start_ms, end_ms)
SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])
ON CONFLICT (trace_id) DO UPDATE
SET start_ms = LEAST(genspan_traces.start_ms, excluded.start_ms), end_ms = GREATEST(genspan_traces.end_ms, excluded.end_ms)
WHERE excluded.start_ms < genspan_traces.start_ms OR excluded.end_ms > genspan_traces.end_ms`;

/** A trace already in a thread widens the thread's span as it does its own. */
const WIDEN_THREADS = `UPDATE genspan_threads AS h SET start_ms = LEAST(h.start_ms, t.start_ms), end_ms = GREATEST(h.end_ms, t.end_ms)
FROM (SELECT thread_id, min(start_ms) AS start_ms, max(end_ms) AS end_ms FROM genspan_traces
      WHERE trace_id = ANY($1::text[]) AND thread_id IS NOT NULL GROUP BY thread_id) AS t
WHERE h.id = t.thread_id AND (t.start_ms < h.start_ms OR t.end_ms > h.end_ms)`;

/** A trace's thread is kept once known. */
const SET_TRACE_THREADS = `UPDATE genspan_traces AS t SET thread_id = u.thread_id
FROM UNNEST($1::text[], $2::text[]) AS u(trace_id, thread_id)
WHERE t.trace_id = u.trace_id AND t.thread_id IS NULL`;

/** Each thread once (the first name and user given win), spanning the traces it holds; in id order, as traces are. */
const UPSERT_THREADS = `INSERT INTO genspan_threads (id, name, user_id, start_ms, end_ms)
SELECT t.thread_id, (array_agg(u.name ORDER BY u.ord) FILTER (WHERE u.name IS NOT NULL))[1],
  (array_agg(u.user_id ORDER BY u.ord) FILTER (WHERE u.user_id IS NOT NULL))[1], min(t.start_ms), max(t.end_ms)
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(trace_id, thread_id, name, user_id, ord)
JOIN genspan_traces AS t ON t.trace_id = u.trace_id AND t.thread_id = u.thread_id
GROUP BY t.thread_id
ORDER BY t.thread_id
ON CONFLICT (id) DO UPDATE SET name = coalesce(genspan_threads.name, excluded.name),
  user_id = coalesce(genspan_threads.user_id, excluded.user_id), start_ms = LEAST(genspan_threads.start_ms, excluded.start_ms),
  end_ms = GREATEST(genspan_threads.end_ms, excluded.end_ms)`;

/**
 * The merged records' steps, found by their span and its start time (the record's: the partition key, so each row
 * probes one partition).
 */
const MERGE_STEPS = `UPDATE genspan_steps AS s SET merged_generation = u.record, generation_id = u.owner
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(trace_id, span_id, record, owner, start_ms)
WHERE s.trace_id = u.trace_id AND s.span_id = u.span_id AND s.start_ms = u.start_ms`;

/** Only once its step holds the record, so a merge never loses one. */
const DELETE_MERGED = `DELETE FROM genspan_generations AS g USING genspan_steps AS s
WHERE s.trace_id = g.trace_id AND s.span_id = g.span_id AND s.start_ms = g.start_ms AND s.merged_generation IS NOT NULL
  AND (g.trace_id, g.span_id, g.start_ms) IN (SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]))`;

const SELECT_STEP_LINKS = `SELECT trace_id, span_id, parent_span_id, type, generation_id FROM genspan_steps
WHERE trace_id = ANY($1::text[])`;

const SELECT_MERGED = `SELECT s.trace_id, s.span_id, s.merged_generation FROM genspan_steps AS s
JOIN UNNEST($1::text[], $2::text[]) AS k(trace_id, span_id) ON s.trace_id = k.trace_id AND s.span_id = k.span_id
WHERE s.merged_generation IS NOT NULL`;

const INSERT_SPANS = `INSERT INTO genspan_spans (trace_id, span_id, span)
SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`;

const INSERT_LOGS = `INSERT INTO genspan_logs (key, trace_id, span_id, time_unix_nano, record)
SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) ON CONFLICT DO NOTHING`;

/** Stored records changed (a log join, a merge's owner), each found by its span and start time (the partition key). */
const UPDATE_GENERATIONS = `UPDATE genspan_generations AS g
SET generation = u.generation, source = u.source, warnings = u.warnings, model = u.model, provider = u.provider,
    tags = u.tags::jsonb, search_text = u.search_text, cost = u.cost, cost_total = u.cost_total,
    is_error = (g.status_code = ${StatusCode.ERROR} OR u.generation_error)
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[],
    $11::text[], $12::double precision[], $13::bigint[])
  AS u(trace_id, span_id, generation, source, warnings, model, provider, tags, search_text, generation_error, cost, cost_total, start_ms)
WHERE g.trace_id = u.trace_id AND g.span_id = u.span_id AND g.start_ms = u.start_ms`;

const SELECT_LOGS = `SELECT l.trace_id, l.span_id, l.record FROM genspan_logs AS l
JOIN UNNEST($1::text[], $2::text[]) AS k(trace_id, span_id) ON l.trace_id = k.trace_id AND l.span_id = k.span_id
ORDER BY l.time_unix_nano, l.seq`;

const SELECT_SPANS = `SELECT s.trace_id, s.span_id, s.span FROM genspan_spans AS s
JOIN UNNEST($1::text[], $2::text[]) AS k(trace_id, span_id) ON s.trace_id = k.trace_id AND s.span_id = k.span_id`;

const PRUNE_SELECT = pruneSql('$1::bigint', '$2::bigint', '($1::numeric * 1000000)');
/**
 * One batch, and how long it held its rows, timed by the server: from the statement's start to the function's end
 * (OFFSET 0 keeps the call a subquery, run before the outer clock_timestamp()). Its COMMIT, a commit record that does
 * not wait for the WAL, follows. Timed by this process, a batch also counted its own pauses, which hold no row: at
 * 1,000,000 generations a 37.7 ms batch was a 34.4 ms garbage collection of the benchmark's process, while no call
 * took 5 ms in the server's log (docs/reference-additions.md).
 */
const PRUNE_BATCH = `SELECT counts, (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::float8 AS held_ms
  FROM (SELECT genspan_prune_batch($1, $2, $3, $4, $5, $6, $7) AS counts OFFSET 0) AS batch`;
/** genspan's tables: what `--max-size` measures. */
const GENSPAN_TABLES = [
  'genspan_generations',
  'genspan_spans',
  'genspan_logs',
  'genspan_experiments',
  'genspan_experiment_results',
  'genspan_steps',
  'genspan_traces',
  'genspan_threads',
];
/** A partitioned table holds nothing itself: its size is its partitions' (pg_partition_tree gives a plain table alone). */
const TABLES_SIZE = `SELECT coalesce(sum(pg_total_relation_size(p.relid)), 0)::bigint AS bytes FROM pg_class c, pg_partition_tree(c.oid) p
  WHERE c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND c.relnamespace = to_regnamespace(current_schema())::oid`;
/** `genspan_meta`'s row holding the tables' size after the last deletion for size. */
const PRUNED_SIZE_KEY = 'retention_size_after_prune';
/** The transaction's advisory locks on its traces, in key order (the sorted subquery's rows are locked in turn). */
const LOCK_TRACES = `SELECT count(pg_advisory_xact_lock(k)) FROM
  (SELECT DISTINCT hashtextextended(t, ${TRACE_LOCK_SEED}) AS k FROM unnest($1::text[]) AS t ORDER BY k) AS keys`;

const RECORD_SELECT = `SELECT ${RECORD_COLUMNS.join(', ')} FROM genspan_generations`;
/** Rows per INSERT statement; bigger batches are split inside one transaction. */
const ROWS_PER_STATEMENT = 1000;

/** `q` as a LIKE pattern of itself anywhere in the text: its `%`, `_` and backslashes taken literally. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

const postgresDialect: TraceDialect = {
  placeholder: (index) => `$${index}`,
  tagContains: (tag, bind) => `tags @> jsonb_build_array(${bind(tag)}::text)`,
  // pg_trgm finds no trigram in a shorter q: a scan, newest first, that stops once a page is full.
  textContains: (q, bind) =>
    searchLength(q) < SEARCH_INDEX_MIN_LENGTH ? `strpos(search_text, ${bind(q)}) > 0` : `search_text LIKE ${bind(containsPattern(q))}`,
  textScan: (q, bind) => `strpos(search_text, ${bind(q)}) > 0`,
  errorsOnly: 'is_error',
  tagValues: ', jsonb_array_elements_text(s.tags) AS value',
  sortValues: SORT_VALUES,
  // json, not jsonb: a generation may hold the escape of NUL, which jsonb refuses.
  generationTokens: "coalesce((x.j->>'tokenCount')::numeric, (x.j->>'inputTokenCount')::numeric + (x.j->>'outputTokenCount')::numeric)",
  generationTokensFrom: ', LATERAL (SELECT g.generation::json AS j) AS x',
};

/** The search as a plain scan, for a common word read newest first (the planner cannot tell how common a word is). */
const postgresScanDialect: TraceDialect = { ...postgresDialect, textContains: postgresDialect.textScan };

/*
 * PostgreSQL cannot hold U+0000 in text, nor in jsonb strings (SQLSTATE 22021, 22P05), while records may carry it and
 * SQLite stores it as is. So every plain text value this store writes or binds has NUL escaped as U+FFFF U+FFFE, and
 * U+FFFF itself as U+FFFF U+FFFF; values read back are unescaped, so records come back exactly as written, and filter
 * values are escaped the same way, so filters still match. U+FFFF and U+FFFE are Unicode noncharacters, reserved for
 * such internal use, so real text is practically never changed. Columns of JSON text (the generation, warnings, kept
 * spans and log records) need nothing: JSON writes NUL as the escape sequence \u0000. Tags are jsonb, which refuses
 * that escape, so they are stored as JSON of escaped strings.
 */
const ESCAPE = '\uffff';
const NUL = '\u0000';
const ESCAPED = /\uffff[\ufffe\uffff]/g;

function toPostgresText(text: string): string {
  if (!text.includes(NUL) && !text.includes(ESCAPE)) return text;
  // U+FFFF first, so the escapes that replace NUL next are not doubled.
  return text.replaceAll(ESCAPE, `${ESCAPE}${ESCAPE}`).replaceAll(NUL, `${ESCAPE}\ufffe`);
}

function fromPostgresText(text: string): string {
  return text.includes(ESCAPE) ? text.replace(ESCAPED, (pair) => (pair[1] === ESCAPE ? ESCAPE : NUL)) : text;
}

/** The tags column: a JSON array of strings, its strings escaped as above. */
function postgresTags(json: string): string {
  if (!json.includes('\\u0000') && !json.includes(ESCAPE)) return json;
  return JSON.stringify((JSON.parse(json) as string[]).map(toPostgresText));
}

/** Columns holding JSON text, written as they are. */
const JSON_TEXT_COLUMNS: ReadonlySet<keyof GenerationRow> = new Set(['warnings', 'generation', 'cost']);

function postgresValue(column: keyof GenerationRow, value: GenerationRow[keyof GenerationRow]): unknown {
  if (typeof value !== 'string' || JSON_TEXT_COLUMNS.has(column)) return value;
  return column === 'tags' ? postgresTags(value) : toPostgresText(value);
}

function fromNullablePostgresText(text: string | null): string | null {
  return text === null ? null : fromPostgresText(text);
}

/** A stored row with its plain text unescaped. */
function fromPostgresRow(row: RecordColumns): RecordColumns {
  return {
    ...row,
    id: fromPostgresText(row.id),
    trace_id: fromPostgresText(row.trace_id),
    span_id: fromPostgresText(row.span_id),
    parent_span_id: fromNullablePostgresText(row.parent_span_id),
    service_name: fromNullablePostgresText(row.service_name),
    scope_name: fromPostgresText(row.scope_name),
    scope_version: fromNullablePostgresText(row.scope_version),
    source: fromPostgresText(row.source),
    start_time: fromPostgresText(row.start_time),
    end_time: fromPostgresText(row.end_time),
    status_message: fromNullablePostgresText(row.status_message),
  };
}

function fromPostgresThreadRow(row: ThreadSummaryRow): ThreadSummaryRow {
  return { ...row, id: fromPostgresText(row.id), name: fromNullablePostgresText(row.name), user_id: fromNullablePostgresText(row.user_id) };
}

/** Filter values bound as parameters, escaped like the stored text they are compared with. */
function postgresParams(params: readonly unknown[]): unknown[] {
  return params.map((value) => (typeof value === 'string' ? toPostgresText(value) : value));
}

/** Column arrays of a batch, in `GENERATION_COLUMNS` order. */
export function generationColumnArrays(records: readonly GenerationRecord[]): unknown[][] {
  const arrays: unknown[][] = GENERATION_COLUMNS.map(() => new Array<unknown>(records.length));
  records.forEach((record, row) => {
    const values = toRow(record);
    GENERATION_COLUMNS.forEach((column, index) => {
      arrays[index][row] = postgresValue(column, values[column]);
    });
  });
  return arrays;
}

/** The parameter arrays of `UPDATE_GENERATIONS`: one update per span, the last given winning as it would one by one. */
function updateColumns(records: readonly GenerationRecord[]): unknown[][] {
  const latest = new Map<string, GenerationRecord>();
  for (const record of records)
    latest.set(spanKeyString({ traceId: record.traceId.toLowerCase(), spanId: record.spanId.toLowerCase() }), record);
  const columns: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const record of latest.values()) {
    const facets = generationFacets(storedRecord(record));
    const values = [
      toPostgresText(record.traceId.toLowerCase()),
      toPostgresText(record.spanId.toLowerCase()),
      facets.generation,
      toPostgresText(facets.source),
      facets.warnings,
      postgresValue('model', facets.model),
      postgresValue('provider', facets.provider),
      postgresTags(facets.tags),
      toPostgresText(facets.search_text),
      facets.generationError,
      facets.cost,
      facets.cost_total,
      startMillis(record),
    ];
    for (const [index, value] of values.entries()) columns[index].push(value);
  }
  return columns;
}

function toNullablePostgresText(text: string | null): string | null {
  return text === null ? null : toPostgresText(text);
}

/** A stored step row with its plain text unescaped (tags and metadata are JSON). */
function fromPostgresStepRow(row: StoredStepRow): StoredStepRow {
  const plain = { ...row };
  for (const column of STEP_COLUMNS) {
    const value = row[column];
    if (typeof value === 'string' && !STEP_JSON_COLUMNS.has(column)) (plain as Record<string, unknown>)[column] = fromPostgresText(value);
  }
  return plain;
}

function spanOrder(a: StepRow, b: StepRow): number {
  if (a.trace_id !== b.trace_id) return a.trace_id < b.trace_id ? -1 : 1;
  return a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0;
}

function stepValue(column: keyof StepRow, value: StepRow[keyof StepRow]): unknown {
  return typeof value !== 'string' || STEP_JSON_COLUMNS.has(column) ? value : toPostgresText(value);
}

/** The parameter arrays of `POSTGRES_INSERT_STEPS`, one per step column. */
export function stepColumnArrays(rows: readonly StepRow[]): unknown[][] {
  return STEP_COLUMNS.map((column) => rows.map((row) => stepValue(column, row[column])));
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT',
]);
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error|terminating connection|Client was closed/i;
/** node-postgres's error when `query_timeout` passes without an answer. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';
/**
 * SQLSTATE classes worth a retry although the connection is fine: transaction rollback (serialization failure,
 * deadlock), insufficient resources (disk full, out of memory); and query_canceled (statement_timeout).
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['40', '53']);
const TRANSIENT_SQLSTATES = new Set(['57014']);
/**
 * SQLSTATE classes the records of a write cause, and will cause again: data exception, integrity constraint violation,
 * program limit exceeded (an index row too large).
 */
const RECORD_REJECTION_SQLSTATE_CLASSES = new Set(['22', '23', '54']);
/**
 * SQLSTATE classes that fail every write until someone changes the database: syntax error or access rule violation
 * (a missing table, no privilege); data or index corrupted.
 */
const UNWRITABLE_SQLSTATE_CLASSES = new Set(['42']);
const UNWRITABLE_SQLSTATES = new Set(['XX001', 'XX002']);
/** lock_timeout passed waiting for a lock. */
const LOCK_NOT_AVAILABLE = '55P03';

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const inner = (error as { errors?: unknown[] } | null)?.errors;
  return Array.isArray(inner) && inner.length > 0 ? errorCode(inner[0]) : undefined;
}

/**
 * A row with no partition to go to: one past a stored table's bound while its database is being partitioned
 * (`partitionStored`), or of a week whose emptied partition retention dropped between the write's lookup and its
 * insert. The next try finds the partition; the records are not at fault.
 */
function isPartitionMiss(error: unknown): boolean {
  const { constraint, message } = error as { constraint?: unknown; message?: unknown };
  if (typeof constraint === 'string' && PARTITIONED_TABLES.some((table) => constraint === LEGACY_BOUND(table))) return true;
  return typeof message === 'string' && message.startsWith('no partition of relation');
}

function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_TIMEOUT_MESSAGE;
}

/** True when the connection cannot be trusted any more; a timed-out one counts, as its answer may still arrive. */
function isConnectionError(error: unknown): boolean {
  if (isQueryTimeout(error)) return true;
  const code = errorCode(error);
  if (code && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/**
 * The playground store on PostgreSQL, for several genspan processes sharing one database: a connection pool,
 * schema created or migrated on first use under an advisory lock, batch inserts through UNNEST arrays,
 * idempotent on (traceId, spanId).
 */
export class PostgresStore implements PlaygroundStore, RetentionStore {
  /** `host:port` (or socket folder:port) of the server, for messages; never includes credentials. */
  readonly target: string;
  private readonly pool: pg.Pool;
  /**
   * The one connection partitions are opened on (connected when first needed): in a transaction of their own,
   * committed at once, never in a view's, so every other write of this process sees a partition as soon as it is
   * counted open, and no view holds the partition lock while it goes on with its own work.
   */
  private readonly partitionPool: pg.Pool;
  private readonly password: string | undefined;
  private readonly queryTimeoutMillis: number | undefined;
  private initialization: Promise<void> | undefined;
  private indexBuilding: Promise<void> | undefined;
  /** The server process of the connection building the indexes, while it builds. */
  private indexBuilder: number | undefined;
  private closed = false;
  private readonly exactCountBound: number;
  /** In a view made by `exclusive`: its transaction's connection, which every ingest call of the view runs on. */
  private scope: pg.PoolClient | undefined;
  /**
   * Where the week partitions start, once the database is partitioned (it never goes back; read until then), and the
   * weeks this process found or made a partition for. An object, so the views `exclusive` makes share it.
   */
  private readonly partitioning: { fromMs: number | undefined; open: Set<number> } = { fromMs: undefined, open: new Set() };
  /** The pool's connections that have called `genspan_prune_batch` once (see `pruneOn`). */
  private readonly prunePrepared = new WeakSet<pg.PoolClient>();

  constructor(options: PostgresStoreOptions) {
    const config: pg.PoolConfig = { ...POOL_DEFAULTS, ...options.pool, connectionString: options.connectionString };
    // A Client parses the connection string exactly as the pool will, without connecting.
    let probe: pg.Client;
    try {
      probe = new pg.Client(config);
    } catch {
      // The parse error carries the whole string, password included: it is not passed on.
      throw new StoreError('The PostgreSQL connection string is not valid (expected postgresql://user:password@host:port/database)');
    }
    this.target = `${probe.host}:${probe.port}`;
    this.password = typeof probe.password === 'string' && probe.password !== '' ? probe.password : undefined;
    this.queryTimeoutMillis = typeof config.query_timeout === 'number' ? config.query_timeout : undefined;
    const bound = options.exactCountBound ?? LIST_TOTAL_EXACT_BOUND;
    if (!Number.isInteger(bound) || bound < 1)
      throw new StoreError(`exactCountBound must be a whole number, 1 or more, got ${String(bound)}`);
    this.exactCountBound = bound;
    this.pool = new pg.Pool(config);
    // An idle client whose server went away emits here; the pool drops it, and the next query reports the outage.
    this.pool.on('error', () => {});
    this.partitionPool = new pg.Pool({ ...config, max: 1 });
    this.partitionPool.on('error', () => {});
  }

  /** Connects and creates or migrates the schema; every method does this first, so calling it is optional. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError(`PostgresStore at ${this.target}`));
    this.initialization ??= this.initialize().catch((error: unknown) => {
      this.initialization = undefined;
      throw this.describe(error);
    });
    return this.initialization;
  }

  private async initialize(): Promise<void> {
    await this.migrate();
    this.indexBuilding ??= this.buildIndexes().catch((error: unknown) => {
      if (this.closed) return;
      report('warn', `genspan: building the search indexes on PostgreSQL at ${this.target} failed: ${this.scrub(errorMessage(error))}`);
    });
  }

  /**
   * Builds the missing or invalid `SEARCH_INDEXES` concurrently (outside any transaction, as PostgreSQL requires),
   * on one connection holding the build's advisory lock; another process holding it is building them already.
   */
  private async buildIndexes(): Promise<void> {
    const client = await this.pool.connect();
    // A server that goes away during a long build ends this connection: the failing query reports it, not an event.
    const ignore = () => {};
    client.on('error', ignore);
    // A build takes as long as the table is big: the pool's query_timeout (meant for a server that stopped answering)
    // does not apply to it.
    const build = (text: string) => client.query({ text, query_timeout: INDEX_BUILD_TIMEOUT_MS } as pg.QueryConfig);
    let broken = false;
    try {
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [INDEX_BUILD_LOCK_KEY]);
      if (!locked.rows[0].locked) return;
      this.indexBuilder = (client as pg.PoolClient & { processID?: number }).processID;
      try {
        for (const index of SEARCH_INDEXES) {
          if (this.closed) return;
          await PostgresStore.buildIndex(client, build, index.name, `ON genspan_generations ${index.definition}`);
        }
        for (const name of REPLACED_INDEXES) await build(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
        if (!this.closed) await this.partitionStored(client, build);
      } finally {
        this.indexBuilder = undefined;
        await client.query('SELECT pg_advisory_unlock($1)', [INDEX_BUILD_LOCK_KEY]);
      }
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  /**
   * Builds index `name` (`definition`: what follows its name) concurrently unless it is there and valid. An interrupted
   * concurrent build leaves an invalid index behind: it is dropped and built again.
   */
  private static async buildIndex(
    client: pg.PoolClient,
    build: (text: string) => Promise<unknown>,
    name: string,
    definition: string,
    unique = false,
  ): Promise<void> {
    const found = await client.query<{ valid: boolean }>('SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)', [
      name,
    ]);
    if (found.rows[0]?.valid) return;
    if (found.rows.length > 0) await build(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    await build(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${name} ${definition}`);
  }

  /**
   * Takes a stored database of schema 9 to 10 (postgres-partitions.ts) without holding writers off for longer than
   * renaming tables takes: the partition keys are built concurrently, then each table's check that it holds nothing
   * from the cutover on is added unchecked and validated while writes go on, and only then, in one short transaction,
   * the tables become the first partitions of partitioned ones, their indexes attached rather than built.
   */
  private async partitionStored(client: pg.PoolClient, build: (text: string) => Promise<unknown>): Promise<void> {
    if ((await PostgresStore.schemaVersion(client)) !== UNPARTITIONED_SCHEMA_VERSION) return;
    for (const key of PARTITION_KEYS) await PostgresStore.buildIndex(client, build, key.name, `ON ${key.table} ${key.columns}`, true);
    const cutover = Number((await client.query<{ cutover: string }>(CUTOVER)).rows[0].cutover);
    for (const table of PARTITIONED_TABLES) {
      await build(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${LEGACY_BOUND(table)}`);
      await build(`ALTER TABLE ${table} ADD CONSTRAINT ${LEGACY_BOUND(table)} CHECK (start_ms < ${cutover}) NOT VALID`);
      await build(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${LEGACY_BOUND(table)}`);
    }
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const partitioning = (await PostgresStore.schemaVersion(client)) === UNPARTITIONED_SCHEMA_VERSION;
      if (partitioning) {
        await PostgresStore.partition(client, cutover);
      }
      await client.query('COMMIT');
      if (partitioning) this.analyzePartitioned();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private static async schemaVersion(client: pg.ClientBase): Promise<number> {
    const found = await client.query<{ value: string }>(`SELECT value FROM genspan_meta WHERE key = 'schema_version'`);
    return found.rows.length > 0 ? Number(found.rows[0].value) : 0;
  }

  /**
   * Takes the schema to 10 inside the caller's transaction: the week partitions (from `cutoverMs`, the stored rows'
   * end; null for a database partitioned from the start), retention's generic plans, and the version recorded.
   */
  private static async partition(client: pg.ClientBase, cutoverMs: number | null): Promise<void> {
    await partitionTables(client, cutoverMs);
    await client.query(PRUNE_GENERIC_PLANS);
    await client.query(
      `INSERT INTO genspan_meta (key, value) VALUES ($1, $2), ('schema_version', $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [PARTITIONS_FROM_KEY, String(cutoverMs ?? Number.NEGATIVE_INFINITY), String(POSTGRES_SCHEMA_VERSION)],
    );
  }

  /** Resolves once this process's build of the v6 indexes is over (or it found another process building them). */
  async indexesBuilt(): Promise<void> {
    await this.ready();
    await this.indexBuilding;
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query('CREATE TABLE IF NOT EXISTS genspan_meta (key text PRIMARY KEY, value text NOT NULL)');
      const version = await PostgresStore.schemaVersion(client);
      if (!Number.isInteger(version) || version > POSTGRES_SCHEMA_VERSION) {
        const found = await client.query<{ value: string }>(`SELECT value FROM genspan_meta WHERE key = 'schema_version'`);
        throw new IncompatibleDatabaseError(
          `The PostgreSQL database at ${this.target} holds genspan schema ${found.rows[0]?.value}; ` +
            `this version reads up to ${POSTGRES_SCHEMA_VERSION}.`,
        );
      }
      for (let step = version; step < UNPARTITIONED_SCHEMA_VERSION; step += 1) {
        try {
          await client.query(MIGRATIONS[step]);
        } catch (error) {
          if (MIGRATIONS[step] === SCHEMA_V6) throw this.extensionProblem(error);
          throw error;
        }
      }
      // A new database has no rows: its indexes are built at once, in the migration, and it is partitioned from the
      // start; the background build has nothing to do. A stored one is partitioned by that build (`partitionStored`).
      if (version === 0) {
        for (const index of SEARCH_INDEXES) await client.query(`CREATE INDEX ${index.name} ON genspan_generations ${index.definition}`);
        for (const name of REPLACED_INDEXES) await client.query(`DROP INDEX ${name}`);
        for (const key of PARTITION_KEYS) await client.query(`CREATE UNIQUE INDEX ${key.name} ON ${key.table} ${key.columns}`);
        await PostgresStore.partition(client, null);
      } else if (version < UNPARTITIONED_SCHEMA_VERSION) {
        await client.query(
          `INSERT INTO genspan_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [String(UNPARTITIONED_SCHEMA_VERSION)],
        );
      }
    });
  }

  /** pg_trgm refused: the database user may not create it, or the server lacks PostgreSQL's contrib modules. */
  private extensionProblem(error: unknown): unknown {
    const code = errorCode(error);
    if (code !== '42501' && code !== '0A000' && code !== '58P01') return error;
    return new StoreError(
      `PostgreSQL at ${this.target} did not create the pg_trgm extension genspan's search index needs ` +
        `(${this.scrub(errorMessage(error))}). Run CREATE EXTENSION pg_trgm in the database as its owner or a superuser ` +
        '(the extension ships with PostgreSQL, in the contrib package of some distributions), then start genspan again.',
      { cause: error },
    );
  }

  private scrub(text: string): string {
    return this.password ? text.split(this.password).join('***') : text;
  }

  /**
   * Sorts the driver's failures into the store errors writers act on (retry, set records apart, give up), each with
   * one clear message; credentials never appear in it. Anything else passes through.
   */
  private describe(error: unknown): unknown {
    if (error instanceof StoreError) return error;
    const message = this.scrub(error instanceof Error && error.message ? error.message : (errorCode(error) ?? String(error)));
    if (isQueryTimeout(error)) {
      return new StoreUnavailableError(`PostgreSQL at ${this.target} did not answer within ${this.queryTimeoutMillis} ms (query_timeout)`, {
        cause: error,
      });
    }
    if (isConnectionError(error))
      return new StoreUnavailableError(`PostgreSQL at ${this.target} is unreachable: ${message}`, { cause: error });
    const code = errorCode(error);
    if (!code || !/^[0-9A-Z]{5}$/.test(code)) return error;
    const sqlClass = code.slice(0, 2);
    const detail = `${message} (SQLSTATE ${code})`;
    if (sqlClass === '28' || code === '3D000')
      return new StoreError(`PostgreSQL at ${this.target} refused the connection: ${message}`, { cause: error });
    if (TRANSIENT_SQLSTATE_CLASSES.has(sqlClass) || TRANSIENT_SQLSTATES.has(code)) {
      return new StoreUnavailableError(`PostgreSQL at ${this.target} cannot write right now: ${detail}`, { cause: error });
    }
    if (code === '23514' && isPartitionMiss(error)) {
      return new StoreUnavailableError(`PostgreSQL at ${this.target} has no partition for the records yet: ${detail}`, { cause: error });
    }
    if (RECORD_REJECTION_SQLSTATE_CLASSES.has(sqlClass))
      return new RecordsRejectedError(`PostgreSQL at ${this.target} rejected the records: ${detail}`, { cause: error });
    if (UNWRITABLE_SQLSTATE_CLASSES.has(sqlClass) || UNWRITABLE_SQLSTATES.has(code)) {
      return new StoreUnwritableError(`PostgreSQL at ${this.target} cannot be used: ${detail}`, { cause: error });
    }
    return error;
  }

  /** Where ingest calls run: the pool, or in an `exclusive` view, its transaction. */
  private get db(): pg.Pool | pg.PoolClient {
    return this.scope ?? this.pool;
  }

  /**
   * `work` on one pooled connection, which goes back to the pool unless it broke. `work` is given how to tell whether
   * a failure broke the connection (nothing more can be sent on it).
   */
  private async connection<T>(
    work: (client: pg.PoolClient, broke: (error: unknown) => boolean) => Promise<T>,
    pool = this.pool,
  ): Promise<T> {
    const client = await pool.connect();
    // A server that ends the connection between queries emits the error here (no query is running to fail with
    // it), which would otherwise be thrown into the application; the next query reports it.
    let lost = false;
    const onLost = () => {
      lost = true;
    };
    client.on('error', onLost);
    const broke = (error: unknown) => lost || isConnectionError(error);
    let broken = false;
    try {
      return await work(client, broke);
    } catch (error) {
      broken = broke(error);
      throw error;
    } finally {
      client.removeListener('error', onLost);
      client.release(broken || lost);
    }
  }

  /** `work` in a transaction: the view's, in `exclusive`, else one of its own on `pool` (given: always its own). */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, pool?: pg.Pool): Promise<T> {
    if (this.scope && !pool) return work(this.scope);
    return this.connection(async (client, broke) => {
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (!broke(error)) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }, pool);
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await operation();
    } catch (error) {
      throw this.describe(error);
    }
  }

  private async insertGenerations(client: pg.ClientBase | pg.Pool, records: readonly GenerationRecord[]): Promise<number> {
    let inserted = 0;
    for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
      const chunk = records.slice(start, start + ROWS_PER_STATEMENT);
      const result = await client.query({
        name: 'genspan_insert_generations',
        text: INSERT_GENERATIONS_UNLESS_MERGED,
        values: generationColumnArrays(chunk),
      });
      inserted += result.rowCount ?? 0;
    }
    return inserted;
  }

  write(records: readonly GenerationRecord[], steps?: StepBatch): Promise<WriteResult> {
    return this.writeWithSpans(records, new Map(), steps);
  }

  writeWithSpans(given: Iterable<GenerationRecord>, spans: ReadonlyMap<string, NormalizedSpan>, steps?: StepBatch): Promise<WriteResult> {
    return this.run(() => {
      // Built first, inside the promise (the ingest yields them as it translates, and may fail doing so).
      const records = Array.isArray(given) ? (given as readonly GenerationRecord[]) : [...given];
      return this.writeRows(records, spans, steps).catch((error: unknown) => {
        if (!isPartitionMiss(error)) throw error;
        // A partition this process knew of is gone (retention dropped it emptied), or the stored tables are: what is
        // known is read again, and the write tried once more unless it is part of a view's transaction, which failed.
        this.partitioning.fromMs = undefined;
        this.partitioning.open.clear();
        if (this.scope) throw error;
        return this.writeRows(records, spans, steps);
      });
    });
  }

  /** `records` all built first: the rows go to the server as column arrays. */
  private async writeRows(
    records: readonly GenerationRecord[],
    spans: ReadonlyMap<string, NormalizedSpan>,
    steps?: StepBatch,
  ): Promise<WriteResult> {
    // The ingest fills the step batch while it yields the records: it is complete only now.
    const stepRows = steps ? steps.steps.map(toStepRow) : [];
    const threads = steps ? batchThreads(steps.threads) : [];
    if (records.length === 0 && stepRows.length === 0 && threads.length === 0) return { inserted: 0, duplicates: 0 };
    const kept = { traceIds: [] as string[], spanIds: [] as string[], spans: [] as string[] };
    for (const record of records) {
      const span = spans.get(spanKeyString(record));
      if (!span) continue;
      kept.traceIds.push(toPostgresText(record.traceId.toLowerCase()));
      kept.spanIds.push(toPostgresText(record.spanId.toLowerCase()));
      kept.spans.push(encodeSpan(span));
    }
    const opened = await this.openPartitions(records, stepRows);
    let inserted: number;
    if (records.length <= ROWS_PER_STATEMENT && kept.spans.length === 0 && stepRows.length === 0 && threads.length === 0) {
      // One statement is one transaction already.
      inserted = await this.insertGenerations(this.db, records);
    } else {
      inserted = await this.transaction(async (client) => {
        const count = await this.insertGenerations(client, records);
        if (kept.spans.length > 0) await client.query(INSERT_SPANS, [kept.traceIds, kept.spanIds, kept.spans]);
        await PostgresStore.writeSteps(client, stepRows);
        if (threads.length > 0) {
          const traceIds = threads.map((thread) => toPostgresText(thread.traceId));
          const threadIds = threads.map((thread) => toPostgresText(thread.threadId));
          await client.query(SET_TRACE_THREADS, [traceIds, threadIds]);
          await client.query(UPSERT_THREADS, [
            traceIds,
            threadIds,
            threads.map((thread) => toNullablePostgresText(thread.threadName)),
            threads.map((thread) => toNullablePostgresText(thread.userId)),
          ]);
        }
        return count;
      });
    }
    // Once the new week holds the write's rows (a table analyzed empty gets no statistics).
    if (opened) this.analyzePartitioned();
    return { inserted, duplicates: records.length - inserted };
  }

  /**
   * Opens the week partitions a write's rows need that are not there yet, in a short transaction of its own on
   * `partitionPool` (in a view's too). Weeks this process knows to have theirs cost no query; a write that finds one gone (its
   * partition emptied and dropped by retention, or rolled back with the view's transaction) clears what is known and
   * is tried again (`writeWithSpans`). A database not partitioned yet (schema 9, its partitioning under way) needs none.
   * Resolves whether it opened any.
   */
  private async openPartitions(records: readonly GenerationRecord[], steps: readonly StepRow[]): Promise<boolean> {
    if (this.partitioning.fromMs === undefined) {
      const found = await this.db.query<{ value: string }>(
        `SELECT value FROM genspan_meta WHERE key = $1 AND (SELECT value FROM genspan_meta WHERE key = 'schema_version') = $2`,
        [PARTITIONS_FROM_KEY, String(POSTGRES_SCHEMA_VERSION)],
      );
      if (found.rows.length === 0) return false;
      this.partitioning.fromMs = Number(found.rows[0].value);
    }
    const startMs: number[] = steps.map((step) => step.start_ms);
    for (const record of records) {
      // A record whose start time cannot be read is refused by the insert, with its own message.
      const ms = Date.parse(record.startTime);
      if (!Number.isNaN(ms)) startMs.push(ms);
    }
    const { open } = this.partitioning;
    const weeks = partitionWeeks(startMs, this.partitioning.fromMs).filter((week) => !open.has(week));
    if (weeks.length === 0) return false;
    const missing = await this.db.query(MISSING_TABLES, [partitionNames(weeks)]);
    if (missing.rows.length > 0) await this.transaction((client) => openPartitions(client, weeks), this.partitionPool);
    for (const week of weeks) open.add(week);
    return missing.rows.length > 0;
  }

  /**
   * Autovacuum analyzes partitions but never a partitioned table itself, whose statistics the planner reads for a
   * query over all partitions (PostgreSQL's documentation, Routine Vacuuming): they are gathered in the background
   * after each write that opened a week, and after the stored tables are partitioned.
   */
  private analyzePartitioned(): void {
    this.pool.query(`ANALYZE ${PARTITIONED_TABLES.join(', ')}`).catch((error: unknown) => {
      if (!this.closed) report('warn', `genspan: analyzing on PostgreSQL at ${this.target} failed: ${this.scrub(errorMessage(error))}`);
    });
  }

  /** A batch's steps (insert-or-ignore), then its traces' times, and the times of the threads those traces are in. */
  private static async writeSteps(client: pg.ClientBase, given: readonly StepRow[]): Promise<void> {
    // In key order, as the traces are, so writers sharing spans (a redelivered batch) never deadlock.
    const rows = [...given].sort((a, b) => spanOrder(a, b));
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
      await client.query(POSTGRES_INSERT_STEPS, stepColumnArrays(chunk));
    }
    const traces = batchTraceTimes(rows);
    if (traces.length === 0) return;
    const traceIds = traces.map((trace) => toPostgresText(trace.traceId));
    await client.query(UPSERT_TRACE_TIMES, [traceIds, traces.map((trace) => trace.startMs), traces.map((trace) => trace.endMs)]);
    await client.query(WIDEN_THREADS, [traceIds]);
  }

  /**
   * One transaction holding an advisory lock per trace (taken in key order, so two never wait on each other), with
   * a view of this store whose calls all run in it. Every ingest step of a trace (a span write and its log join, a
   * log write and its span join, the overlap merge, the ancestor lookup) runs so, in whichever genspan process: each
   * read sees what the previous holder committed, and no rebuild from older reads overwrites a newer one.
   */
  exclusive<T>(traceIds: readonly string[], work: (store: IngestStore) => Promise<T>): Promise<T> {
    return this.run(() =>
      this.transaction(async (client) => {
        const ids = [...new Set(traceIds.map((traceId) => toPostgresText(traceId.toLowerCase())))];
        await client.query(LOCK_TRACES, [ids]);
        const view = Object.create(this) as PostgresStore;
        view.scope = client;
        return work(view);
      }),
    );
  }

  mergeGenerations(merges: readonly GenerationMerge[]): Promise<void> {
    return this.run(async () => {
      if (merges.length === 0) return;
      // One change per merged span: the last given wins, as it would applied one by one.
      const merged = new Map<string, [string, string, string, string, number]>();
      for (const { owner, merged: records } of merges) {
        for (const record of records) {
          const traceId = toPostgresText(record.traceId.toLowerCase());
          const spanId = toPostgresText(record.spanId.toLowerCase());
          const row: [string, string, string, string, number] = [
            traceId,
            spanId,
            mergedGenerationJson(record),
            toPostgresText(owner.id),
            startMillis(record),
          ];
          merged.set(spanKeyString({ traceId, spanId }), row);
        }
      }
      const rows = [...merged.values()];
      const columns = [0, 1, 2, 3, 4].map((index) => rows.map((row) => row[index]));
      await this.transaction(async (client) => {
        await client.query(UPDATE_GENERATIONS, updateColumns(merges.map((merge) => merge.owner)));
        if (rows.length === 0) return;
        await client.query(MERGE_STEPS, columns);
        await client.query(DELETE_MERGED, [columns[0], columns[1], columns[4]]);
      });
    });
  }

  stepLinks(traceIds: readonly string[]): Promise<Map<string, StepLink[]>> {
    return this.run(async () => {
      const found = new Map<string, StepLink[]>();
      if (traceIds.length === 0) return found;
      const names = new Map<string, string>();
      for (const traceId of traceIds) names.set(toPostgresText(traceId.toLowerCase()), traceId);
      const result = await this.db.query<StepLinkRow & { trace_id: string }>(SELECT_STEP_LINKS, [[...names.keys()]]);
      for (const row of result.rows) {
        const name = names.get(row.trace_id) as string;
        const link = stepLinkFromRow({
          span_id: fromPostgresText(row.span_id),
          parent_span_id: fromNullablePostgresText(row.parent_span_id),
          type: row.type,
          generation_id: fromNullablePostgresText(row.generation_id),
        });
        const list = found.get(name);
        if (list) list.push(link);
        else found.set(name, [link]);
      }
      return found;
    });
  }

  mergedRecords(keys: readonly SpanKey[]): Promise<Map<string, GenerationRecord>> {
    return this.run(async () => {
      const found = new Map<string, GenerationRecord>();
      if (keys.length === 0) return found;
      const lookup = PostgresStore.keyLookup(keys);
      const result = await this.db.query<{ trace_id: string; span_id: string; merged_generation: string }>(SELECT_MERGED, [
        lookup.traceIds,
        lookup.spanIds,
      ]);
      for (const row of result.rows) {
        const name = lookup.names.get(spanKeyString({ traceId: row.trace_id, spanId: row.span_id })) as string;
        found.set(name, JSON.parse(row.merged_generation) as GenerationRecord);
      }
      return found;
    });
  }

  writeLogs(records: readonly NormalizedLogRecord[]): Promise<void> {
    return this.run(async () => {
      const rows = toLogRows(records);
      if (rows.length === 0) return;
      await this.db.query(INSERT_LOGS, [
        rows.map((row) => row.key),
        rows.map((row) => toPostgresText(row.trace_id)),
        rows.map((row) => toPostgresText(row.span_id)),
        rows.map((row) => row.time_unix_nano.toString()),
        rows.map((row) => row.record),
      ]);
    });
  }

  async pruneBatch(beforeMs: number, rows: number): Promise<PruneBatch> {
    return this.run(() => this.connection((client) => this.pruneOn(client, beforeMs, rows)));
  }

  private async pruneOn(client: pg.PoolClient, beforeMs: number, rows: number): Promise<PruneBatch> {
    // A connection's first call of the function parses it and plans its statements (~35 ms at 1,000,000
    // generations), each after the ones before it took their row locks: a call with nothing to delete does it first.
    if (!this.prunePrepared.has(client)) {
      await client.query(PRUNE_BATCH, [[], 0, [], [], [], 0, []]);
      this.prunePrepared.add(client);
    }
    const traces = (
      await client.query<{ trace_id: string; thread_id: string | null; start_ms: string }>(PRUNE_SELECT.traces, [beforeMs, rows])
    ).rows;
    const bound = orphanBound(beforeMs, traces);
    const generations = (await client.query<{ trace_id: string; span_id: string }>(PRUNE_SELECT.orphanGenerations, [bound, rows])).rows;
    const logs = (await client.query<{ seq: string }>(PRUNE_SELECT.orphanLogs, [bound, rows])).rows;
    if (traces.length === 0 && generations.length === 0 && logs.length === 0) return NO_PRUNE;
    const traceIds = traces.map((trace) => trace.trace_id);
    const threadIds = [...new Set(traces.flatMap((trace) => (trace.thread_id === null ? [] : [trace.thread_id])))];
    // One statement, so one short transaction; row locks only, so ingestion writing other rows goes on beside it.
    const pruned = await client.query<{ counts: string[]; held_ms: number }>(PRUNE_BATCH, [
      traceIds,
      beforeMs,
      threadIds,
      generations.map((row) => row.trace_id),
      generations.map((row) => row.span_id),
      bound,
      logs.map((row) => row.seq),
    ]);
    const count = (at: number) => Number(pruned.rows[0].counts[at]);
    return {
      heldMs: pruned.rows[0].held_ms,
      generations: count(PRUNED.generations) + count(PRUNED.generationsBySpan),
      steps: count(PRUNED.steps),
      spans: count(PRUNED.spans) + count(PRUNED.spansBySpan),
      logs: count(PRUNED.logs) + count(PRUNED.logsBySpan) + count(PRUNED.orphanLogs),
      traces: count(PRUNED.traces),
      threads: count(PRUNED.threads),
    };
  }

  private async tablesSize(): Promise<number> {
    return Number((await this.pool.query<{ bytes: string }>(TABLES_SIZE, [GENSPAN_TABLES])).rows[0].bytes);
  }

  /**
   * Deleted rows' space stays in the tables (autovacuum makes it reusable for new rows, later), so once a deletion for
   * size has been recorded, the data is taken to be the limit it was brought to plus what the tables grew since.
   */
  async generationsOverSize(maxBytes: number): Promise<number> {
    return this.run(async () => {
      const bytes = await this.tablesSize();
      const pruned = await this.pool.query<{ value: string }>('SELECT value FROM genspan_meta WHERE key = $1', [PRUNED_SIZE_KEY]);
      const live = pruned.rows.length > 0 ? maxBytes + Math.max(0, bytes - Number(pruned.rows[0].value)) : bytes;
      if (live <= maxBytes) return 0;
      const { count } = (await this.pool.query<{ count: string }>('SELECT count(*) AS count FROM genspan_generations')).rows[0];
      return Math.ceil((Number(count) * (live - maxBytes)) / live);
    });
  }

  async sizePruned(): Promise<void> {
    await this.run(async () => {
      const bytes = await this.tablesSize();
      await this.pool.query(
        'INSERT INTO genspan_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
        [PRUNED_SIZE_KEY, String(bytes)],
      );
    });
  }

  /**
   * Drops the week partitions retention emptied (autovacuum makes other deleted rows' space reusable, not returned):
   * each in its own transaction under the partition lock, once it holds no row, its hold on the parent reported to
   * `held`. A drop that cannot have the parent within `PARTITION_DROP_LOCK_TIMEOUT_MS` is left to the next run.
   */
  async reclaimSpace(held?: (ms: number) => void): Promise<number> {
    return this.run(async () => {
      let bytes = 0;
      const ended = (await this.pool.query<{ name: string; bytes: string }>(ENDED_PARTITIONS, [PARTITIONED_TABLES])).rows;
      // The stored tables go together, once all that are left ended: where week partitions start is one setting for both.
      const isLegacy = (partition: { name: string }) => LEGACY_PARTITIONS.includes(partition.name);
      const left = (await this.pool.query(MISSING_TABLES, [LEGACY_PARTITIONS])).rows.length;
      const legacy = ended.filter(isLegacy);
      const groups = ended.filter((partition) => !isLegacy(partition)).map((partition) => [partition]);
      if (legacy.length === LEGACY_PARTITIONS.length - left) groups.push(legacy);
      for (const group of groups.filter((partitions) => partitions.length > 0)) {
        let dropStarted: number | undefined;
        try {
          await this.transaction(async (client) => {
            await client.query(`SET LOCAL lock_timeout = ${PARTITION_DROP_LOCK_TIMEOUT_MS}`);
            await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
            // Locked first, so no row can land in a partition between its check and its drop.
            for (const { name } of group) await client.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
            for (const { name } of group) if ((await client.query(`SELECT 1 FROM ${name} LIMIT 1`)).rows.length > 0) return;
            dropStarted = performance.now();
            for (const { name } of group) await client.query(`DROP TABLE ${name}`);
            // Without the stored tables, rows of any week go to their own partition.
            if (group === legacy)
              await client.query('UPDATE genspan_meta SET value = $2 WHERE key = $1', [
                PARTITIONS_FROM_KEY,
                String(Number.NEGATIVE_INFINITY),
              ]);
          });
        } catch (error) {
          if (errorCode(error) !== LOCK_NOT_AVAILABLE) throw error;
          const names = group.map((partition) => partition.name).join(', ');
          report('info', `genspan: ${names} on PostgreSQL at ${this.target} left for the next retention run (the table was busy)`);
          continue;
        }
        if (dropStarted === undefined) continue;
        held?.(performance.now() - dropStarted);
        this.partitioning.open.clear();
        for (const partition of group) bytes += Number(partition.bytes);
      }
      return bytes;
    });
  }

  /** A plain VACUUM (not FULL: writers go on); the space it frees is reused, not returned. */
  async vacuum(): Promise<void> {
    await this.run(async () => {
      await this.pool.query(`VACUUM (ANALYZE) ${GENSPAN_TABLES.join(', ')}`);
    });
  }

  /** Requested keys by their stored form (lowercase, escaped), so results come back under the key string the caller used. */
  private static keyLookup(keys: readonly SpanKey[]): { traceIds: string[]; spanIds: string[]; names: Map<string, string> } {
    const names = new Map<string, string>();
    const traceIds: string[] = [];
    const spanIds: string[] = [];
    for (const key of keys) {
      const traceId = toPostgresText(key.traceId.toLowerCase());
      const spanId = toPostgresText(key.spanId.toLowerCase());
      const stored = spanKeyString({ traceId, spanId });
      if (!names.has(stored)) {
        traceIds.push(traceId);
        spanIds.push(spanId);
      }
      names.set(stored, spanKeyString(key));
    }
    return { traceIds, spanIds, names };
  }

  logsFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedLogRecord[]>> {
    return this.run(async () => {
      const found = new Map<string, NormalizedLogRecord[]>();
      if (keys.length === 0) return found;
      const lookup = PostgresStore.keyLookup(keys);
      const result = await this.db.query<{ trace_id: string; span_id: string; record: string }>(SELECT_LOGS, [
        lookup.traceIds,
        lookup.spanIds,
      ]);
      for (const row of result.rows) {
        const name = lookup.names.get(spanKeyString({ traceId: row.trace_id, spanId: row.span_id })) as string;
        const list = found.get(name) ?? [];
        list.push(decodeLog(row.record));
        found.set(name, list);
      }
      return found;
    });
  }

  spansFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedSpan>> {
    return this.run(async () => {
      const found = new Map<string, NormalizedSpan>();
      if (keys.length === 0) return found;
      const lookup = PostgresStore.keyLookup(keys);
      const result = await this.db.query<{ trace_id: string; span_id: string; span: string }>(SELECT_SPANS, [
        lookup.traceIds,
        lookup.spanIds,
      ]);
      for (const row of result.rows) {
        found.set(lookup.names.get(spanKeyString({ traceId: row.trace_id, spanId: row.span_id })) as string, decodeSpan(row.span));
      }
      return found;
    });
  }

  updateGenerations(records: readonly GenerationRecord[]): Promise<void> {
    return this.run(async () => {
      if (records.length === 0) return;
      await this.db.query(UPDATE_GENERATIONS, updateColumns(records));
    });
  }

  get(id: string): Promise<GenerationRecord | undefined> {
    return this.run(async () => {
      const result = await this.pool.query<RecordColumns>(`${RECORD_SELECT} WHERE id = $1`, [toPostgresText(id)]);
      return result.rows.length > 0 ? fromRow(fromPostgresRow(result.rows[0])) : undefined;
    });
  }

  list(filter: ListFilter = {}): Promise<ListPage> {
    return this.run(async () => {
      const normalized = normalizeFilter(filter);
      const read = async (part: ListPart, need: number) => {
        const params = postgresParams(part.params);
        const limit = `LIMIT $${params.length + 1}`;
        const sql = `SELECT ${part.select} FROM ${part.from} ${part.where} ORDER BY ${part.orderBy} ${limit}`;
        const result = await this.pool.query<ListRow>(sql, [...params, need]);
        return result.rows.map((row) => ({ ...fromPostgresRow(row), cost_total: row.cost_total, sort_value: row.sort_value }));
      };
      const probes = searchProbeParts(normalized, postgresDialect);
      const rows: ListRow[] = [];
      for (const [index, part] of listParts(normalized, postgresDialect).entries()) {
        const need = normalized.limit + 1 - rows.length;
        if (need <= 0) break;
        const probed = probes ? await read(probes[index], need) : [];
        rows.push(...(probed.length === need ? probed : await read(part, need)));
      }
      return pageFrom(rows, normalized.limit, normalized.sort);
    });
  }

  count(filter: ListFilter = {}): Promise<ListTotal> {
    return this.run(async () => {
      const dialect = (await this.searchMatches(filter)) >= SEARCH_DENSE_MATCHES ? postgresScanDialect : postgresDialect;
      return this.boundedCount(filter, this.exactCountBound, dialect);
    });
  }

  /**
   * Counts up to the bound; past it, the planner's row estimate (at least bound + 1), read from EXPLAIN. A count that
   * scans (a `q` in most rows) reads the newest rows first: pages that writes and the list keep in the buffer cache,
   * where a sequential scan of a large table reads through a small ring of buffers, from the kernel every time. At
   * 1,000,000 generations a common word's 10,001 matches took 16.6 ms so against 69.1 ms (median;
   * docs/reference-additions.md).
   */
  private async boundedCount(filter: ListFilter, bound: number, dialect = postgresDialect): Promise<ListTotal> {
    const query = boundedCountQuery(filter, dialect, bound, dialect === postgresScanDialect);
    const params = postgresParams(query.params);
    const result = await this.pool.query<{ n: string }>(query.sql, params);
    const n = Number(result.rows[0].n);
    if (n <= bound) return { count: n, exact: true };
    const matching = matchingQuery(filter, dialect);
    const plan = await this.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `EXPLAIN (FORMAT JSON) ${matching.sql}`,
      postgresParams(matching.params),
    );
    return { count: Math.max(Math.round(plan.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']), n), exact: false };
  }

  /** Whether the filter's `q` is a common word (see `SEARCH_COMMON_MATCHES`): scanned newest first rather than indexed. */
  private async commonSearch(filter: ListFilter): Promise<boolean> {
    return (await this.searchMatches(filter)) >= SEARCH_COMMON_MATCHES;
  }

  /** How many of the newest `SEARCH_PROBE_ROWS` rows the other filters match hold the filter's `q` (0 without one). */
  private async searchMatches(filter: ListFilter): Promise<number> {
    const normalized = normalizeFilter({ ...filter, cursor: undefined, sort: undefined });
    const probe = searchProbeParts(normalized, postgresDialect)?.[0];
    if (!probe) return 0;
    const result = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${probe.from} ${probe.where}`,
      postgresParams(probe.params),
    );
    return Number(result.rows[0].n);
  }

  facets(field: FacetField, filter: ListFilter = {}): Promise<FacetList> {
    return this.run(async () => {
      const matching = facetFilter(field, filter);
      const dialect = (await this.commonSearch(matching)) ? postgresScanDialect : postgresDialect;
      const query = facetQuery(field, filter, dialect);
      const result = await this.pool.query<{ value: string; n: string }>(query.sql, postgresParams(query.params));
      const { exact } = await this.boundedCount(matching, FACET_LIMITS.rows, dialect);
      return { field, values: result.rows.map((row) => ({ value: fromPostgresText(row.value), count: Number(row.n) })), exact };
    });
  }

  getTrace(traceId: string): Promise<TraceDetail | undefined> {
    return this.run(async () => {
      const id = toPostgresText(traceId.toLowerCase());
      const steps = await this.db.query<StoredStepRow>(SELECT_TRACE_STEPS('$1'), [id]);
      if (steps.rows.length === 0) return undefined;
      const trace = await this.db.query<{ thread_id: string | null }>(SELECT_TRACE_THREAD('$1'), [id]);
      return {
        traceId: traceId.toLowerCase(),
        threadId: fromNullablePostgresText(trace.rows[0]?.thread_id ?? null),
        steps: treeOrder(steps.rows.map((row) => fromStepRow(fromPostgresStepRow(row)))),
      };
    });
  }

  listTraces(filter: ListFilter = {}): Promise<TraceList> {
    return this.run(async () => {
      const query = traceListWhere(filter, postgresDialect);
      const params = postgresParams(query.params);
      const sql = listTracesSql(postgresDialect, query.where, `$${params.length + 1}`);
      const rows = (await this.pool.query<TraceSummaryRow>(sql, [...params, query.limit + 1])).rows.map((row) => ({
        ...row,
        trace_id: fromPostgresText(row.trace_id),
        thread_id: fromNullablePostgresText(row.thread_id),
        name: fromNullablePostgresText(row.name),
        service_name: fromNullablePostgresText(row.service_name),
      }));
      const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
      return {
        items: rows.slice(0, query.limit).map(traceSummaryFromRow),
        nextCursor: last ? encodePageCursor('traces', { ms: Number(last.start_ms), id: last.trace_id }) : null,
      };
    });
  }

  listThreads(filter: ThreadFilter = {}): Promise<ThreadList> {
    return this.run(async () => {
      const query = threadListQuery(filter, postgresDialect.placeholder);
      const rows = (await this.pool.query<ThreadSummaryRow>(query.sql, postgresParams(query.params))).rows.map(fromPostgresThreadRow);
      const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
      return {
        items: rows.slice(0, query.limit).map(threadSummaryFromRow),
        nextCursor: last ? encodePageCursor('threads', { ms: Number(last.end_ms), id: last.id }) : null,
      };
    });
  }

  getThread(id: string): Promise<ThreadDetail | undefined> {
    return this.run(async () => {
      const stored = toPostgresText(id);
      const found = await this.pool.query<Omit<ThreadSummaryRow, 'traces'>>(SELECT_THREAD('$1'), [stored]);
      if (found.rows.length === 0) return undefined;
      const thread = fromPostgresThreadRow({ ...found.rows[0], traces: 0 });
      const turns = (await this.pool.query<ThreadTurnRow>(SELECT_THREAD_TURNS('$1'), [stored])).rows.map((row) =>
        threadTurnFromRow({
          ...row,
          trace_id: fromPostgresText(row.trace_id),
          name: fromNullablePostgresText(row.name),
          input: fromNullablePostgresText(row.input),
          output: fromNullablePostgresText(row.output),
          error: fromNullablePostgresText(row.error),
        }),
      );
      const { traces: _count, ...summary } = threadSummaryFromRow({ ...thread, traces: turns.length });
      return { ...summary, name: thread.name ?? turns[0]?.input ?? null, traces: turns };
    });
  }

  threadOfTrace(traceId: string): Promise<string | null> {
    return this.run(async () => {
      const trace = await this.pool.query<{ thread_id: string | null }>(SELECT_TRACE_THREAD('$1'), [toPostgresText(traceId.toLowerCase())]);
      return fromNullablePostgresText(trace.rows[0]?.thread_id ?? null);
    });
  }

  getMany(ids: readonly string[]): Promise<Map<string, GenerationRecord>> {
    return this.run(async () => {
      const result = await this.db.query<RecordColumns>(`${RECORD_SELECT} WHERE id = ANY($1)`, [ids.map(toPostgresText)]);
      const records = result.rows.map((row) => fromRow(fromPostgresRow(row)));
      return new Map(records.map((record) => [record.id, record]));
    });
  }

  createExperiment(definition: ExperimentDefinition, status: ExperimentStatus): Promise<void> {
    return this.run(async () => {
      const [id, createdMs, state, json] = experimentValues(definition, status);
      await this.pool.query('INSERT INTO genspan_experiments (id, created_ms, status, definition) VALUES ($1, $2, $3, $4)', [
        toPostgresText(id),
        createdMs,
        state,
        json,
      ]);
    });
  }

  private async experimentRows(where: string, params: unknown[]): Promise<Experiment[]> {
    const result = await this.pool.query<ExperimentRow>(`${EXPERIMENT_SELECT} ${where}`, params);
    return result.rows.map((row) =>
      experimentFromRow({ ...row, id: fromPostgresText(row.id), error: fromNullablePostgresText(row.error) }),
    );
  }

  getExperiment(id: string): Promise<Experiment | undefined> {
    return this.run(async () => (await this.experimentRows('WHERE e.id = $1', [toPostgresText(id)]))[0]);
  }

  listExperiments(): Promise<Experiment[]> {
    return this.run(() => this.experimentRows(EXPERIMENT_NEWEST_FIRST, []));
  }

  setExperimentStatus(id: string, status: ExperimentStatus, error: string | null = null): Promise<void> {
    return this.run(async () => {
      await this.pool.query('UPDATE genspan_experiments SET status = $1, error = $2 WHERE id = $3', [
        status,
        error === null ? null : toPostgresText(error),
        toPostgresText(id),
      ]);
    });
  }

  writeExperimentResult(result: ExperimentResult): Promise<boolean> {
    return this.run(async () => {
      const written = await this.pool.query(
        `INSERT INTO genspan_experiment_results (${EXPERIMENT_RESULT_COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [
          toPostgresText(result.experimentId),
          toPostgresText(result.sourceId),
          result.variant,
          result.generationId === null ? null : toPostgresText(result.generationId),
          result.error === null ? null : toPostgresText(result.error),
        ],
      );
      return (written.rowCount ?? 0) > 0;
    });
  }

  experimentResults(experimentId: string): Promise<ExperimentResult[]> {
    return this.run(async () => {
      const result = await this.pool.query<ExperimentResultRow>(
        `SELECT ${EXPERIMENT_RESULT_COLUMNS} FROM genspan_experiment_results WHERE experiment_id = $1`,
        [toPostgresText(experimentId)],
      );
      return result.rows.map((row) =>
        resultFromRow({
          ...row,
          experiment_id: fromPostgresText(row.experiment_id),
          source_id: fromPostgresText(row.source_id),
          generation_id: fromNullablePostgresText(row.generation_id),
          error: fromNullablePostgresText(row.error),
        }),
      );
    });
  }

  async *exportPages(): AsyncGenerator<ExportPage> {
    // The stored (escaped) key of the last row: the next page starts after it.
    let after: [string, string] = [String(Number.MIN_SAFE_INTEGER), ''];
    for (;;) {
      const result = await this.run(() =>
        this.pool.query<RecordColumns>(
          `${RECORD_SELECT} WHERE (start_ms, id) > ($1, $2) ORDER BY start_ms, id LIMIT ${EXPORT_PAGE_SIZE}`,
          after,
        ),
      );
      if (result.rows.length === 0) break;
      const last = result.rows[result.rows.length - 1];
      after = [String(last.start_ms), last.id];
      yield { records: result.rows.map((row) => fromRow(fromPostgresRow(row))), steps: [], threads: [] };
    }
    let afterStep: [string, string] = ['', ''];
    let previousTrace: string | undefined;
    for (;;) {
      const { rows } = await this.run(() => this.pool.query<StoredStepRow>(EXPORT_STEPS('$1', '$2'), afterStep));
      if (rows.length === 0) break;
      const traces = tracesBegun(rows, previousTrace);
      const found = await this.run(() => this.pool.query<TraceThreadRow>(EXPORT_THREADS('(SELECT unnest($1::text[]))'), [traces]));
      const last = rows[rows.length - 1];
      afterStep = [last.trace_id, last.span_id];
      previousTrace = last.trace_id;
      const threads = found.rows.map((row) =>
        traceThreadFromRow({
          trace_id: fromPostgresText(row.trace_id),
          thread_id: fromPostgresText(row.thread_id),
          name: fromNullablePostgresText(row.name),
          user_id: fromNullablePostgresText(row.user_id),
        }),
      );
      yield { records: [], steps: rows.map((row) => fromStepRow(fromPostgresStepRow(row))), threads };
    }
  }

  exportJsonl(output: Writable): Promise<number> {
    return writeJsonl(output, this.exportPages());
  }

  importJsonl(input: Readable): Promise<WriteResult> {
    return readJsonl(input, (records, steps) => this.write(records, steps));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.initialization?.catch(() => undefined);
    // A long build is cancelled rather than waited for: it leaves an invalid index, which the next start builds again.
    if (this.indexBuilder !== undefined) await this.pool.query('SELECT pg_cancel_backend($1)', [this.indexBuilder]).catch(() => undefined);
    await this.indexBuilding;
    await Promise.all([this.pool.end(), this.partitionPool.end()]);
  }
}
