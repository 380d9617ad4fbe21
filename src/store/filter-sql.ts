/** `list()` filters: checked and normalized once, then turned into one WHERE clause for either SQL dialect. */

import { type ListFilter, ListFilterSchema, listFilterProblem } from '../generation/filter.js';
import {
  DEFAULT_LIST_SORT,
  FACET_FIELDS,
  FACET_LIMITS,
  type FacetField,
  LIST_PAGE_SIZE,
  type ListSort,
  type ListSortValue,
  listSortValue,
} from '../generation/list-query.js';
import { decodeCursor, type SortKey } from './cursor.js';
import { InvalidListFilterError } from './errors.js';
import { LIST_COLUMNS } from './generation-row.js';
import { decodePageCursor } from './step-row.js';

/** A filter as the SQL is built from it: validated by the one list filter schema, times in ms, the cursor decoded. */
export interface NormalizedFilter {
  traceId?: string;
  serviceName?: string;
  model?: string;
  provider?: string;
  tag?: string;
  source?: string;
  errorsOnly: boolean;
  fromMs?: number;
  toMs?: number;
  /** Lowercased. */
  q?: string;
  minCost?: number;
  maxCost?: number;
  limit: number;
  sort: ListSort;
  after?: SortKey;
}

/** Checks a caller's filter (throws `InvalidListFilterError` naming every unusable field) and normalizes it. */
export function normalizeFilter(filter: ListFilter = {}): NormalizedFilter {
  const parsed = ListFilterSchema.safeParse(filter);
  if (!parsed.success) throw new InvalidListFilterError(listFilterProblem(parsed.error));
  const { from, to, q, limit, cursor, errorsOnly, minCost, maxCost, sort = DEFAULT_LIST_SORT, ...equal } = parsed.data;
  return {
    ...equal,
    minCost,
    maxCost,
    errorsOnly: errorsOnly === true,
    fromMs: from === undefined ? undefined : Date.parse(from),
    toMs: to === undefined ? undefined : Date.parse(to),
    q: q?.toLowerCase(),
    // A library caller asking for more than a page holds gets a full page.
    limit: Math.min(limit ?? LIST_PAGE_SIZE.default, LIST_PAGE_SIZE.max),
    sort,
    after: cursor ? decodeCursor(cursor, sort) : undefined,
  };
}

/** Binds a value and answers its placeholder. */
export type Bind = (value: unknown) => string;

/** How one SQL dialect spells the few conditions that differ. */
export interface FilterDialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(index: number): string;
  /** A generation row whose tags hold `tag`. */
  tagContains(tag: string, bind: Bind): string;
  /** A generation row whose `search_text` holds `q` (lowercased), taken literally; through the index when it can. */
  textContains(q: string, bind: Bind): string;
  /** The same, read from the row itself (no index): for rows already in hand. */
  textScan(q: string, bind: Bind): string;
  errorsOnly: string;
  /** FROM items after a subquery `s` of generation rows that give each of its tags as `value`. */
  tagValues: string;
  /**
   * What the duration and token orders sort by, read from a generation row's wire JSON (`generation`): its `duration`,
   * and its `tokenCount` else input plus output tokens; NULL when absent or not numbers. Each spelled exactly as its
   * store's index on it.
   */
  sortValues: Record<Exclude<ListSortValue, 'cost'>, string>;
}

/**
 * The filter columns matched case-insensitively (each by `lower()`, which the stores' expression indexes serve):
 * model, provider and service names come from many instrumentations, spelled in any case. The others match exactly.
 */
const CASE_INSENSITIVE_COLUMNS = [
  ['service_name', 'serviceName'],
  ['model', 'model'],
  ['provider', 'provider'],
] as const;
const EXACT_COLUMNS = [
  ['trace_id', 'traceId'],
  ['source', 'source'],
] as const;

/** How many characters (code points, as SQLite's trigram tokenizer counts them) a `q` has. */
export function searchLength(q: string): number {
  return [...q].length;
}

