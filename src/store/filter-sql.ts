/** `list()` filters: checked and normalized once, then turned into one WHERE clause for either SQL dialect. */

import { type ListFilter, ListFilterSchema, listFilterProblem } from '../generation/filter.js';
import { LIST_PAGE_SIZE } from '../generation/list-query.js';
import { decodeCursor, type SortKey } from './cursor.js';
import { InvalidListFilterError } from './errors.js';

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
  after?: SortKey;
}

/** Checks a caller's filter (throws `InvalidListFilterError` naming every unusable field) and normalizes it. */
export function normalizeFilter(filter: ListFilter = {}): NormalizedFilter {
  const parsed = ListFilterSchema.safeParse(filter);
  if (!parsed.success) throw new InvalidListFilterError(listFilterProblem(parsed.error));
  const { from, to, q, limit, cursor, errorsOnly, minCost, maxCost, ...equal } = parsed.data;
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
    after: cursor ? decodeCursor(cursor) : undefined,
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

/** The WHERE clause (empty or starting with `WHERE`) and its parameters; values are always bound, never spliced. */
export function whereClause(filter: NormalizedFilter, dialect: FilterDialect): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
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
  if (filter.after) conditions.push(`(start_ms, id) < (${bind(filter.after.startMs)}, ${bind(filter.after.id)})`);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
