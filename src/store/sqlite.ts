import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { Experiment, ExperimentDefinition, ExperimentResult, ExperimentStatus } from '../generation/experiment.js';
import type { ListFilter } from '../generation/filter.js';
import { FACET_LIMITS, type FacetField, LIST_TOTAL_EXACT_BOUND, listSortValue } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import type { FacetList, ListTotal, ThreadDetail, ThreadList, TraceDetail, TraceList } from '../generation/rest.js';
import { StatusCode } from '../generation/status.js';
import { type GenerationMerge, type SpanKey, type StepBatch, type StepLink, spanKeyString, type WriteResult } from '../ingest/contract.js';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { storedRecord } from '../ingest/stored-values.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';
import { pageFrom } from './cursor.js';
import { DEFAULT_DATABASE_PATH } from './defaults.js';
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
  NEWEST_FIRST,
  type NormalizedFilter,
  normalizeFilter,
  SEARCH_COMMON_MATCHES,
  SEARCH_DENSE_MATCHES,
  SEARCH_INDEX_MIN_LENGTH,
  SEARCH_MANY_CANDIDATES,
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
import { NO_PRUNE, orphanBound, type PruneBatch, pruneSql, RECLAIM_PAGES_PER_STEP, type RetentionStore, unclaimed } from './retention.js';
import {
  DROP_OLDEST_IF_EMPTY,
  EACH_PARTITION,
  EVERY_PARTITION,
  inPartition,
  PARTITION_CATALOG_DDL,
  PARTITION_HOLDS,
  PARTITION_ROWS,
  type Partition,
  partitionSql,
} from './sqlite-partitions.js';
import { InlineSqliteReader, type SqliteReader, ThreadSqliteReader } from './sqlite-reader.js';
import { cachedStatement, inOneSnapshot } from './sqlite-thread-connection.js';
import { InlineSqliteWriter, type SqliteWriteOp, type SqliteWriter, ThreadSqliteWriter } from './sqlite-writer.js';
import {
  batchThreads,
  batchTraceTimes,
  encodePageCursor,
  fromStepRow,
  mergedGenerationJson,
  STEP_COLUMNS,
  type StepLinkRow,
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
  traceSummarySelect,
} from './trace-sql.js';
import type { ExportPage, ListPage, PlaygroundStore, ThreadFilter } from './types.js';

export interface SqliteStoreOptions {
  /** The database file, created when missing. Default `./genspan.db`. */
  path?: string;
  /**
   * How long a read or write waits for another connection's lock before failing with SQLITE_BUSY (retryable).
   * better-sqlite3 waits on the thread that runs the statement: the store's write thread for writes, the calling
   * thread (in an instrumented app, its event loop) for reads. The default is short (50 ms): the exporters' write
   * queue does the longer waiting, with backoff, between attempts.
   * Opening the file waits up to 5 s whatever this says (it may have to create the schema).
   */
  busyTimeoutMs?: number;
  /** Past how many matches `count` stops counting (default `LIST_TOTAL_EXACT_BOUND`). */
  exactCountBound?: number;
  /** Rows per transaction of the background index build (default `SQLITE_INDEX_BUILD_CHUNK_ROWS`). */
  indexBuildChunkRows?: number;
  /** Generations a time partition takes before the next one opens (default `PARTITION_ROWS`). */
  partitionRows?: number;
  /**
   * The clock partitions open by (default `Date.now`): a new partition starts at its time. Only for replaying data
   * dated in the past as if it arrived then (the benchmarks' stores).
   */
  clock?: () => number;
}

/** Written into the SQLite header (`PRAGMA application_id`) so a genspan file is recognised as such: "GSPN". */
export const SQLITE_APPLICATION_ID = 0x4753504e;
/**
 * How every connection is tuned (after `journal_mode = WAL`); benchmarks open their lower-bound tables alike.
 * NORMAL sync: a commit survives a crash of the process, not necessarily a power loss (WAL files are synced at
 * checkpoints). Batches of several MB of content: a 32 MB page cache keeps a batch's pages from spilling before
 * its commit, and checkpoints every 10,000 pages (~40 MB) copy each page once for many batches, not once per batch.
 */
export const SQLITE_CONNECTION_PRAGMAS: readonly string[] = ['synchronous = NORMAL', 'cache_size = -32768', 'wal_autocheckpoint = 10000'];
/**
 * The write thread's connection: an 8 MB cache instead, so a large batch's pages start going to the WAL while the
 * calling thread is still building the rest of it (the disk work overlaps the translation instead of all waiting for
 * the COMMIT), and the thread stays small. Measured: about 10% more records per second through the exporter.
 * Its automatic checkpoint only backs up the checkpoint thread (`ThreadSqliteWriter`): at 10,000 pages, a batch of
 * 2,000 generations into a store of 1,000,000 (~18,000 pages, its index entries scattered) crossed it in every
 * COMMIT, which then copied the batch into the file itself; 100,000 pages (~400 MB) leaves that to the thread.
 */
const SQLITE_WRITE_THREAD_PRAGMAS: readonly string[] = [...SQLITE_CONNECTION_PRAGMAS, 'cache_size = -8192', 'wal_autocheckpoint = 100000'];
/** The read threads' connections (`ThreadSqliteReader`): tuned as the store's own, and refusing to write. */
const SQLITE_READ_THREAD_PRAGMAS: readonly string[] = [...SQLITE_CONNECTION_PRAGMAS, 'query_only = ON'];

/** The schema this code writes (`PRAGMA user_version`). */
export const SQLITE_SCHEMA_VERSION = 11;
/** Default `busyTimeoutMs`. */
export const SQLITE_DEFAULT_BUSY_TIMEOUT_MS = 50;
/** How long opening waits for another writer: setup happens once, before any span is exported. */
const OPEN_BUSY_TIMEOUT_MS = 5_000;

/**
 * Schema history.
 * v1: column per filter, indexes, kept spans and log records.
 * v2: the record's cost (JSON) and its total (the cost filters read it); records stored before have none.
 * v3: experiments and their results.
 * v4: an index for the cost orders.
 * v5: steps, traces and threads.
 * v6: the search index (FTS5, trigram), the tag index, case-insensitive indexes on model, provider and service; built
 *     in the background over the rows already stored (`SqliteIndexBuild`).
 * v7: indexes for the duration and token orders (`SORT_INDEXES`), built by the background build's last steps (a new
 *     file gets them at once).
 * v8: no (trace_id, start_ms) index on steps (`SCHEMA_V8`); v5 to v7 created one, a new file never has it.
 * v9: the search index merges its segments 16 at a time (`SEARCH_INDEX_MERGING`).
 * v10: the search index is contentless, deleting by rowid (`SEARCH_INDEX`); built beside the v6 one in the background,
 *      which serves searches until the new one replaces it (`SEARCH_INDEX_REPLACE`).
 * Every genspan release wrote v1 or later: a file without genspan's application id is never taken for an older one.
 */
const SCHEMA_V1 = `
CREATE TABLE genspan_generations (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  id TEXT NOT NULL,
  parent_span_id TEXT,
  service_name TEXT,
  scope_name TEXT NOT NULL,
  scope_version TEXT,
  source TEXT NOT NULL,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT,
  model TEXT,
  provider TEXT,
  is_error INTEGER NOT NULL,
  tags TEXT NOT NULL,
  search_text TEXT NOT NULL,
  warnings TEXT NOT NULL,
  generation TEXT NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE UNIQUE INDEX genspan_generations_id ON genspan_generations (id);
CREATE INDEX genspan_generations_start ON genspan_generations (start_ms, id);
CREATE INDEX genspan_generations_service ON genspan_generations (service_name, start_ms, id);
CREATE INDEX genspan_generations_model ON genspan_generations (model, start_ms, id);
CREATE INDEX genspan_generations_provider ON genspan_generations (provider, start_ms, id);
CREATE INDEX genspan_generations_source ON genspan_generations (source, start_ms, id);
CREATE INDEX genspan_generations_errors ON genspan_generations (start_ms, id) WHERE is_error = 1;
CREATE TABLE genspan_spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  span TEXT NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE genspan_logs (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  time_unix_nano INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX genspan_logs_span ON genspan_logs (trace_id, span_id, time_unix_nano, seq);
`;

/** Adding nullable columns keeps every row, and is instant: SQLite only rewrites the table's definition. */
const SCHEMA_V2 = `
ALTER TABLE genspan_generations ADD COLUMN cost TEXT;
ALTER TABLE genspan_generations ADD COLUMN cost_total REAL;
`;

const SCHEMA_V3 = `
CREATE TABLE genspan_experiments (
  id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  definition TEXT NOT NULL
);
CREATE INDEX genspan_experiments_created ON genspan_experiments (created_ms, id);
CREATE TABLE genspan_experiment_results (
  experiment_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  variant INTEGER NOT NULL,
  generation_id TEXT,
  error TEXT,
  PRIMARY KEY (experiment_id, source_id, variant)
);
`;

/** Read backward for highest cost first; records without a cost stay out of it, so their inserts pay nothing for it. */
const SCHEMA_V4 = `
CREATE INDEX genspan_generations_cost ON genspan_generations (cost_total, start_ms, id) WHERE cost_total IS NOT NULL;
`;

/**
 * Steps keyed by their span, with the record of a generation merged into another one (`merged_generation`); traces
 * (their thread, first start and last end) and threads, kept by upserts as steps arrive. New tables only: every row
 * is kept, and traces stored before have no steps.
 */
const SCHEMA_V5 = `
CREATE TABLE genspan_steps (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  id TEXT NOT NULL,
  parent_id TEXT,
  parent_span_id TEXT,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  input TEXT,
  output TEXT,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  error TEXT,
  tags TEXT NOT NULL,
  metadata TEXT NOT NULL,
  generation_id TEXT,
  service_name TEXT,
  merged_generation TEXT,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE genspan_traces (
  trace_id TEXT PRIMARY KEY,
  thread_id TEXT,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL
);
CREATE INDEX genspan_traces_start ON genspan_traces (start_ms, trace_id);
CREATE INDEX genspan_traces_thread ON genspan_traces (thread_id, start_ms, trace_id) WHERE thread_id IS NOT NULL;
CREATE TABLE genspan_threads (
  id TEXT PRIMARY KEY,
  name TEXT,
  user_id TEXT,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL
);
CREATE INDEX genspan_threads_last ON genspan_threads (end_ms, id);
CREATE INDEX genspan_threads_user ON genspan_threads (user_id, end_ms, id) WHERE user_id IS NOT NULL;
`;

/**
 * Which generation rows the search and tag indexes hold yet: the rows stored before v6 (rowid up to `end_rowid`) are
 * indexed in chunks, up to `done_rowid`, by the background build; every other row by the triggers as it is written,
 * updated or deleted. A row is indexed iff `rowid <= done_rowid OR rowid > end_rowid`, so a trigger never touches the
 * index entry of a row the build has not reached (it reads the row's current values when it gets there).
 */
const INDEXED = (row: 'new' | 'old') => BUILT('genspan_index_build', row);
/** Whether a background build with its progress in `build` (done_rowid, end_rowid) has reached a row: see `INDEXED`. */
const BUILT = (build: string, row: 'new' | 'old') =>
  `${row}.rowid <= (SELECT done_rowid FROM ${build}) OR ${row}.rowid > (SELECT end_rowid FROM ${build})`;
const TAG_ROW = (row: 'new') =>
  `INSERT OR IGNORE INTO genspan_generation_tags (tag, generation_rowid) SELECT value, ${row}.rowid FROM json_each(${row}.tags);`;
const UNTAG_ROW = (row: 'old') =>
  `DELETE FROM genspan_generation_tags WHERE generation_rowid = ${row}.rowid AND tag IN (SELECT value FROM json_each(${row}.tags));`;