/** Both stores' search indexes hold trigrams: a shorter `q` has none to look up and is answered by a scan. */
export const SEARCH_INDEX_MIN_LENGTH = 3;

/**
 * The WHERE clause (empty or starting with `WHERE`) of the filter and of the conditions `more` adds, and their
 * parameters; values are always bound, never spliced.
 */
function whereClause(filter: NormalizedFilter, dialect: FilterDialect, more: (bind: Bind) => string[]): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind: Bind = (value) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  for (const [column, field] of EXACT_COLUMNS) {
    const value = filter[field];
    if (value !== undefined) conditions.push(`${column} = ${bind(value)}`);
  }
  for (const [column, field] of CASE_INSENSITIVE_COLUMNS) {
    const value = filter[field];
    if (value !== undefined) conditions.push(`lower(${column}) = lower(${bind(value)})`);
  }
  if (filter.tag !== undefined) conditions.push(dialect.tagContains(filter.tag, bind));
  if (filter.errorsOnly) conditions.push(dialect.errorsOnly);
  if (filter.fromMs !== undefined) conditions.push(`start_ms >= ${bind(filter.fromMs)}`);
  if (filter.toMs !== undefined) conditions.push(`start_ms < ${bind(filter.toMs)}`);
  if (filter.q !== undefined) conditions.push(dialect.textContains(filter.q, bind));
  // A NULL cost_total (no known cost) fails both comparisons, so unpriced records match no cost bound.
  if (filter.minCost !== undefined) conditions.push(`cost_total >= ${bind(filter.minCost)}`);
  if (filter.maxCost !== undefined) conditions.push(`cost_total <= ${bind(filter.maxCost)}`);
  conditions.push(...more(bind));
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/**
 * One query of a list page: what it reads (`genspan_generations` or a subquery), its WHERE clause (empty or starting
 * with `WHERE`), ORDER BY and parameters, and the columns it selects (`LIST_COLUMNS` and `sort_value`).
 */
export interface ListPart {
  select: string;
  from: string;
  where: string;
  orderBy: string;
  params: unknown[];
}

const GENERATIONS = 'genspan_generations';

/**
 * How many of the newest generations the other filters match a search looks through before it asks the index: a
 * common word fills a page from them at once (the index would first gather every one of its many matches), and a
 * rare one costs this short scan more (500 rows of ~2.5 KB: a few milliseconds). A word found in at least a tenth of
 * them is common (`SEARCH_COMMON_MATCHES`): facets of it are counted by a scan newest first, which stops early.
 */
export const SEARCH_PROBE_ROWS = 500;
export const SEARCH_COMMON_MATCHES = SEARCH_PROBE_ROWS / 10;
/**
 * A word found in at least half of those rows is counted by a scan too: the bounded count then reads at most about
 * twice its bound of rows, where the index would first gather every match (a word in every row of 1,000,000: SQLite
 * ~300 ms against ~25 ms for the scan, PostgreSQL's bitmap of 1,027,022 entries ~95 ms against ~40 ms).
 */
export const SEARCH_DENSE_MATCHES = SEARCH_PROBE_ROWS / 2;
/**
 * A word the probe did not find often can still be in many older rows (the newest generations may hold no text at
 * all). Past this many index candidates, SQLite walks the list's order and tests each row for being a candidate,
 * rather than reading every candidate and sorting them (1,300 rows without text ahead of 1,000,000 that hold the
 * word: a list 11–23 s, the model facet 6 s, against 4–14 ms and 98 ms without them).
 */
export const SEARCH_MANY_CANDIDATES = 10_000;

/**
 * The parts of a list page with `q`, each reading the first `SEARCH_PROBE_ROWS` rows (in the part's order) its other
 * conditions match and keeping those holding `q`. When a probe fills what the page still lacks, that is the part's answer (the
 * same rows, in the same order, as its indexed query's); when not, the store reads the part through the index.
 * Undefined without a `q` the index can answer.
 */
