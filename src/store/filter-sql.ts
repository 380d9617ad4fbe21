/** `list()` filters: checked and normalized once, then turned into one WHERE clause for either SQL dialect. */
import { decodeCursor, type SortKey } from './cursor.js';
import { InvalidListFilterError } from './errors.js';
import type { ListFilter } from './types.js';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

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
  limit: number;
  after?: SortKey;
}

function timeFilter(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidListFilterError(`${name} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return ms;
}

function textFilter(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function normalizeFilter(filter: ListFilter = {}): NormalizedFilter {
  let limit = DEFAULT_PAGE_LIMIT;
  if (filter.limit !== undefined) {
    if (!Number.isInteger(filter.limit) || filter.limit < 1) {
      throw new InvalidListFilterError(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}, got ${String(filter.limit)}`);
    }
    limit = Math.min(filter.limit, MAX_PAGE_LIMIT);
  }
  const q = textFilter(filter.q);
  return {
    traceId: textFilter(filter.traceId)?.toLowerCase(),
    serviceName: textFilter(filter.serviceName),
    model: textFilter(filter.model),
    provider: textFilter(filter.provider),
    tag: textFilter(filter.tag),
    source: textFilter(filter.source),
    errorsOnly: filter.errorsOnly === true,
    fromMs: timeFilter('from', filter.from),
    toMs: timeFilter('to', filter.to),
    q: q?.toLowerCase(),
    limit,
    after: filter.cursor ? decodeCursor(filter.cursor) : undefined,
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
  if (filter.after) conditions.push(`(start_ms, id) < (${bind(filter.after.startMs)}, ${bind(filter.after.id)})`);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