/** The v6 search index's entries (v10's are `SEARCH_ROW` and `UNSEARCH_ROW`). */
const INDEX_ROW = (row: 'new') =>
  `INSERT INTO genspan_search (rowid, search_text) VALUES (${row}.rowid, ${row}.search_text);
  ${TAG_ROW(row)}`;
const UNINDEX_ROW = (row: 'old') =>
  `INSERT INTO genspan_search (genspan_search, rowid, search_text) VALUES ('delete', ${row}.rowid, ${row}.search_text);
  ${UNTAG_ROW(row)}`;

/**
 * The search index: an external-content FTS5 table over `search_text` (no second copy of the text) with the trigram
 * tokenizer (substrings in any script; case_sensitive because search_text and q are lowercased already, so a match
 * is exactly instr's), detail=none (a third of the size; the candidates are checked with instr). The tag index:
 * (tag, generation rowid). Triggers keep both in step with every insert, update and delete of a generation, whoever
 * runs it (retention deletes included). The case-insensitive indexes are built by the background build too. v10
 * replaces the search index with a contentless one (`SEARCH_INDEX`).
 */
const GENERATION_TAGS_TABLE = `
CREATE TABLE genspan_generation_tags (
  tag TEXT NOT NULL,
  generation_rowid INTEGER NOT NULL,
  PRIMARY KEY (tag, generation_rowid)
) WITHOUT ROWID;
`;
const SCHEMA_V6 = `
CREATE VIRTUAL TABLE genspan_search USING fts5(
  search_text, content = 'genspan_generations', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1', detail = none
);
${GENERATION_TAGS_TABLE}
CREATE TABLE genspan_index_build (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  done_rowid INTEGER NOT NULL,
  end_rowid INTEGER NOT NULL,
  complete INTEGER NOT NULL
);
INSERT INTO genspan_index_build (id, done_rowid, end_rowid, complete)
  VALUES (1, 0, coalesce((SELECT max(rowid) FROM genspan_generations), 0), 0);
CREATE TRIGGER genspan_generations_index_insert AFTER INSERT ON genspan_generations WHEN ${INDEXED('new')} BEGIN
  ${INDEX_ROW('new')}
END;
CREATE TRIGGER genspan_generations_index_delete AFTER DELETE ON genspan_generations WHEN ${INDEXED('old')} BEGIN
  ${UNINDEX_ROW('old')}
END;
CREATE TRIGGER genspan_generations_index_update AFTER UPDATE OF search_text, tags ON genspan_generations WHEN ${INDEXED('old')} BEGIN
  ${UNINDEX_ROW('old')}
  ${INDEX_ROW('new')}
END;
`;

/**
 * The background build's last steps, each its own short transaction once every older row is indexed: the
 * case-insensitive indexes replace the exact ones (each CREATE holds writers off for its own build, about a second
 * per 100,000 rows), then the build is marked complete.
 */
const CASE_INSENSITIVE_INDEXES = ['service_name', 'model', 'provider'].flatMap((column) => {
  const name = column === 'service_name' ? 'service' : column;
  return [
    `CREATE INDEX IF NOT EXISTS genspan_generations_${name}_ci ON genspan_generations (lower(${column}), start_ms, id)`,
    `DROP INDEX IF EXISTS genspan_generations_${name}`,
  ];
});

/**
 * A number of a generation row's wire JSON, NULL when it is absent or not a number (a library caller's record may hold
 * anything): what the duration and token orders sort by, and their indexes hold. A generation holding the escape of
 * NUL is none, as PostgreSQL cannot read its JSON: both stores sort alike. Deterministic, so it can be indexed;
 * queries spell it exactly so, or SQLite would not use the index.
 */
const jsonNumber = (key: string) =>
  `iif(instr(generation, '\\u0000') = 0 AND json_type(generation, '$.${key}') IN ('integer', 'real'), ` +
  `json_extract(generation, '$.${key}'), NULL)`;
/** The token order's value is the generation's total, else its input plus output (as a trace's tokens are counted). */
const SORT_VALUES = {
  duration: jsonNumber('duration'),
  tokens: `coalesce(${jsonNumber('tokenCount')}, ${jsonNumber('inputTokenCount')} + ${jsonNumber('outputTokenCount')})`,
} as const;

/**
 * The duration and token orders' indexes, as the cost order's (v4): read backward for the descending order, and only
 * rows holding the value. Built by the background build after the case-insensitive indexes (one transaction each, which
 * holds writers off while it reads every row's JSON once), so migrating to v7 takes no time itself.
 */
const SORT_INDEXES = Object.entries(SORT_VALUES).map(
  ([name, value]) =>
    `CREATE INDEX IF NOT EXISTS genspan_generations_${name} ON genspan_generations (${value}, start_ms, id) WHERE ${value} IS NOT NULL`,
);

/**
 * The steps' start order: what a new partition takes from the one before it, when rows started after its start (a
 * clock ahead), and what retention reads a partition by. A background build step, as the orders are.
 */
const STEP_START_INDEX = 'CREATE INDEX IF NOT EXISTS genspan_steps_start ON genspan_steps (start_ms)';

/**
 * A trace's row in each partition holding its steps (in partition 0 of a file from before v11, every trace's), kept
 * by each step's insert: its first start and last end there. A stored row is rewritten only when a step widens it.
 */
const STEP_TRACE_TRIGGER = `CREATE TRIGGER genspan_steps_trace_row AFTER INSERT ON genspan_steps BEGIN
  INSERT INTO genspan_traces (trace_id, start_ms, end_ms) VALUES (new.trace_id, new.start_ms, new.end_ms)
  ON CONFLICT (trace_id) DO UPDATE SET start_ms = min(start_ms, excluded.start_ms), end_ms = max(end_ms, excluded.end_ms)
  WHERE excluded.start_ms < start_ms OR excluded.end_ms > end_ms;
END`;

/** The indexes the background build's last steps create, one transaction each, in order. */
const BUILT_INDEXES = [...CASE_INSENSITIVE_INDEXES, ...SORT_INDEXES, STEP_START_INDEX];

/** v7: the build runs its last steps again, which now include `SORT_INDEXES` (a v6 file's rows are all indexed already). */
const SCHEMA_V7 = `
UPDATE genspan_index_build SET complete = 0;
`;

/**
 * v8: a trace's steps are read through the primary key's (trace_id, span_id) prefix and sorted, a few rows each; the
 * (trace_id, start_ms) index that spared that sort was a second randomly keyed B-tree on every step write, a quarter
 * of the pages a batch wrote at 1,000,000 generations (README, Performance). Dropping it frees its pages at once.
 */
const SCHEMA_V8 = `
DROP INDEX IF EXISTS genspan_steps_trace;
`;

/**
 * FTS5 writes each transaction's entries as a new segment and merges a level's segments into one of the next level
 * once `automerge` of them are there (default 4), a little more work per write for every level the index has; every
 * entry is rewritten once per level it climbs. Merging 16 at a time halves the levels (log16 against log4 of the
 * index's size): at 1,000,000 generations, runs taking turns wrote at 0.64–0.72 of an empty store's rate against
 * 0.39–0.59 with FTS5's defaults; searches read more segments for it: the same time at 200,000 generations, ~0.8 ms
 * more at 20,000 (README, Performance). `crisismerge`, the count at which a level is merged whole in one write
 * instead of bit by bit (default 16), goes above it so that stays the exception.
 */
export const SEARCH_INDEX_MERGING = { automerge: 16, crisismerge: 64 } as const;

/** Sets an FTS5 table's settings, which it keeps in its config table. */
const FTS5_SETTINGS = (table: string, settings: Record<string, number>) =>
  Object.entries(settings)
    .map(([setting, value]) => `INSERT INTO ${table} (${table}, rank) VALUES ('${setting}', ${value});`)
    .join('\n');

/** v9: a file written before keeps its segments as they are. */
const SCHEMA_V9 = FTS5_SETTINGS('genspan_search', SEARCH_INDEX_MERGING);

/**
 * The search index from v10: contentless, with `contentless_delete`, so deleting or changing a row's entry is a
 * tombstone by rowid in the segment holding it, not delete entries for each of its trigrams (its old text tokenized
 * again) in a new segment that later merges rewrite. At 1,000,000 generations, retention's batches held writers
 * 1.8 / 4.9 / 14.7 ms (median / p99 / longest) with the external-content index and 1.1 / 1.8 / 2.7 ms with this one;
 * the longest were FTS5 merges the delete segments set off (README, Retention). Searches read it alike: candidates
 * by rowid, checked with instr against the row.
 */
const SEARCH_INDEX = (name: string) =>
  `CREATE VIRTUAL TABLE ${name} USING fts5(
  search_text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1', detail = none
);
${FTS5_SETTINGS(name, { ...SEARCH_INDEX_MERGING, usermerge: SEARCH_INDEX_SETTLING.usermerge })}`;

/**
 * Once the v10 build has indexed every stored row, it merges the new index's segments until no level holds two, a
 * few pages a transaction: built in thousands of small chunks, the index is left with merges of large segments due,
 * which the next writes would otherwise pay (at 1,000,000 generations the first 20,000 written after the build ran at
 * 0.42 of an empty store's rate, three batches of 2,000 taking ~2.5 s; 0.72 once settled, as a store grown by its
 * writes). FTS5's `merge` command merges a level holding `usermerge` segments; ~50 pages a step held writers ~30 ms
 * (p99 ~110 ms, as a step ends a segment). Its steps are a budget, one per `rowsPerStep` rows built (1,173 steps
 * settled 1,000,000 generations): a step with nothing to merge does nothing, and what a budget leaves is FTS5's own
 * merging's to do.
 */
const SEARCH_INDEX_SETTLING = { usermerge: 2, pagesPerStep: 50, rowsPerStep: 400, minimumSteps: 16 } as const;

/**
 * Which rows the new search index (`genspan_search_next`) holds while it is built over the rows stored before v10
 * (rowid up to `end_rowid`, in chunks up to `done_rowid`): as `INDEXED` for the v6 build. The v6 index keeps serving
 * searches meanwhile; `replaced` once the new one has taken its name (`SEARCH_INDEX_REPLACE`).
 */
const SEARCH_INDEXED = (row: 'new' | 'old') => BUILT('genspan_search_build', row);
const SEARCH_ROW = (index: string, row: 'new') => `INSERT INTO ${index} (rowid, search_text) VALUES (${row}.rowid, ${row}.search_text);`;
/** A rowid the index does not hold (not built yet) deletes nothing. */
const UNSEARCH_ROW = (index: string, row: 'old') => `DELETE FROM ${index} WHERE rowid = ${row}.rowid;`;

/**
 * v10: the contentless search index, built beside the v6 one in the background (`genspan_search_build`), and the
 * triggers that keep it in step meanwhile. The v6 build's last steps run again after it, so the build loop runs.
 */
const SCHEMA_V10 = `
${SEARCH_INDEX('genspan_search_next')}
CREATE TABLE genspan_search_build (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  done_rowid INTEGER NOT NULL,
  end_rowid INTEGER NOT NULL,
  merge_steps INTEGER NOT NULL,
  replaced INTEGER NOT NULL
);
INSERT INTO genspan_search_build (id, done_rowid, end_rowid, merge_steps, replaced)
  VALUES (1, 0, coalesce((SELECT max(rowid) FROM genspan_generations), 0), 0, 0);
CREATE TRIGGER genspan_generations_search_next_insert AFTER INSERT ON genspan_generations WHEN ${SEARCH_INDEXED('new')} BEGIN
  ${SEARCH_ROW('genspan_search_next', 'new')}
END;
CREATE TRIGGER genspan_generations_search_next_delete AFTER DELETE ON genspan_generations BEGIN
  ${UNSEARCH_ROW('genspan_search_next', 'old')}
END;
CREATE TRIGGER genspan_generations_search_next_update AFTER UPDATE OF search_text ON genspan_generations WHEN ${SEARCH_INDEXED('old')} BEGIN
  ${UNSEARCH_ROW('genspan_search_next', 'old')}
  ${SEARCH_ROW('genspan_search_next', 'new')}
END;
UPDATE genspan_index_build SET complete = 0;
`;