export function searchProbeParts(filter: NormalizedFilter, dialect: FilterDialect): ListPart[] | undefined {
  const q = filter.q;
  if (q === undefined || searchLength(q) < SEARCH_INDEX_MIN_LENGTH) return undefined;
  return listParts({ ...filter, q: undefined }, dialect).map((part) => {
    const params = [...part.params];
    const bind: Bind = (value) => {
      params.push(value);
      return dialect.placeholder(params.length);
    };
    const newest = `SELECT ${LIST_COLUMNS.join(', ')}, search_text FROM ${GENERATIONS} ${part.where} ORDER BY ${part.orderBy}`;
    const from = `(${newest} LIMIT ${bind(SEARCH_PROBE_ROWS)}) AS probe`;
    return { select: part.select, from, where: `WHERE ${dialect.textScan(q, bind)}`, orderBy: part.orderBy, params };
  });
}

/** The list's time order; partitions by time read it partition by partition, newest first. */
export const NEWEST_FIRST = 'start_ms DESC, id DESC';

/**
 * The SQL value an order sorts by: the cost total, or the dialect's reading of the duration or token count (read from
 * the generation, which the probe subqueries of a search carry too).
 */
function sortValueOf(value: ListSortValue, dialect: FilterDialect): string {
  return value === 'cost' ? 'cost_total' : dialect.sortValues[value];
}

/**
 * The queries of a list page, to read in turn (each `LIMIT`ed to what the page still lacks) until it is full. Under an
 * order by a value (cost, duration, tokens), records with the value come first (equal values newest first), then those
 * without it, newest first: two queries, so each is a plain keyset seek on an index (`(value, start_ms, id)`, partial
 * on the value being there) rather than one ORDER BY over a NULL rank.
 */
export function listParts(filter: NormalizedFilter, dialect: FilterDialect): ListPart[] {
  const after = filter.after;
  const order = listSortValue(filter.sort);
  const value = order ? sortValueOf(order.value, dialect) : 'NULL';
  const select = `${LIST_COLUMNS.join(', ')}, ${value} AS sort_value`;
  const olderThanCursor = (bind: Bind): string[] => (after ? [`(start_ms, id) < (${bind(after.startMs)}, ${bind(after.id)})`] : []);
  const newest = (conditions: (bind: Bind) => string[]): ListPart => {
    const where = whereClause(filter, dialect, conditions);
    return { select, from: GENERATIONS, where: where.sql, params: where.params, orderBy: NEWEST_FIRST };
  };
  if (!order) return [newest(olderThanCursor)];
  // A cursor on a record without the value continues among those; one on a record with it starts them afresh.
  if (after && after.value === null) return [newest((bind) => [`${value} IS NULL`, ...olderThanCursor(bind)])];
  const without = newest(() => [`${value} IS NULL`]);
  const { descending } = order;
  const valued = whereClause(filter, dialect, (bind) => {
    if (!after) return [`${value} IS NOT NULL`];
    if (descending) {
      return [`${value} IS NOT NULL`, `(${value}, start_ms, id) < (${bind(after.value)}, ${bind(after.startMs)}, ${bind(after.id)})`];
    }
    // Values ascend while equal values stay newest first: no single row comparison says "after" in that order.
    return [
      `${value} >= ${bind(after.value)}`,
      `(${value} > ${bind(after.value)} OR (start_ms, id) < (${bind(after.startMs)}, ${bind(after.id)}))`,
    ];
  });
  const orderBy = `${value} ${descending ? 'DESC' : 'ASC'}, ${NEWEST_FIRST}`;
  return [{ select, from: GENERATIONS, where: valued.sql, params: valued.params, orderBy }, without];
}

/** The WHERE clause and parameters of a traces page (`listTraces`): the traces table is `t`, the generations' `g`. */
export interface TraceListWhere {
  where: string;
  params: unknown[];
  limit: number;
}

/**
 * A trace is listed when one of its generations matches the filter (every trace without one); newest first by its
 * first start, continuing after the cursor's trace. The generation list's `sort` does not apply to traces.
 */
