import { z } from 'zod';
import { LIST_PAGE_SIZE, LIST_QUERY_PARAMETERS, LIST_SORTS, type ListFilterField, type ListSort } from './list-query.js';

/** An empty string is a filter left blank, as a form sends it. */
const text = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const time = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === '') return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) {
      context.addIssue({ code: 'custom', message: `must be an ISO-8601 time, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  });

const costMessage = 'must be a number of USD, 0 or more';
/** A cost bound in USD; records without a cost never match one. */
const cost = z.number({ error: costMessage }).finite({ error: costMessage }).nonnegative({ error: costMessage }).optional();

const sortNames = Object.keys(LIST_SORTS) as [ListSort, ...ListSort[]];
const sortMessage = `must be one of ${sortNames.join(', ')}`;
const sort = z.enum(sortNames, { error: sortMessage }).optional();

const limitMessage = `must be an integer from 1 to ${LIST_PAGE_SIZE.max}`;

/**
 * What a generation list is filtered by: the one schema behind the stores' `list`, the REST query parser and the
 * page's query. Unknown fields are ignored. A library caller's `limit` above the page size gets a full page.
 */
export const ListFilterSchema = z.object({
  traceId: text.transform((value) => value?.toLowerCase()),
  serviceName: text,
  model: text,
  provider: text,
  tag: text,
  source: text,
  /** Only records whose status is ERROR or whose generation has an error. */
  errorsOnly: z.boolean().optional(),
  /** ISO-8601; records that started at or after it. */
  from: time,
  /** ISO-8601; records that started before it. */
  to: time,
  /** Case-insensitive substring of the prompt, completion or message text. */
  q: text,
  /** USD; records whose cost is at least this. */
  minCost: cost,
  /** USD; records whose cost is at most this. */
  maxCost: cost,
  /** The order (default `newest`); see `LIST_SORTS`. A cursor continues only the order it came from. */
  sort,
  /** Page size (default 50, at most 500). */
  limit: z.number({ error: limitMessage }).int({ error: limitMessage }).min(1, { error: limitMessage }).optional(),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: text,
});

/** The filter as a caller writes it. */
export type ListFilter = z.input<typeof ListFilterSchema>;
/** The filter as a store reads it: blanks dropped, times normalized, the trace id lowercased. */
export type ParsedListFilter = z.output<typeof ListFilterSchema>;

const TRUE_VALUES = new Set(['true', '1', 'yes']);
const FALSE_VALUES = new Set(['false', '0', 'no']);

/** Query parameter strings to the filter's types; what does not convert is left for the schema to refuse. */
function fromQuery(query: unknown): unknown {
  const values = (query ?? {}) as Record<string, unknown>;
  const filter: Record<string, unknown> = {};
  for (const [field, parameter] of Object.entries(LIST_QUERY_PARAMETERS) as [ListFilterField, string][]) {
    const value = values[parameter];
    if (value === undefined || value === '') continue;
    if (field === 'errorsOnly' && typeof value === 'string') {
      const flag = value.toLowerCase();
      filter[field] = TRUE_VALUES.has(flag) ? true : FALSE_VALUES.has(flag) ? undefined : value;
    } else if (field === 'limit' && typeof value === 'string' && /^\d+$/.test(value)) filter[field] = Number(value);
    else if (
      (field === 'minCost' || field === 'maxCost') &&
      typeof value === 'string' &&
      value.trim() !== '' &&
      Number.isFinite(Number(value))
    )
      filter[field] = Number(value);
    else filter[field] = value;
  }
  return filter;
}

/** `GET /api/generations`' query parameters (named as in `LIST_QUERY_PARAMETERS`), read into a filter. */
export const ListQuerySchema = z.preprocess(
  fromQuery,
  ListFilterSchema.extend({
    errorsOnly: z.boolean({ error: 'must be true or false' }).optional(),
    limit: ListFilterSchema.shape.limit.unwrap().max(LIST_PAGE_SIZE.max, { error: limitMessage }).optional(),
  }),
);

/** One line naming every unusable field of a filter, each by the name its caller used. */
export function listFilterProblem(error: z.ZodError, name: (field: ListFilterField) => string = (field) => field): string {
  return error.issues
    .map((issue) => {
      const field = issue.path[0] as ListFilterField | undefined;
      const message = issue.code === 'invalid_type' && issue.expected === 'string' ? 'must be given once, as text' : issue.message;
      return field ? `${name(field)} ${message}` : message;
    })
    .join('; ');
}