/**
 * A generation's delete takes its search entry out, except retention's (`genspan_pruning` holds its row while a
 * batch deletes): FTS5 merges a segment once a tenth of its rows are deleted, which held retention's batches up to
 * 271 ms in a partition. An entry left behind finds no row (the search tests each candidate's row), and goes with its
 * partition's tables. The tag index is read without such a test: its entries always go.
 */
const INDEX_DELETE_TRIGGER = `CREATE TRIGGER genspan_generations_index_delete AFTER DELETE ON genspan_generations BEGIN
  DELETE FROM genspan_search WHERE rowid = old.rowid AND NOT EXISTS (SELECT 1 FROM genspan_pruning);
  ${UNTAG_ROW('old')}
END`;

/**
 * The triggers keeping the search and tag indexes in step with the generations, for rows `indexed` says the indexes
 * hold (every row, in a partition of its own).
 */
const INDEX_TRIGGERS = (indexed?: (row: 'new' | 'old') => string): string[] => {
  const when = (row: 'new' | 'old') => (indexed ? ` WHEN ${indexed(row)}` : '');
  return [
    `CREATE TRIGGER genspan_generations_index_insert AFTER INSERT ON genspan_generations${when('new')} BEGIN
  ${SEARCH_ROW('genspan_search', 'new')}
  ${TAG_ROW('new')}
END`,
    INDEX_DELETE_TRIGGER,
    `CREATE TRIGGER genspan_generations_index_update AFTER UPDATE OF search_text, tags ON genspan_generations${when('old')} BEGIN
  ${UNSEARCH_ROW('genspan_search', 'old')}
  ${UNTAG_ROW('old')}
  ${SEARCH_ROW('genspan_search', 'new')}
  ${TAG_ROW('new')}
END`,
  ];
};

/**
 * The new search index takes the v6 one's place, in one transaction (statement by statement, as the write thread
 * runs them): the v6 index and every trigger go, the new index is renamed `genspan_search`, and the triggers are
 * written for it (still following the v6 build's rule for the tags: a file may be replaced before that build ends).
 * Dropping the v6 index of 1,000,000 generations (~100,000 pages) held writers ~0.4 s, once. Fails, rolled back,
 * if another store replaced it first (no `genspan_search_next` to rename).
 */
const SEARCH_INDEX_REPLACE: readonly string[] = [
  ...['insert', 'delete', 'update'].flatMap((event) => [
    `DROP TRIGGER IF EXISTS genspan_generations_index_${event}`,
    `DROP TRIGGER IF EXISTS genspan_generations_search_next_${event}`,
  ]),
  'DROP TABLE IF EXISTS genspan_search',
  'ALTER TABLE genspan_search_next RENAME TO genspan_search',
  ...INDEX_TRIGGERS(INDEXED),
  'UPDATE genspan_search_build SET done_rowid = end_rowid, merge_steps = 0, replaced = 1',
];

/** v11: time partitions (sqlite-partitions.js); the build's last steps run again for the steps' start order. */
const SCHEMA_V11 = `
${PARTITION_CATALOG_DDL}
CREATE TABLE genspan_pruning (id INTEGER PRIMARY KEY CHECK (id = 1));
${STEP_TRACE_TRIGGER};
UPDATE genspan_index_build SET complete = 0;
`;

/** Migration i takes the schema from version i to i + 1 (version 0: an empty file). */
const MIGRATIONS = [
  SCHEMA_V1,
  SCHEMA_V2,
  SCHEMA_V3,
  SCHEMA_V4,
  SCHEMA_V5,
  SCHEMA_V6,
  SCHEMA_V7,
  SCHEMA_V8,
  SCHEMA_V9,
  SCHEMA_V10,
  SCHEMA_V11,
];

/**
 * Rows of the background index build per transaction: at ~2.5 KB of text a row, a chunk holds writers off for tens of
 * milliseconds (`SqliteStoreOptions.indexBuildChunkRows`).
 */
export const SQLITE_INDEX_BUILD_CHUNK_ROWS = 100;

/** How far the v10 search index is built over the rows stored before v10, settled, and whether it replaced the v6 one. */
interface SearchIndexBuild {
  doneRowids: number;
  totalRowids: number;
  /** Settling steps left (`SEARCH_INDEX_SETTLING`). */
  mergeSteps: number;
  replaced: boolean;
}

/** How far the search and tag indexes are built over the rows stored before v6, and the v10 search index. */
export interface SqliteIndexBuild {
  /** Rowids indexed so far, of `totalRowids` (the rows stored before the migration, by rowid range). */
  doneRowids: number;
  totalRowids: number;
  /** The v10 search index's build, as the v6 one's, over the rows stored before v10. */
  searchIndex: { doneRowids: number; totalRowids: number };
  /** Every step done: the case-insensitive and order indexes, and the v10 search index built, settled and in place. */
  complete: boolean;
}

/** The generation table's DDL (with its indexes), for benchmarks that compare against a raw insert. */
export const SQLITE_GENERATIONS_DDL =
  SCHEMA_V1.slice(0, SCHEMA_V1.indexOf('CREATE TABLE genspan_spans')) + SCHEMA_V2 + SCHEMA_V4 + SCHEMA_V6;
/** The steps and traces tables' DDL (with their indexes), for the benchmarks' lower bound of a corpus with steps. */
export const SQLITE_STEP_TABLES_DDL = SCHEMA_V5.slice(0, SCHEMA_V5.indexOf('CREATE TABLE genspan_threads'));

/**
 * A time partition's tables as a new file has them, written for partition 0 (the writer renames them,
 * `inPartition`): the generations with their indexes, search index and tag index, the steps and the traces.
 */
const PARTITION_DDL: readonly string[] = [
  SCHEMA_V1.slice(0, SCHEMA_V1.indexOf('CREATE TABLE genspan_spans')) + SCHEMA_V2 + SCHEMA_V4 + GENERATION_TAGS_TABLE,
  SEARCH_INDEX('genspan_search'),
  ...INDEX_TRIGGERS(),
  SQLITE_STEP_TABLES_DDL,
  STEP_TRACE_TRIGGER,
  ...BUILT_INDEXES,
];

type SchemaState = { kind: 'empty' } | { kind: 'genspan'; version: number } | { kind: 'foreign'; reason: string };

function inspectSchema(db: Database.Database): SchemaState {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId === SQLITE_APPLICATION_ID) return { kind: 'genspan', version };
  if (applicationId !== 0) return { kind: 'foreign', reason: `it belongs to another application (application_id ${applicationId})` };
  const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map((row) => row.name);
  if (tables.length === 0 && version === 0) return { kind: 'empty' };
  const listed = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
  return { kind: 'foreign', reason: `it holds other tables (${listed || 'none'})` };
}

function incompatible(path: string, state: SchemaState): IncompatibleDatabaseError | undefined {
  if (state.kind === 'foreign') {
    return new IncompatibleDatabaseError(`${path} is not a genspan database: ${state.reason}. It was left untouched.`);
  }
  if (state.kind === 'genspan' && state.version > SQLITE_SCHEMA_VERSION) {
    return new IncompatibleDatabaseError(
      `${path} was written by a newer genspan (schema ${state.version}; this version reads up to ${SQLITE_SCHEMA_VERSION}). ` +
        'It was left untouched.',
    );
  }
  return undefined;
}

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** Looks at an existing file read-only, so a file that is not ours is never written to (not even its journal mode). */
function checkExistingFile(path: string): void {
  if (!existsSync(path)) {
    if (!existsSync(dirname(path)))
      throw new StoreError(`Cannot create the SQLite database ${path}: folder ${dirname(path)} does not exist`);
    return;
  }
  const stat = statSync(path);
  if (stat.isDirectory()) throw new StoreError(`Cannot open the SQLite database ${path}: it is a folder`);
  if (stat.size === 0) return;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreError(`Cannot open the SQLite database ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    let state: SchemaState;
    try {
      state = inspectSchema(db);
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_NOTADB') {
        throw new IncompatibleDatabaseError(`${path} is not a genspan database: it is not an SQLite file. It was left untouched.`, {
          cause: error,
        });
      }
      throw new StoreError(`Cannot open the SQLite database ${path}: ${(error as Error).message}`, { cause: error });
    }
    const problem = incompatible(path, state);
    if (problem) throw problem;
  } finally {
    db.close();
  }
}

/** Result codes (and their extended codes) that may go away by themselves: a lock, a full disk, an I/O hiccup. */
const TRANSIENT_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL'];
/** Codes the records of a write cause, and will cause again: a constraint they break, a value SQLite cannot hold. */
const RECORD_REJECTION_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG'];
/** Codes that fail every write until someone repairs the file or its permissions. */
const UNWRITABLE_CODES = ['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_AUTH'];

function hasCode(code: string, codes: readonly string[]): boolean {
  return codes.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}

/** How long the background index build waits after a failure before it tries again, doubling up to the most. */
const INDEX_BUILD_RETRY_MS = { first: 1_000, max: 60_000 } as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new StoreError(`${name} must be a whole number, 1 or more, got ${String(value)}`);
  return value;
}

function busyTimeout(value: number | undefined): number {
  if (value === undefined) return SQLITE_DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(value) || value < 0)
    throw new StoreError(`busyTimeoutMs must be a whole number of milliseconds, got ${String(value)}`);
  return value;
}

/** The list filters without the indexes of v6: what queries use while the background build has not finished. */
const scanDialect: TraceDialect = {
  placeholder: () => '?',
  tagContains: (tag, bind) => `EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ${bind(tag)})`,
  textContains: (q, bind) => `instr(search_text, ${bind(q)}) > 0`,
  textScan: (q, bind) => `instr(search_text, ${bind(q)}) > 0`,
  errorsOnly: 'is_error = 1',
  tagValues: ', json_each(s.tags)',
  sortValues: SORT_VALUES,
  generationTokens:
    "coalesce(json_extract(g.generation, '$.tokenCount'), " +
    "json_extract(g.generation, '$.inputTokenCount') + json_extract(g.generation, '$.outputTokenCount'))",
  generationTokensFrom: '',
};

/** Trigrams of one `q` looked up in the index: enough to be selective; instr checks every candidate anyway. */
const MAX_QUERY_TRIGRAMS = 16;

/**
 * The FTS5 query of `q`'s distinct trigrams, each a quoted string (FTS5 syntax taken literally) and all required;
 * empty when it has none to look up. With detail=none the index knows which rows hold each trigram, not where: the
 * rows it answers are candidates. A trigram holding NUL is left out (an FTS5 query cannot spell it).
 */
export function trigramQuery(q: string): string {
  const characters = [...q];
  const trigrams = new Set<string>();
  for (let i = 0; i + SEARCH_INDEX_MIN_LENGTH <= characters.length; i++) {
    const trigram = characters.slice(i, i + SEARCH_INDEX_MIN_LENGTH).join('');
    if (!trigram.includes('\u0000')) trigrams.add(trigram);
  }
  return [...trigrams]
    .slice(0, MAX_QUERY_TRIGRAMS)
    .map((trigram) => `"${trigram.replaceAll('"', '""')}"`)
    .join(' AND ');
}

/**
 * The list filters once the v6 indexes are built: `q` of 3 characters or more through the trigram index (a shorter
 * one has no trigram to look up, so it stays a scan, newest first, that stops once a page or a bounded count is full),
 * tags through the tag index.
 */