export function traceListWhere(filter: ListFilter, dialect: FilterDialect): TraceListWhere {
  const { cursor, sort: _sort, ...rest } = filter;
  const normalized = normalizeFilter(rest);
  const after = cursor === undefined || cursor === '' ? undefined : decodePageCursor('traces', cursor);
  const matching = whereClause(normalized, dialect, () => []);
  const params = [...matching.params];
  const bind: Bind = (value) => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const conditions: string[] = [];
  // The trace id names the trace itself too, so its row is read at once rather than found by a scan.
  if (normalized.traceId !== undefined) conditions.push(`t.trace_id = ${bind(normalized.traceId)}`);
  if (matching.sql !== '') conditions.push(`EXISTS (SELECT 1 FROM genspan_generations AS g ${matching.sql} AND g.trace_id = t.trace_id)`);
  if (after) conditions.push(`(t.start_ms, t.trace_id) < (${bind(after.ms)}, ${bind(after.id)})`);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params, limit: normalized.limit };
}

/** An SQL query and its parameters. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** The filter without what only orders or pages a list. */
function matchingOnly(filter: ListFilter): ListFilter {
  const { cursor: _cursor, sort: _sort, limit: _limit, ...rest } = filter;
  return rest;
}

/**
 * Counts the generations the filter matches, stopping at `bound + 1` (column `n`): a count above the bound only
 * says "more than the bound", and never costs more than reading that many matches. `newestFirst` reads them in the
 * list's order, through the time index, rather than in the table's.
 */
export function boundedCountQuery(filter: ListFilter, dialect: FilterDialect, bound: number, newestFirst = false): SqlQuery {
  const matching = matchingQuery(filter, dialect);
  const limit = dialect.placeholder(matching.params.length + 1);
  const order = newestFirst ? ` ORDER BY ${NEWEST_FIRST}` : '';
  return { sql: `SELECT count(*) AS n FROM (${matching.sql}${order} LIMIT ${limit}) AS c`, params: [...matching.params, bound + 1] };
}

/** A row for each generation the filter matches (its cursor, sort and limit ignored): what is counted or estimated. */
export function matchingQuery(filter: ListFilter, dialect: FilterDialect): SqlQuery {
  const where = whereClause(normalizeFilter(matchingOnly(filter)), dialect, () => []);
  return { sql: `SELECT 1 FROM genspan_generations ${where.sql}`, params: where.params };
}

/** The column each facet reads. */
const FACET_COLUMNS: Record<Exclude<FacetField, 'tag'>, string> = { model: 'model', provider: 'provider', service: 'service_name' };

/** The filter a facet is counted under: the list's, without the facet's own field (so its alternatives show). */
export function facetFilter(field: FacetField, filter: ListFilter): ListFilter {
  return { ...matchingOnly(filter), [FACET_FIELDS[field]]: undefined };
}

/**
 * A facet's values (`value`) and counts (`n`), most frequent first, among the newest `FACET_LIMITS.rows`
 * generations `facetFilter` matches: newest first is an index order, so the cost is bounded whatever is stored.
 */
export function facetQuery(field: FacetField, filter: ListFilter, dialect: FilterDialect): SqlQuery {
  const where = whereClause(normalizeFilter(facetFilter(field, filter)), dialect, () => []);
  const params = [...where.params, FACET_LIMITS.rows, FACET_LIMITS.values];
  const rows = dialect.placeholder(where.params.length + 1);
  const values = dialect.placeholder(where.params.length + 2);
  const column = field === 'tag' ? 'tags' : `${FACET_COLUMNS[field]} AS value`;
  const sample = `(SELECT ${column} FROM genspan_generations ${where.sql} ORDER BY ${NEWEST_FIRST} LIMIT ${rows}) AS s`;
  const from = field === 'tag' ? `${sample}${dialect.tagValues}` : sample;
  return {
    sql: `SELECT value, count(*) AS n FROM ${from} WHERE value IS NOT NULL GROUP BY value ORDER BY n DESC, value LIMIT ${values}`,
    params,
  };
}
