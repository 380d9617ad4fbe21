/** `list()` filters: checked and normalized once, then turned into one WHERE clause for either SQL dialect. */

import { type ListFilter, ListFilterSchema, listFilterProblem } from '../generation/filter.js';
import { DEFAULT_LIST_SORT, LIST_PAGE_SIZE, type ListSort } from '../generation/list-query.js';
import { decodeCursor, type SortKey } from './cursor.js';
import { InvalidListFilterError } from './errors.js';
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

/** How one SQL dialect spells the few conditions that differ. */
export interface FilterDialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(index: number): string;
  tagContains(param: string): string;
  textContains(param: string): string;
  errorsOnly: string;
}

/** Binds a value and answers its placeholder. */
type Bind = (value: unknown) => string;

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
  const equals: [string, string | undefined][] = [
    ['trace_id', filter.traceId],
    ['service_name', filter.serviceName],
    ['model', filter.model],
    ['provider', filter.provider],
    ['source', filter.source],
  ];
  for (const [column, value] of equals) if (value !== undefined) conditions.push(`${column} = ${bind(value)}`);
  if (filter.tag !== undefined) conditions.push(dialect.tagContains(bind(filter.tag)));
  if (filter.errorsOnly) conditions.push(dialect.errorsOnly);
  if (filter.fromMs !== undefined) conditions.push(`start_ms >= ${bind(filter.fromMs)}`);
  if (filter.toMs !== undefined) conditions.push(`start_ms < ${bind(filter.toMs)}`);
  if (filter.q !== undefined) conditions.push(dialect.textContains(bind(filter.q)));
  // A NULL cost_total (no known cost) fails both comparisons, so unpriced records match no cost bound.
  if (filter.minCost !== undefined) conditions.push(`cost_total >= ${bind(filter.minCost)}`);
  if (filter.maxCost !== undefined) conditions.push(`cost_total <= ${bind(filter.maxCost)}`);
  conditions.push(...more(bind));
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** One query of a list page: its WHERE clause (empty or starting with `WHERE`), ORDER BY and parameters. */
export interface ListPart {
  where: string;
  orderBy: string;
  params: unknown[];
}

const NEWEST_FIRST = 'start_ms DESC, id DESC';

/**
 * The queries of a list page, to read in turn (each `LIMIT`ed to what the page still lacks) until it is full. Under a
 * cost order, costed records come first (equal costs newest first), then those without a cost, newest first: two
 * queries, so each is a plain keyset seek on an index rather than one ORDER BY over a NULL rank.
 */
export function listParts(filter: NormalizedFilter, dialect: FilterDialect): ListPart[] {
  const after = filter.after;
  const olderThanCursor = (bind: Bind): string[] => (after ? [`(start_ms, id) < (${bind(after.startMs)}, ${bind(after.id)})`] : []);
  const newest = (conditions: (bind: Bind) => string[]): ListPart => {
    const where = whereClause(filter, dialect, conditions);
    return { where: where.sql, params: where.params, orderBy: NEWEST_FIRST };
  };
  if (filter.sort === 'newest') return [newest(olderThanCursor)];
  // A cursor on a record without a cost continues among those; one on a costed record starts them afresh.
  if (after && after.cost === null) return [newest((bind) => ['cost_total IS NULL', ...olderThanCursor(bind)])];
  const unpriced = newest(() => ['cost_total IS NULL']);
  const descending = filter.sort === 'cost_desc';
  const priced = whereClause(filter, dialect, (bind) => {
    if (!after) return ['cost_total IS NOT NULL'];
    if (descending) {
      return ['cost_total IS NOT NULL', `(cost_total, start_ms, id) < (${bind(after.cost)}, ${bind(after.startMs)}, ${bind(after.id)})`];
    }
    // Costs ascend while equal costs stay newest first: no single row comparison says "after" in that order.
    return [
      `cost_total >= ${bind(after.cost)}`,
      `(cost_total > ${bind(after.cost)} OR (start_ms, id) < (${bind(after.startMs)}, ${bind(after.id)}))`,
    ];
  });
  const orderBy = `cost_total ${descending ? 'DESC' : 'ASC'}, ${NEWEST_FIRST}`;
  return [{ where: priced.sql, params: priced.params, orderBy }, unpriced];
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