const indexedDialect: TraceDialect = {
  ...scanDialect,
  tagContains: (tag, bind) => `rowid IN (SELECT generation_rowid FROM genspan_generation_tags WHERE tag = ${bind(tag)})`,
  textContains: searchThrough('rowid'),
};

/** The rows of the search index holding every trigram of `q`: its candidates, as a subquery. */
function searchCandidates(q: string, bind: (value: unknown) => string): string {
  return `SELECT rowid FROM genspan_search WHERE genspan_search MATCH ${bind(trigramQuery(q))}`;
}

/**
 * `q` as its index candidates checked with instr (a `q` without a trigram stays a scan): read through the candidates
 * (`rowid`), or only tested for them (`+rowid`: the unary + keeps SQLite from reading the rows through them).
 */
function searchThrough(rowid: 'rowid' | '+rowid'): TraceDialect['textContains'] {
  return (q, bind) => {
    if (trigramQuery(q) === '') return scanDialect.textContains(q, bind);
    return `${rowid} IN (${searchCandidates(q, bind)}) AND instr(search_text, ${bind(q)}) > 0`;
  };
}

/**
 * The indexed filters for a `q` with many candidates (`SEARCH_MANY_CANDIDATES`): its candidates only tested for, so a
 * list or facet walks its own order and stops once full.
 */
const manyCandidatesDialect: TraceDialect = { ...indexedDialect, textContains: searchThrough('+rowid') };

/**
 * Inserts one generation row, leaving a row already stored for the same span as it is (writes are idempotent): the
 * benchmarks' lower bound. The store's own insert also leaves out spans merged into another generation.
 */
export const SQLITE_INSERT_GENERATION =
  `INSERT INTO genspan_generations (${GENERATION_COLUMNS.join(', ')}) ` +
  `VALUES (${GENERATION_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;

/** A generation's span whose step says it was merged into another generation: its record is not listed again. */
const MERGED_STEP = 'SELECT 1 FROM genspan_steps WHERE trace_id = ? AND span_id = ? AND merged_generation IS NOT NULL';

/** Indexes into `WRITE_STATEMENTS`, the statements every write runs (on the writer's connection). */
const WRITE = {
  generation: 0,
  span: 1,
  log: 2,
  update: 3,
  experiment: 4,
  experimentStatus: 5,
  experimentResult: 6,
  step: 7,
  threadTimes: 8,
  traceThread: 9,
  thread: 10,
  mergeStep: 11,
  mergeDelete: 12,
  buildSearch: 13,
  buildTags: 14,
  buildProgress: 15,
  buildComplete: 16,
  /** The first of `BUILT_INDEXES`, in order. */
  caseInsensitiveIndexes: 17,
} as const;

/** The rowids of the background build's next chunk, of at most `?` rowids, for generations `g`. */
const BUILD_CHUNK = `FROM genspan_index_build AS b JOIN genspan_generations AS g
   ON g.rowid > b.done_rowid AND g.rowid <= min(b.done_rowid + ?, b.end_rowid)`;
/**
 * Retention's write statements, by name, after the others in `WRITE_STATEMENTS` (`PRUNE` gives their indexes). By
 * trace: what started before the cutoff, then what no step or generation holds any more; then generations without a
 * trace, by span; log records of no span; and the incremental vacuum, each step of which gives back one page (the
 * writer steps each op once: one op per page).
 */
const PRUNE_STATEMENTS = {
  generations: 'DELETE FROM genspan_generations WHERE trace_id = ? AND start_ms < ?',
  steps: 'DELETE FROM genspan_steps WHERE trace_id = ? AND start_ms < ?',
  spans: `DELETE FROM genspan_spans WHERE trace_id = ? AND ${unclaimed('genspan_spans')}`,
  logs: `DELETE FROM genspan_logs WHERE trace_id = ? AND ${unclaimed('genspan_logs')}`,
  trace: `DELETE FROM genspan_traces WHERE trace_id = ?
     AND NOT EXISTS (SELECT 1 FROM genspan_steps s WHERE s.trace_id = genspan_traces.trace_id)`,
  thread: `DELETE FROM genspan_threads WHERE id = ?
     AND ${EVERY_PARTITION}NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.thread_id = genspan_threads.id)${EVERY_PARTITION}`,
  // Named: the thread is read in each partition, as many times as there are. Each partition's earliest is one seek of
  // its thread index; the earliest of all of a long thread's traces read together would be all of them.
  threadStart: `UPDATE genspan_threads SET start_ms = s.start_ms FROM (SELECT min(start_ms) AS start_ms FROM
       (${EACH_PARTITION}SELECT min(t.start_ms) AS start_ms FROM genspan_traces t WHERE t.thread_id = @thread${EACH_PARTITION})) AS s
     WHERE id = @thread AND s.start_ms IS NOT NULL`,
  generation: 'DELETE FROM genspan_generations WHERE trace_id = ? AND span_id = ? AND start_ms < ?',
  span: `DELETE FROM genspan_spans WHERE trace_id = ? AND span_id = ? AND ${unclaimed('genspan_spans')}`,
  spanLogs: `DELETE FROM genspan_logs WHERE trace_id = ? AND span_id = ? AND ${unclaimed('genspan_logs')}`,
  log: `DELETE FROM genspan_logs WHERE seq = ? AND ${unclaimed('genspan_logs')}
     AND ${EVERY_PARTITION}NOT EXISTS (SELECT 1 FROM genspan_traces t WHERE t.trace_id = genspan_logs.trace_id)${EVERY_PARTITION}`,
  reclaimPage: 'PRAGMA incremental_vacuum',
  dropOldestPartition: DROP_OLDEST_IF_EMPTY,
  pruning: 'INSERT INTO genspan_pruning (id) VALUES (1)',
  pruned: 'DELETE FROM genspan_pruning',
} as const;
const PRUNE_FIRST = WRITE.caseInsensitiveIndexes + BUILT_INDEXES.length;
const PRUNE = Object.fromEntries(Object.keys(PRUNE_STATEMENTS).map((name, index) => [name, PRUNE_FIRST + index])) as Record<
  keyof typeof PRUNE_STATEMENTS,
  number
>;

/**
 * The v10 build: a chunk of at most `?` rowids into the new search index, and its progress (the last chunk sets the
 * settling's budget, `SEARCH_INDEX_SETTLING`); a settling step, and its count.
 */
const SEARCH_BUILD_STATEMENTS = [
  `INSERT INTO genspan_search_next (rowid, search_text) SELECT g.rowid, g.search_text FROM genspan_search_build AS b
   JOIN genspan_generations AS g ON g.rowid > b.done_rowid AND g.rowid <= min(b.done_rowid + ?, b.end_rowid)`,
  `UPDATE genspan_search_build SET done_rowid = min(done_rowid + ?, end_rowid), merge_steps = iif(done_rowid + ? >= end_rowid,
     end_rowid / ${SEARCH_INDEX_SETTLING.rowsPerStep} + ${SEARCH_INDEX_SETTLING.minimumSteps}, 0)`,
  `INSERT INTO genspan_search_next (genspan_search_next, rank) VALUES ('merge', ${SEARCH_INDEX_SETTLING.pagesPerStep})`,
  'UPDATE genspan_search_build SET merge_steps = merge_steps - 1',
];
/** Indexes into `WRITE_STATEMENTS` of the v10 build's statements, then of `SEARCH_INDEX_REPLACE` in order. */
const SEARCH_BUILD_FIRST = PRUNE_FIRST + Object.keys(PRUNE_STATEMENTS).length;
const SEARCH_BUILD = {
  chunk: SEARCH_BUILD_FIRST,
  progress: SEARCH_BUILD_FIRST + 1,
  merge: SEARCH_BUILD_FIRST + 2,
  mergeCount: SEARCH_BUILD_FIRST + 3,
  replace: SEARCH_BUILD_FIRST + SEARCH_BUILD_STATEMENTS.length,
} as const;

const WRITE_STATEMENTS: readonly string[] = [
  `INSERT INTO genspan_generations (${GENERATION_COLUMNS.join(', ')}) SELECT ${GENERATION_COLUMNS.map(() => '?').join(', ')} ` +
    `WHERE NOT EXISTS (${MERGED_STEP}) ON CONFLICT DO NOTHING`,
  `INSERT INTO genspan_spans (trace_id, span_id, span) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  `INSERT INTO genspan_logs (key, trace_id, span_id, time_unix_nano, record) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  `UPDATE genspan_generations SET generation = ?, source = ?, warnings = ?, model = ?, provider = ?, tags = ?,
     search_text = ?, cost = ?, cost_total = ?, is_error = CASE WHEN status_code = ${StatusCode.ERROR} OR ? THEN 1 ELSE 0 END
   WHERE trace_id = ? AND span_id = ?`,
  'INSERT INTO genspan_experiments (id, created_ms, status, definition) VALUES (?, ?, ?, ?)',
  'UPDATE genspan_experiments SET status = ?, error = ? WHERE id = ?',
  `INSERT INTO genspan_experiment_results (${EXPERIMENT_RESULT_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  `INSERT INTO genspan_steps (${STEP_COLUMNS.join(', ')}) VALUES (${STEP_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
  // A trace already in a thread widens the thread's span as it does its own (the batch's trace ids as a JSON array).
  `UPDATE genspan_threads SET start_ms = min(genspan_threads.start_ms, t.start_ms), end_ms = max(genspan_threads.end_ms, t.end_ms)
     FROM (SELECT thread_id, min(start_ms) AS start_ms, max(end_ms) AS end_ms FROM genspan_traces
           WHERE trace_id IN (SELECT value FROM json_each(?)) AND thread_id IS NOT NULL GROUP BY thread_id) AS t
   WHERE genspan_threads.id = t.thread_id AND (t.start_ms < genspan_threads.start_ms OR t.end_ms > genspan_threads.end_ms)`,
  // A trace's thread is kept once known.
  'UPDATE genspan_traces SET thread_id = ? WHERE trace_id = ? AND thread_id IS NULL',
  `INSERT INTO genspan_threads (id, name, user_id, start_ms, end_ms)
     SELECT thread_id, ?, ?, start_ms, end_ms FROM genspan_traces WHERE trace_id = ? AND thread_id = ?
   ON CONFLICT (id) DO UPDATE SET name = coalesce(genspan_threads.name, excluded.name),
     user_id = coalesce(genspan_threads.user_id, excluded.user_id), start_ms = min(genspan_threads.start_ms, excluded.start_ms),
     end_ms = max(genspan_threads.end_ms, excluded.end_ms)`,
  'UPDATE genspan_steps SET merged_generation = ?, generation_id = ? WHERE trace_id = ? AND span_id = ?',
  // Only once its step holds the record, so a merge never loses one.
  `DELETE FROM genspan_generations WHERE trace_id = ? AND span_id = ? AND EXISTS (${MERGED_STEP})`,
  `INSERT INTO genspan_search (rowid, search_text) SELECT g.rowid, g.search_text ${BUILD_CHUNK}`,
  `INSERT OR IGNORE INTO genspan_generation_tags (tag, generation_rowid) SELECT j.value, g.rowid ${BUILD_CHUNK}, json_each(g.tags) AS j`,
  'UPDATE genspan_index_build SET done_rowid = min(done_rowid + ?, end_rowid)',
  'UPDATE genspan_index_build SET complete = 1 WHERE done_rowid >= end_rowid',
  ...BUILT_INDEXES,
  ...Object.values(PRUNE_STATEMENTS),
  ...SEARCH_BUILD_STATEMENTS,
  ...SEARCH_INDEX_REPLACE,
];

const NO_SPANS: ReadonlyMap<string, NormalizedSpan> = new Map();

/** The partitions, newest first. */
const SELECT_PARTITIONS = 'SELECT id, from_ms FROM genspan_partitions ORDER BY from_ms DESC';
/** All the traces' steps in one statement (the trace ids as a JSON array): a batch asks for a few hundred traces. */
const SELECT_STEP_LINKS =
  'SELECT trace_id, span_id, parent_span_id, type, generation_id FROM genspan_steps WHERE trace_id IN (SELECT value FROM json_each(?))';
const SELECT_MERGED = 'SELECT merged_generation FROM genspan_steps WHERE trace_id = ? AND span_id = ? AND merged_generation IS NOT NULL';

const SELECT_GENERATION_BY_ID = `SELECT ${RECORD_COLUMNS.join(', ')} FROM genspan_generations WHERE id = ?`;
/** A page of the export, after a (start_ms, id) position. */
const SELECT_EXPORT_PAGE = `SELECT ${RECORD_COLUMNS.join(', ')} FROM genspan_generations WHERE (start_ms, id) > (?, ?)
  ORDER BY start_ms, id LIMIT ${EXPORT_PAGE_SIZE}`;

function rowValues(row: GenerationRow): unknown[] {
  return GENERATION_COLUMNS.map((column) => (column === 'is_error' ? (row.is_error ? 1 : 0) : row[column]));
}

/** Replaces a stored record's generation, source, warnings and cost, and the values the filters read from them. */
function updateOp(record: GenerationRecord): SqliteWriteOp {
  const facets = generationFacets(storedRecord(record));
  return [
    WRITE.update,
    [
      facets.generation,
      facets.source,
      facets.warnings,
      facets.model,
      facets.provider,
      facets.tags,
      facets.search_text,
      facets.cost,
      facets.cost_total,
      facets.generationError ? 1 : 0,
      record.traceId.toLowerCase(),
      record.spanId.toLowerCase(),
    ],
    startMillis(record),
  ];
}

/** A trace's summary rows of two partitions as one: the older one's root, the counts added up. */
function addTraceRows(older: TraceSummaryRow | undefined, newer: TraceSummaryRow): TraceSummaryRow {
  if (!older) return newer;
  const tokens = older.tokens === null && newer.tokens === null ? null : Number(older.tokens ?? 0) + Number(newer.tokens ?? 0);
  return {
    ...older,
    thread_id: older.thread_id ?? newer.thread_id,
    start_ms: Math.min(Number(older.start_ms), Number(newer.start_ms)),
    end_ms: Math.max(Number(older.end_ms), Number(newer.end_ms)),
    steps: Number(older.steps) + Number(newer.steps),
    step_errors: Number(older.step_errors) + Number(newer.step_errors),
    generations: Number(older.generations) + Number(newer.generations),
    generation_errors: Number(older.generation_errors) + Number(newer.generation_errors),
    tokens,
  };
}

/** A trace retention's selection takes. */
interface PruneTrace {
  trace_id: string;
  thread_id: string | null;
  start_ms: number;
}

/** A generation without a trace retention's selection takes. */
interface PruneGeneration {
  trace_id: string;
  span_id: string;
  start_ms: number;
}

/** The list's time order: newest first, then id descending. */
function newestFirst(a: ListRow, b: ListRow): number {
  const byTime = Number(b.start_ms) - Number(a.start_ms);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A value order's comparison of list rows holding the value: by it (descending or not), equal values newest first. */
function valueOrder(descending: boolean): (a: ListRow, b: ListRow) => number {
  return (a, b) => {
    const byValue = Number(a.sort_value) - Number(b.sort_value);
    if (byValue !== 0) return descending ? -byValue : byValue;
    return newestFirst(a, b);
  };
}

/** A batch's steps (insert-or-ignore), then its traces' times, then what it says of threads. */
function* stepOps(batch: StepBatch): Generator<SqliteWriteOp> {
  const rows = batch.steps.map(toStepRow);
  // Each step's insert keeps its trace's row in its partition (`STEP_TRACE_TRIGGER`).
  for (const row of rows) yield [WRITE.step, STEP_COLUMNS.map((column) => row[column]), row.start_ms];
  const starts = new Map<string, number>();
  for (const trace of batchTraceTimes(rows)) {
    starts.set(trace.traceId, trace.startMs);
    yield [WRITE.threadTimes, [JSON.stringify([trace.traceId])], trace.startMs];
  }
  for (const thread of batchThreads(batch.threads)) {
    // A trace with no step in the batch (a library caller naming its thread later) has its rows found where they are.
    const startMs = starts.get(thread.traceId) ?? null;
    yield [WRITE.traceThread, [thread.threadId, thread.traceId], startMs];
    yield [WRITE.thread, [thread.threadName, thread.userId, thread.traceId, thread.threadId], startMs];
  }
}

/**
 * The embedded playground store: one SQLite file (WAL), one transaction per batch, idempotent on (traceId, spanId).
 * better-sqlite3 is synchronous. Reads run at once on the calling thread (WAL lets them go on beside a write);
 * writes run on a thread of their own with its own connection, so the calling thread only builds the rows and an
 * app's event loop never waits for a lock or the disk (an in-memory database is written on the calling thread).
 */
export class SqliteStore implements PlaygroundStore, RetentionStore {
  readonly path: string;
  private db: Database.Database | null;
  private readonly writer: SqliteWriter;
  private readonly reader: SqliteReader;
  private readonly selectSpan: Database.Statement;
  private readonly selectLogs: Database.Statement;
  /** Statements of the store's own connection over the partitions, by SQL text (`cachedStatement`). */
  private readonly partitionStatements = new Map<string, Database.Statement>();
  private readonly selectIndexBuild: Database.Statement;
  /** The statements that open and end `readBuilds`' snapshot on the store's own connection. */
  private readonly snapshotStatements = new Map<string, Database.Statement>();
  private readonly exactCountBound: number;
  /** Once the search and tag indexes cover every row, for good; read from the file until then. */
  private indexesReady = false;
  private readonly indexBuilding: Promise<void>;

  constructor(options: SqliteStoreOptions = {}) {
    const path = options.path ?? DEFAULT_DATABASE_PATH;
    const inMemory = path === ':memory:';
    this.path = inMemory ? path : resolve(path);
    const busyTimeoutMs = busyTimeout(options.busyTimeoutMs);
    this.exactCountBound = positiveInteger('exactCountBound', options.exactCountBound ?? LIST_TOTAL_EXACT_BOUND);
    const chunkRows = positiveInteger('indexBuildChunkRows', options.indexBuildChunkRows ?? SQLITE_INDEX_BUILD_CHUNK_ROWS);
    const partitions = { ddl: PARTITION_DDL, rows: positiveInteger('partitionRows', options.partitionRows ?? PARTITION_ROWS) };
    if (!inMemory) checkExistingFile(this.path);
    let db: Database.Database;
    try {
      db = new Database(this.path, { timeout: Math.max(busyTimeoutMs, OPEN_BUSY_TIMEOUT_MS) });
    } catch (error) {
      throw new StoreError(`Cannot open the SQLite database ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      // A new file gives deleted space back (`reclaimSpace`); this must come before WAL and the first table.
      if (!inMemory && db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
      if (!inMemory) db.pragma('journal_mode = WAL');
      for (const pragma of SQLITE_CONNECTION_PRAGMAS) db.pragma(pragma);
      this.ensureSchema(db);
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    } catch (error) {
      db.close();
      throw this.describe(error);
    }
    this.db = db;
    this.writer = inMemory
      ? new InlineSqliteWriter(db, WRITE_STATEMENTS, partitions, options.clock)
      : new ThreadSqliteWriter(
          { path: this.path, busyTimeoutMs, pragmas: SQLITE_WRITE_THREAD_PRAGMAS, statements: WRITE_STATEMENTS, partitions },
          options.clock,
        );
    this.reader = inMemory
      ? new InlineSqliteReader(db)
      : new ThreadSqliteReader({ path: this.path, busyTimeoutMs, pragmas: SQLITE_READ_THREAD_PRAGMAS });
    this.selectSpan = db.prepare(`SELECT span FROM genspan_spans WHERE trace_id = ? AND span_id = ?`);
    this.selectLogs = db.prepare(`SELECT record FROM genspan_logs WHERE trace_id = ? AND span_id = ? ORDER BY time_unix_nano, seq`);
    this.selectIndexBuild = db.prepare(
      `SELECT b.done_rowid, b.end_rowid, b.complete,
         s.done_rowid AS search_done_rowid, s.end_rowid AS search_end_rowid, s.merge_steps, s.replaced
       FROM genspan_index_build AS b, genspan_search_build AS s`,
    );
    this.indexBuilding = this.buildIndexes(chunkRows);
  }

  /**
   * Indexes the rows stored before v6, a chunk per transaction through the writer, so ingestion goes on between
   * chunks; then builds the case-insensitive indexes and marks the build complete. The progress lives in the file:
   * a store opened later (or another process) continues where this one stopped. Failures are reported and retried.
   */
  private async buildIndexes(chunkRows: number): Promise<void> {
    let retryMs: number = INDEX_BUILD_RETRY_MS.first;
    while (this.db) {
      try {
        const build = this.readBuilds();
        if (build.complete) return;
        if (build.doneRowids < build.totalRowids) {
          await this.transaction([
            [WRITE.buildSearch, [chunkRows]],
            [WRITE.buildTags, [chunkRows]],
            [WRITE.buildProgress, [chunkRows]],
          ]);
        } else if (build.search.doneRowids < build.search.totalRowids) {
          await this.transaction([
            [SEARCH_BUILD.chunk, [chunkRows]],
            [SEARCH_BUILD.progress, [chunkRows, chunkRows]],
          ]);
        } else if (build.search.mergeSteps > 0) {
          await this.transaction([
            [SEARCH_BUILD.merge, []],
            [SEARCH_BUILD.mergeCount, []],
          ]);
        } else if (!build.search.replaced) {
          await this.transaction(SEARCH_INDEX_REPLACE.map((_, i): SqliteWriteOp => [SEARCH_BUILD.replace + i, []]));
        } else {
          for (let i = 0; i < BUILT_INDEXES.length; i++) await this.transaction([[WRITE.caseInsensitiveIndexes + i, []]]);
          await this.transaction([[WRITE.buildComplete, []]]);
        }
        retryMs = INDEX_BUILD_RETRY_MS.first;
      } catch (error) {
        if (!this.db || error instanceof StoreClosedError) return;
        report('warn', `genspan: building the search index of ${this.path} failed, retrying in ${retryMs} ms: ${errorMessage(error)}`);
        // Unreferenced: a build waiting to retry never keeps the process alive.
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
        retryMs = Math.min(retryMs * 2, INDEX_BUILD_RETRY_MS.max);
      }
    }
  }

  /** The v6 build's progress, and the v10 build's. */
  private readBuilds(): Omit<SqliteIndexBuild, 'searchIndex'> & { search: SearchIndexBuild } {
    const db = this.db;
    if (!db) throw new StoreClosedError(`SqliteStore ${this.path}`);
    // In a snapshot of its own, as the read threads read: another connection's schema changes (the build's own steps,
    // from another process) could otherwise fail it.
    const row = inOneSnapshot(db, this.snapshotStatements, () => this.selectIndexBuild.get()) as {
      done_rowid: number;
      end_rowid: number;
      complete: number;
      search_done_rowid: number;
      search_end_rowid: number;
      merge_steps: number;
      replaced: number;
    };
    return {
      doneRowids: row.done_rowid,
      totalRowids: row.end_rowid,
      complete: row.complete === 1,
      search: {
        doneRowids: row.search_done_rowid,
        totalRowids: row.search_end_rowid,
        mergeSteps: row.merge_steps,
        replaced: row.replaced === 1,
      },
    };
  }

  private readIndexBuild(): SqliteIndexBuild {
    const { doneRowids, totalRowids, complete, search } = this.readBuilds();
    return { doneRowids, totalRowids, searchIndex: { doneRowids: search.doneRowids, totalRowids: search.totalRowids }, complete };
  }

  /** How far the background build of the v6 indexes has come (it runs from opening until complete). */
  indexBuild(): Promise<SqliteIndexBuild> {
    return this.run(() => this.readIndexBuild());
  }

  /** Resolves once the background index build is complete, or has stopped because the store was closed. */
  indexesBuilt(): Promise<void> {
    return this.indexBuilding;
  }

  /** The indexed filters once every row is in the search and tag indexes, the scans until then. */
  private dialect(): TraceDialect {
    if (!this.indexesReady) {
      const build = this.readIndexBuild();
      this.indexesReady = build.doneRowids >= build.totalRowids;
    }
    return this.indexesReady ? indexedDialect : scanDialect;
  }

  /**
   * Creates the schema in a new file and migrates an older genspan file, in one transaction; any other file is refused,
   * untouched.
   */
  private ensureSchema(db: Database.Database): void {
    // A current file needs no write lock, so opening it never waits for another writer.
    const current = inspectSchema(db);
    if (current.kind === 'genspan' && current.version === SQLITE_SCHEMA_VERSION) return;
    db.transaction(() => {
      const state = inspectSchema(db);
      const problem = incompatible(this.path, state);
      if (problem) throw problem;
      if (state.kind === 'genspan' && state.version === SQLITE_SCHEMA_VERSION) return;
      const from = state.kind === 'genspan' ? state.version : 0;
      for (const migration of MIGRATIONS.slice(from)) db.exec(migration);
      // A new file, or one from before v6: the v6 index was created just now and holds nothing, so the v10 one takes
      // its place at once and the v6 build fills it.
      if (from < 6) for (const statement of SEARCH_INDEX_REPLACE) db.exec(statement);
      // A file whose search index is the contentless one already: its delete trigger leaves retention's entries.
      if (
        from >= 6 &&
        from < 11 &&
        (db.prepare('SELECT replaced FROM genspan_search_build').get() as { replaced: number }).replaced === 1
      ) {
        db.exec('DROP TRIGGER genspan_generations_index_delete');
        db.exec(INDEX_DELETE_TRIGGER);
      }
      // A new file has no rows to index: its indexes are complete at once, and no background build starts.
      if (from === 0) {
        for (const statement of BUILT_INDEXES) db.exec(statement);
        db.exec('UPDATE genspan_index_build SET complete = 1');
      }
      db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
    }).immediate();
  }

  /** Sorts SQLite's failures into the store errors writers act on (retry, set records apart, give up); others pass through. */
  private describe(error: unknown): unknown {
    const code = sqliteCode(error);
    if (!code) return error;
    const detail = `(${code}): ${(error as Error).message}`;
    if (hasCode(code, TRANSIENT_CODES))
      return new StoreUnavailableError(`SQLite database ${this.path} is unavailable ${detail}`, { cause: error });
    if (hasCode(code, RECORD_REJECTION_CODES))
      return new RecordsRejectedError(`SQLite database ${this.path} rejected the records ${detail}`, { cause: error });
    if (hasCode(code, UNWRITABLE_CODES))
      return new StoreUnwritableError(`SQLite database ${this.path} cannot be used ${detail}`, { cause: error });
    return error;
  }

  private run<T>(operation: (db: Database.Database) => T): Promise<T> {
    const db = this.db;
    if (!db) return Promise.reject(new StoreClosedError(`SqliteStore ${this.path}`));
    try {
      return Promise.resolve(operation(db));
    } catch (error) {
      return Promise.reject(this.describe(error));
    }
  }

  /** Runs queries on the reader (off the event loop for a file), sorting their failures like the other reads'. */
  private read<T>(query: (reader: SqliteReader) => Promise<T>): Promise<T> {
    if (!this.db) return Promise.reject(new StoreClosedError(`SqliteStore ${this.path}`));
    return query(this.reader).catch((error: unknown) => {
      throw this.describe(error);
    });
  }

  /**
   * Resolves once the write connection is open and the file takes writes, and a read thread reads it, or rejects with
   * why not (the store's own connection opened in the constructor). Writes do not need to wait for it; it is for
   * callers who want a failure reported up front, and a server's first read then finds its thread started. SQLite
   * opens a file it may not write (immutable, on a read-only mount) read-only without a word and refuses only the
   * first write, so one page is written here and rolled back.
   */
  async ready(): Promise<void> {
    await this.run((db) => {
      // Waits for another writer's lock as long as opening does, then gives the store's own wait back.
      const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma(`busy_timeout = ${Math.max(busyTimeoutMs, OPEN_BUSY_TIMEOUT_MS)}`);
      try {
        db.exec('BEGIN IMMEDIATE');
      } finally {
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
      try {
        db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      } catch (error) {
        if (sqliteCode(error)?.startsWith('SQLITE_READONLY')) {
          throw new StoreUnwritableError(
            `SQLite database ${this.path} cannot be written: SQLite can only open it read-only. Check that the file and ` +
              'its folder are writable (and not immutable: lsattr) and that its file system is not mounted read-only',
            { cause: error },
          );
        }
        throw error;
      } finally {
        db.exec('ROLLBACK');
      }
    });
    await this.transaction([]);
    await this.read((reader) => reader.get('SELECT 1', []));
  }

  /** Runs writes through the writer, sorting its failures like the reads' (and refusing once closed). */
  private transaction(ops: Iterable<SqliteWriteOp>, held?: (ms: number) => void): Promise<number[]> {
    if (!this.db) return Promise.reject(new StoreClosedError(`SqliteStore ${this.path}`));
    return this.writer.transaction(ops, held).catch((error: unknown) => {
      throw this.describe(error);
    });
  }

  write(records: readonly GenerationRecord[], steps?: StepBatch): Promise<WriteResult> {
    return this.writeWithSpans(records, NO_SPANS, steps);
  }

  async writeWithSpans(
    records: Iterable<GenerationRecord>,
    spans: ReadonlyMap<string, NormalizedSpan>,
    steps?: StepBatch,
  ): Promise<WriteResult> {
    let count = 0;
    // Each record is built and turned into its row as the writer takes it, never all of a batch at once.
    function* ops(): Generator<SqliteWriteOp> {
      for (const record of records) {
        count++;
        const row = toRow(record);
        yield [WRITE.generation, [...rowValues(row), row.trace_id, row.span_id], row.start_ms];
        const span = spans.size > 0 ? spans.get(spanKeyString(record)) : undefined;
        if (span) yield [WRITE.span, [row.trace_id, row.span_id, encodeSpan(span)]];
      }
      // The ingest fills the step batch while it yields the records: it is complete only now.
      if (steps) yield* stepOps(steps);
    }
    const changes = await this.transaction(ops());
    return { inserted: changes[WRITE.generation], duplicates: count - changes[WRITE.generation] };
  }

  async mergeGenerations(merges: readonly GenerationMerge[]): Promise<void> {
    const ops: SqliteWriteOp[] = [];
    for (const { owner, merged } of merges) {
      ops.push(updateOp(owner));
      for (const record of merged) {
        const key = [record.traceId.toLowerCase(), record.spanId.toLowerCase()];
        const startMs = startMillis(record);
        ops.push([WRITE.mergeStep, [mergedGenerationJson(record), owner.id, ...key], startMs]);
        ops.push([WRITE.mergeDelete, [...key, ...key], startMs]);
      }
    }
    await this.transaction(ops);
  }

  /**
   * Runs `work` on the store's own connection in one snapshot with the partitions it sees (newest first), and a
   * statement of partition 0's renamed for any of them.
   */
  private overPartitions<T>(
    work: (partitions: Partition[], statement: (sql: string, partition: number) => Database.Statement) => T,
  ): Promise<T> {
    return this.run((db) =>
      inOneSnapshot(db, this.snapshotStatements, () => {
        const rows = cachedStatement(db, this.partitionStatements, SELECT_PARTITIONS).all() as { id: number; from_ms: number }[];
        const partitions = rows.map((row): Partition => ({ id: row.id, fromMs: row.from_ms }));
        const statement = (sql: string, partition: number) =>
          cachedStatement(db, this.partitionStatements, partitionSql(sql, partition, partitions));
        return work(partitions, statement);
      }),
    );
  }

  stepLinks(traceIds: readonly string[]): Promise<Map<string, StepLink[]>> {
    if (traceIds.length === 0) return Promise.resolve(new Map());
    return this.overPartitions((partitions, statement) => {
      const found = new Map<string, StepLink[]>();
      const names = new Map<string, string>();
      for (const traceId of traceIds) names.set(traceId.toLowerCase(), traceId);
      const ids = JSON.stringify([...names.keys()]);
      for (const { id: partition } of partitions) {
        for (const row of statement(SELECT_STEP_LINKS, partition).all(ids) as (StepLinkRow & { trace_id: string })[]) {
          const name = names.get(row.trace_id) as string;
          const links = found.get(name);
          if (links) links.push(stepLinkFromRow(row));
          else found.set(name, [stepLinkFromRow(row)]);
        }
      }
      return found;
    });
  }

  mergedRecords(keys: readonly SpanKey[]): Promise<Map<string, GenerationRecord>> {
    return this.overPartitions((partitions, statement) => {
      const found = new Map<string, GenerationRecord>();
      for (const key of keys) {
        for (const { id: partition } of partitions) {
          const row = statement(SELECT_MERGED, partition).get(key.traceId.toLowerCase(), key.spanId.toLowerCase()) as
            | { merged_generation: string }
            | undefined;
          if (!row) continue;
          found.set(spanKeyString(key), JSON.parse(row.merged_generation) as GenerationRecord);
          break;
        }
      }
      return found;
    });
  }

  async writeLogs(records: readonly NormalizedLogRecord[]): Promise<void> {
    const rows = toLogRows(records);
    await this.transaction(
      rows.map((row): SqliteWriteOp => [WRITE.log, [row.key, row.trace_id, row.span_id, row.time_unix_nano, row.record]]),
    );
  }

  logsFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedLogRecord[]>> {
    return this.run(() => {
      const found = new Map<string, NormalizedLogRecord[]>();
      for (const key of keys) {
        const rows = this.selectLogs.all(key.traceId.toLowerCase(), key.spanId.toLowerCase()) as { record: string }[];
        if (rows.length > 0)
          found.set(
            spanKeyString(key),
            rows.map((row) => decodeLog(row.record)),
          );
      }
      return found;
    });
  }

  spansFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedSpan>> {
    return this.run(() => {
      const found = new Map<string, NormalizedSpan>();
      for (const key of keys) {
        const row = this.selectSpan.get(key.traceId.toLowerCase(), key.spanId.toLowerCase()) as { span: string } | undefined;
        if (row) found.set(spanKeyString(key), decodeSpan(row.span));
      }
      return found;
    });
  }

  async updateGenerations(records: readonly GenerationRecord[]): Promise<void> {
    await this.transaction(records.map(updateOp));
  }

  /** The time partitions as a read sees them, newest first (sqlite-partitions.js). */
  private async partitions(reader: SqliteReader): Promise<number[]> {
    return (await reader.all<{ id: number }>(SELECT_PARTITIONS, [])).map((row) => row.id);
  }

  get(id: string): Promise<GenerationRecord | undefined> {
    return this.read(async (reader) => {
      for (const partition of await this.partitions(reader)) {
        const row = await reader.get<RecordColumns>(inPartition(SELECT_GENERATION_BY_ID, partition), [id]);
        if (row) return fromRow(row);
      }
      return undefined;
    });
  }

  /**
   * A page read part by part (`listParts`), each part partition by partition: the time order newest partition first
   * until the part has what the page lacks (partitions split by start time never overlap), a value order as each
   * partition's first rows merged.
   */
  list(filter: ListFilter = {}): Promise<ListPage> {
    return this.read(async (reader) => {
      const normalized = normalizeFilter(filter);
      const dialect = this.dialect();
      const partitions = await this.partitions(reader);
      const probes = dialect === indexedDialect ? searchProbeParts(normalized, dialect) : undefined;
      // With q, the parts each partition reads past many candidates (null: few), asked once a probe has not filled.
      let walked: (ListPart[] | null)[] | undefined;
      const order = listSortValue(normalized.sort);
      const rows: ListRow[] = [];
      for (const [index, part] of listParts(normalized, dialect).entries()) {
        const need = normalized.limit + 1 - rows.length;
        if (need <= 0) break;
        const sorted = part.orderBy === NEWEST_FIRST || !order ? newestFirst : valueOrder(order.descending);
        if (probes) {
          // The probe (the newest rows, scanned for q) in the newest partition only: a common word fills the page from
          // it, and a rare one, which it cannot find, would cost each older partition a scan for nothing.
          const probed = await this.readParts(reader, [[probes[index], partitions[0]]], need);
          if (probed.length === need) {
            rows.push(...probed);
            continue;
          }
          walked ??= await this.walkedParts(reader, normalized, partitions);
          const parts = partitions.map((partition, at): [ListPart, number] => [walked?.[at]?.[index] ?? part, partition]);
          rows.push(...(await this.readParts(reader, parts, need)).sort(sorted).slice(0, need));
          continue;
        }
        if (sorted === newestFirst) {
          for (const partition of partitions) {
            const lacking = normalized.limit + 1 - rows.length;
            if (lacking <= 0) break;
            rows.push(...(await this.readParts(reader, [[part, partition]], lacking)));
          }
          continue;
        }
        const parts = partitions.map((partition): [ListPart, number] => [part, partition]);
        rows.push(...(await this.readParts(reader, parts, need)).sort(sorted).slice(0, need));
      }
      return pageFrom(rows, normalized.limit, normalized.sort);
    });
  }

  /** Each part's first `need` rows in its partition, in one statement: one round trip to the read thread. */
  private readParts(reader: SqliteReader, parts: readonly [ListPart, number][], need: number): Promise<ListRow[]> {
    const arms = parts.map(([part, partition]) =>
      inPartition(`SELECT * FROM (SELECT ${part.select} FROM ${part.from} ${part.where} ORDER BY ${part.orderBy} LIMIT ?)`, partition),
    );
    return reader.all<ListRow>(
      arms.join(' UNION ALL '),
      parts.flatMap(([part]) => [...part.params, need]),
    );
  }

  /**
   * For each partition, the list's parts that walk their order testing rows for being candidates, when its search
   * index holds more than `SEARCH_MANY_CANDIDATES` for `q` (null: fewer, read through them); counted in one statement.
   */
  private async walkedParts(
    reader: SqliteReader,
    normalized: NormalizedFilter,
    partitions: readonly number[],
  ): Promise<(ListPart[] | null)[]> {
    const q = normalized.q;
    if (q === undefined || trigramQuery(q) === '') return partitions.map(() => null);
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return '?';
    };
    const counts = partitions.map((partition, at) => {
      const count = `(SELECT count(*) FROM (${searchCandidates(q, bind)} LIMIT ${bind(SEARCH_MANY_CANDIDATES + 1)}))`;
      return `${inPartition(count, partition)} AS c${at}`;
    });
    const row = await reader.get<Record<string, number>>(`SELECT ${counts.join(', ')}`, params);
    const walking = listParts(normalized, manyCandidatesDialect);
    return partitions.map((_, at) => ((row?.[`c${at}`] ?? 0) > SEARCH_MANY_CANDIDATES ? walking : null));
  }

  count(filter: ListFilter = {}): Promise<ListTotal> {
    return this.read(async (reader) => {
      const partitions = await this.partitions(reader);
      const dialect = (await this.searchMatches(reader, filter, partitions[0])) >= SEARCH_DENSE_MATCHES ? scanDialect : this.dialect();
      return this.boundedCount(reader, filter, this.exactCountBound, dialect, partitions);
    });
  }

  /**
   * Partition by partition, newest first, each counted up to what the bound leaves. SQLite has no row estimate to
   * offer: past the bound the count says "more than the bound" (bound + 1).
   */
  private async boundedCount(
    reader: SqliteReader,
    filter: ListFilter,
    bound: number,
    dialect: TraceDialect,
    partitions: readonly number[],
  ): Promise<ListTotal> {
    const query = boundedCountQuery(filter, dialect, bound);
    const params = query.params.slice(0, -1);
    let n = 0;
    for (const partition of partitions) {
      if (n > bound) break;
      const row = await reader.get<{ n: number }>(inPartition(query.sql, partition), [...params, bound + 1 - n]);
      n += row?.n ?? 0;
    }
    return { count: n, exact: n <= bound };
  }

  /**
   * The values among the newest `FACET_LIMITS.rows` generations the filter matches, partition by partition, newest
   * first: each partition's values among what the budget leaves, counted together.
   */
  facets(field: FacetField, filter: ListFilter = {}): Promise<FacetList> {
    return this.read(async (reader) => {
      const matching = facetFilter(field, filter);
      const partitions = await this.partitions(reader);
      const indexed = this.dialect();
      const dialect =
        (await this.searchMatches(reader, matching, partitions[0])) >= SEARCH_COMMON_MATCHES
          ? scanDialect
          : indexed === indexedDialect && (await this.manyCandidates(reader, matching.q, partitions[0]))
            ? manyCandidatesDialect
            : indexed;
      const query = facetQuery(field, filter, dialect);
      const sampled = boundedCountQuery(matching, dialect, 0);
      const counts = new Map<string, number>();
      let left = FACET_LIMITS.rows;
      let exact = true;
      for (const partition of partitions) {
        // The partition's matches, up to one past what is left: one past says the sample ends in it.
        const row = await reader.get<{ n: number }>(inPartition(sampled.sql, partition), [...sampled.params.slice(0, -1), left + 1]);
        const matches = row?.n ?? 0;
        const taken = Math.min(matches, left);
        if (taken > 0) {
          const rows = await reader.all<{ value: string; n: number }>(inPartition(query.sql, partition), [
            ...query.params.slice(0, -2),
            taken,
            -1,
          ]);
          for (const { value, n } of rows) counts.set(value, (counts.get(value) ?? 0) + n);
          left -= taken;
        }
        if (matches > taken) {
          exact = false;
          break;
        }
      }
      const values = [...counts]
        .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, FACET_LIMITS.values)
        .map(([value, count]) => ({ value, count }));
      return { field, values, exact };
    });
  }

  /**
   * How many of the newest `SEARCH_PROBE_ROWS` rows the other filters match in a partition (the newest) hold the
   * filter's `q` (0 without one): a word found in at least `SEARCH_COMMON_MATCHES` of them is common. Its index
   * entries are many (reading them all costs more than a scan newest first, which soon has what it needs).
   */
  private async searchMatches(reader: SqliteReader, filter: ListFilter, partition: number): Promise<number> {
    const normalized = normalizeFilter({ ...filter, cursor: undefined, sort: undefined });
    const probe = searchProbeParts(normalized, scanDialect)?.[0];
    if (!probe) return 0;
    const row = await reader.get<{ n: number }>(
      inPartition(`SELECT count(*) AS n FROM ${probe.from} ${probe.where}`, partition),
      probe.params,
    );
    return row?.n ?? 0;
  }

  /** Whether a partition's search index holds more than `SEARCH_MANY_CANDIDATES` candidates for `q` (counted up to one more). */
  private async manyCandidates(reader: SqliteReader, q: string | undefined, partition: number): Promise<boolean> {
    if (q === undefined || trigramQuery(q) === '') return false;
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return '?';
    };
    const sql = `SELECT count(*) AS n FROM (${searchCandidates(q, bind)} LIMIT ${bind(SEARCH_MANY_CANDIDATES + 1)})`;
    const row = await reader.get<{ n: number }>(inPartition(sql, partition), params);
    return (row?.n ?? 0) > SEARCH_MANY_CANDIDATES;
  }

  getTrace(traceId: string): Promise<TraceDetail | undefined> {
    return this.read(async (reader) => {
      const id = traceId.toLowerCase();
      const partitions = await this.partitions(reader);
      // Oldest partition first: they split by start time, so their rows follow one another in start order.
      const rows: StoredStepRow[] = [];
      for (const partition of [...partitions].reverse())
        rows.push(...(await reader.all<StoredStepRow>(inPartition(SELECT_TRACE_STEPS('?'), partition), [id])));
      if (rows.length === 0) return undefined;
      return { traceId: id, threadId: await this.traceThread(reader, partitions, id), steps: treeOrder(rows.map(fromStepRow)) };
    });
  }

  /**
   * Each partition's newest traces that match, then the page's traces whole: a trace has a row in each partition
   * holding its steps (two only when they straddle the moment one opened), and its summary adds them up.
   */
  listTraces(filter: ListFilter = {}): Promise<TraceList> {
    return this.read(async (reader) => {
      const dialect = this.dialect();
      const query = traceListWhere(filter, dialect);
      const partitions = await this.partitions(reader);
      const starts = new Map<string, number>();
      for (const partition of partitions) {
        const sql = inPartition(listTracesSql(dialect, query.where, '?'), partition);
        for (const row of await reader.all<TraceSummaryRow>(sql, [...query.params, query.limit + 1]))
          starts.set(row.trace_id, Math.min(Number(row.start_ms), starts.get(row.trace_id) ?? Number.POSITIVE_INFINITY));
      }
      const page = [...starts]
        .sort(([a, aMs], [b, bMs]) => bMs - aMs || (a < b ? 1 : a > b ? -1 : 0))
        .slice(0, query.limit + 1)
        .map(([traceId]) => traceId);
      const whole = new Map<string, TraceSummaryRow>();
      const sql = `${traceSummarySelect(dialect)} WHERE t.trace_id IN (SELECT value FROM json_each(?))`;
      for (const partition of [...partitions].reverse()) {
        for (const row of await reader.all<TraceSummaryRow>(inPartition(sql, partition), [JSON.stringify(page)]))
          whole.set(row.trace_id, addTraceRows(whole.get(row.trace_id), row));
      }
      const rows = page.map((traceId) => whole.get(traceId) as TraceSummaryRow);
      const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
      return {
        items: rows.slice(0, query.limit).map(traceSummaryFromRow),
        nextCursor: last ? encodePageCursor('traces', { ms: Number(last.start_ms), id: last.trace_id }) : null,
      };
    });
  }

  /** The page of threads (one table), their traces counted and named over every partition's. */
  listThreads(filter: ThreadFilter = {}): Promise<ThreadList> {
    return this.read(async (reader) => {
      const query = threadListQuery(filter, scanDialect.placeholder);
      const catalog = (await this.partitions(reader)).map((id) => ({ id }));
      const rows = await reader.all<ThreadSummaryRow>(partitionSql(query.sql, 0, catalog), query.params);
      const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
      return {
        items: rows.slice(0, query.limit).map(threadSummaryFromRow),
        nextCursor: last ? encodePageCursor('threads', { ms: Number(last.end_ms), id: last.id }) : null,
      };
    });
  }

  getThread(id: string): Promise<ThreadDetail | undefined> {
    return this.read(async (reader) => {
      const thread = await reader.get<Omit<ThreadSummaryRow, 'traces'>>(SELECT_THREAD('?'), [id]);
      if (!thread) return undefined;
      // Oldest partition first: a trace's first row there holds its root step, a later one only widens its end.
      const byTrace = new Map<string, ThreadTurnRow>();
      for (const partition of (await this.partitions(reader)).reverse()) {
        for (const row of await reader.all<ThreadTurnRow>(inPartition(SELECT_THREAD_TURNS('?'), partition), [id])) {
          const first = byTrace.get(row.trace_id);
          byTrace.set(row.trace_id, first ? { ...first, end_ms: Math.max(Number(first.end_ms), Number(row.end_ms)) } : row);
        }
      }
      const turns = [...byTrace.values()].map(threadTurnFromRow);
      const { traces: _count, ...summary } = threadSummaryFromRow({ ...thread, traces: turns.length });
      return { ...summary, name: thread.name ?? turns[0]?.input ?? null, traces: turns };
    });
  }

  threadOfTrace(traceId: string): Promise<string | null> {
    return this.read(async (reader) => this.traceThread(reader, await this.partitions(reader), traceId.toLowerCase()));
  }

  /** A trace's thread, as any of its rows (one a partition holding its steps) knows it. */
  private async traceThread(reader: SqliteReader, partitions: readonly number[], traceId: string): Promise<string | null> {
    for (const partition of partitions) {
      const trace = await reader.get<{ thread_id: string | null }>(inPartition(SELECT_TRACE_THREAD('?'), partition), [traceId]);
      if (trace?.thread_id) return trace.thread_id;
    }
    return null;
  }

  getMany(ids: readonly string[]): Promise<Map<string, GenerationRecord>> {
    return this.read(async (reader) => {
      const found = new Map<string, GenerationRecord>();
      const sql = `SELECT ${RECORD_COLUMNS.join(', ')} FROM genspan_generations WHERE id IN (SELECT value FROM json_each(?))`;
      for (const partition of await this.partitions(reader)) {
        for (const row of await reader.all<RecordColumns>(inPartition(sql, partition), [JSON.stringify(ids)]))
          if (!found.has(row.id)) found.set(row.id, fromRow(row));
      }
      return found;
    });
  }

  async createExperiment(definition: ExperimentDefinition, status: ExperimentStatus): Promise<void> {
    await this.transaction([[WRITE.experiment, experimentValues(definition, status)]]);
  }

  getExperiment(id: string): Promise<Experiment | undefined> {
    return this.run((db) => {
      const row = db.prepare(`${EXPERIMENT_SELECT} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
      return row ? experimentFromRow(row) : undefined;
    });
  }

  listExperiments(): Promise<Experiment[]> {
    return this.run((db) =>
      (db.prepare(`${EXPERIMENT_SELECT} ${EXPERIMENT_NEWEST_FIRST}`).all() as ExperimentRow[]).map(experimentFromRow),
    );
  }

  async setExperimentStatus(id: string, status: ExperimentStatus, error: string | null = null): Promise<void> {
    await this.transaction([[WRITE.experimentStatus, [status, error, id]]]);
  }

  async writeExperimentResult(result: ExperimentResult): Promise<boolean> {
    const { experimentId, sourceId, variant, generationId, error } = result;
    const changes = await this.transaction([[WRITE.experimentResult, [experimentId, sourceId, variant, generationId, error]]]);
    return changes[WRITE.experimentResult] > 0;
  }

  experimentResults(experimentId: string): Promise<ExperimentResult[]> {
    return this.run((db) =>
      (
        db
          .prepare(`SELECT ${EXPERIMENT_RESULT_COLUMNS} FROM genspan_experiment_results WHERE experiment_id = ?`)
          .all(experimentId) as ExperimentResultRow[]
      ).map(resultFromRow),
    );
  }

  /** The records in start order (partition by partition, oldest first), then the steps partition by partition. */
  async *exportPages(): AsyncGenerator<ExportPage> {
    const partitions = (await this.read((reader) => this.partitions(reader))).reverse();
    for (const partition of partitions) {
      let after: [number, string] = [Number.MIN_SAFE_INTEGER, ''];
      for (;;) {
        const rows = await this.read((reader) => reader.all<RecordColumns>(inPartition(SELECT_EXPORT_PAGE, partition), after));
        if (rows.length === 0) break;
        const last = rows[rows.length - 1];
        after = [Number(last.start_ms), last.id];
        yield { records: rows.map(fromRow), steps: [], threads: [] };
      }
    }
    for (const partition of partitions) {
      let afterStep: [string, string] = ['', ''];
      let previousTrace: string | undefined;
      for (;;) {
        const rows = await this.read((reader) => reader.all<StoredStepRow>(inPartition(EXPORT_STEPS('?', '?'), partition), afterStep));
        if (rows.length === 0) break;
        const traces = tracesBegun(rows, previousTrace);
        const threads = await this.read((reader) =>
          reader.all<TraceThreadRow>(inPartition(EXPORT_THREADS('(SELECT value FROM json_each(?))'), partition), [JSON.stringify(traces)]),
        );
        const last = rows[rows.length - 1];
        afterStep = [last.trace_id, last.span_id];
        previousTrace = last.trace_id;
        yield { records: [], steps: rows.map(fromStepRow), threads: threads.map(traceThreadFromRow) };
      }
    }
  }

  exportJsonl(output: Writable): Promise<number> {
    return writeJsonl(output, this.exportPages());
  }

  importJsonl(input: Readable): Promise<WriteResult> {
    return readJsonl(input, (records, steps) => this.write(records, steps));
  }

  async pruneBatch(beforeMs: number, rows: number): Promise<PruneBatch> {
    // Batches back to back keep the checkpoint thread from ever catching up at the start of a write, and SQLite
    // restarts the WAL only then: it grew until the write thread's own automatic checkpoint, whose fsyncs held one
    // batch 270–510 ms at 1,000,000 generations. Waiting for the running checkpoint lets it finish, so the next write
    // restarts the WAL (README, Retention).
    await this.writer.checkpointed();
    // Selected on the store's connection (WAL: beside the writes); only the deletes take the write lock. The oldest
    // partition with something to delete goes first; the oldest, once it holds nothing, is dropped after the batch
    // (its own transaction, which checks that again), so the run that emptied it gives its pages back.
    const selected = await this.overPartitions((partitions, statement) => {
      const prune = pruneSql('@before', '@rows', '(@before * 1000000)');
      const oldestFirst = [...partitions].reverse();
      for (const { id } of oldestFirst) {
        const traces = statement(prune.traces, id).all({ before: beforeMs, rows }) as PruneTrace[];
        const bound = orphanBound(beforeMs, traces);
        const generations = statement(prune.orphanGenerations, id).all({ before: bound, rows }) as PruneGeneration[];
        const newest = id === partitions[0].id;
        if (traces.length === 0 && generations.length === 0 && !newest) continue;
        const logs = statement(prune.orphanLogs, id).all({ before: bound, rows }) as { seq: number }[];
        // The oldest partition holds nothing (this batch came from a newer one), or may hold nothing after it.
        const oldest = newest ? undefined : oldestFirst[0].id;
        return { traces, bound, generations, logs, oldest, emptied: id !== oldestFirst[0].id };
      }
      throw new Error('a store has at least one partition');
    });
    // Each delete in the partition of its row's time, where it is even if a partition opened since the selection.
    const ops: SqliteWriteOp[] = [];
    for (const { trace_id, start_ms } of selected.traces) {
      ops.push([PRUNE.generations, [trace_id, beforeMs], start_ms], [PRUNE.steps, [trace_id, beforeMs], start_ms]);
      ops.push([PRUNE.spans, [trace_id]], [PRUNE.logs, [trace_id]], [PRUNE.trace, [trace_id], start_ms]);
    }
    for (const thread of new Set(selected.traces.map((trace) => trace.thread_id))) {
      if (thread !== null) ops.push([PRUNE.thread, [thread]], [PRUNE.threadStart, [{ thread }]]);
    }
    for (const { trace_id, span_id, start_ms } of selected.generations) {
      ops.push([PRUNE.generation, [trace_id, span_id, selected.bound], start_ms]);
      ops.push([PRUNE.span, [trace_id, span_id]], [PRUNE.spanLogs, [trace_id, span_id]]);
    }
    for (const { seq } of selected.logs) ops.push([PRUNE.log, [seq]]);
    let heldMs = 0;
    const changes =
      ops.length === 0 ? undefined : await this.transaction([[PRUNE.pruning, []], ...ops, [PRUNE.pruned, []]], (ms) => (heldMs = ms));
    if (selected.oldest !== undefined && (selected.emptied || (await this.partitionEmpty(selected.oldest)))) {
      if ((await this.transaction([[PRUNE.dropOldestPartition, []]]))[PRUNE.dropOldestPartition] > 0)
        report('info', `genspan: retention dropped the oldest time partition of ${this.path}, which it had emptied`);
    }
    if (!changes) return NO_PRUNE;
    return {
      heldMs,
      generations: changes[PRUNE.generations] + changes[PRUNE.generation],
      steps: changes[PRUNE.steps],
      spans: changes[PRUNE.spans] + changes[PRUNE.span],
      logs: changes[PRUNE.logs] + changes[PRUNE.spanLogs] + changes[PRUNE.log],
      traces: changes[PRUNE.trace],
      threads: changes[PRUNE.thread],
    };
  }

  /** Whether a partition holds no generation, step or trace (read beside the writes; the drop checks again). */
  private partitionEmpty(partition: number): Promise<boolean> {
    return this.overPartitions((_, statement) => PARTITION_HOLDS.every((sql) => statement(sql, partition).get() === undefined));
  }

  /**
   * The pages in use: the file less its free pages, as the file will be once they are given back. The WAL is not
   * counted: it holds pages on their way into the file, emptied at each checkpoint but kept at its largest size on
   * disk (tens of MB under steady writes), so counting it would delete data for space it does not take for good.
   */
  storageBytes(): Promise<number> {
    return this.run((db) => {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      const used = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
      return used * pageSize;
    });
  }

  async generationsOverSize(maxBytes: number): Promise<number> {
    const bytes = await this.storageBytes();
    if (bytes <= maxBytes) return 0;
    const count = await this.overPartitions((partitions, statement) =>
      partitions.reduce(
        (sum, { id }) => sum + (statement('SELECT count(*) AS count FROM genspan_generations', id).get() as { count: number }).count,
        0,
      ),
    );
    return Math.ceil((count * (bytes - maxBytes)) / bytes);
  }

  async sizePruned(): Promise<void> {}

  /**
   * Files created with incremental auto-vacuum give their free pages back, `RECLAIM_PAGES_PER_STEP` per transaction;
   * older files keep them for new rows (the file stops growing but does not shrink) until `vacuum()`.
   */
  async reclaimSpace(held?: (ms: number) => void): Promise<number> {
    const pages = () =>
      this.run((db) => ({
        incremental: db.pragma('auto_vacuum', { simple: true }) === 2,
        count: db.pragma('page_count', { simple: true }) as number,
        free: db.pragma('freelist_count', { simple: true }) as number,
        size: db.pragma('page_size', { simple: true }) as number,
      }));
    const before = await pages();
    if (!before.incremental) return 0;
    let now = before;
    while (now.free > 0) {
      const step = Math.min(now.free, RECLAIM_PAGES_PER_STEP);
      await this.transaction(
        Array.from({ length: step }, (): SqliteWriteOp => [PRUNE.reclaimPage, []]),
        held,
      );
      const next = await pages();
      if (next.free >= now.free) break;
      now = next;
    }
    return (before.count - now.count) * before.size;
  }

  /** VACUUM rewrites the whole file (as long as it takes, holding writers off): `genspan prune --vacuum` only. */
  vacuum(): Promise<void> {
    return this.run((db) => {
      const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma(`busy_timeout = ${Math.max(busyTimeoutMs, OPEN_BUSY_TIMEOUT_MS)}`);
      try {
        db.pragma('auto_vacuum = INCREMENTAL');
        db.exec('VACUUM');
      } finally {
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    });
  }

  /**
   * Closes the read connection, then lets the writes already handed to the writer finish and closes it. The last
   * connection to close checkpoints the WAL into the file; closing the reads first leaves that to the write thread.
   */
  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    db?.close();
    await this.writer.close();
    await this.reader.close();
  }
}
