/**
 * The generation list's query, as the REST API and the page spell it. Browser-safe and free of zod, so the page
 * can import it as it runs; `filter.ts` builds the schema from these same names.
 */

/** How many generations a list page holds: by default, and at the most. */
export const LIST_PAGE_SIZE = { default: 50, max: 500 } as const;

/** The REST query parameter of each list filter field: the names users write in URLs. */
export const LIST_QUERY_PARAMETERS = {
  traceId: 'traceId',
  serviceName: 'service',
  model: 'model',
  provider: 'provider',
  tag: 'tag',
  source: 'source',
  errorsOnly: 'error',
  from: 'from',
  to: 'to',
  q: 'q',
  minCost: 'minCost',
  maxCost: 'maxCost',
  sort: 'sort',
  limit: 'limit',
  cursor: 'cursor',
} as const;

/**
 * The list's orders, as `sort` spells them, with the page's label for each. Equal values are newest first; records
 * without the value (no cost, duration or token count) come after every one that has it in both directions, newest first.
 */
export const LIST_SORTS = {
  newest: 'Newest first',
  cost_desc: 'Highest cost',
  cost_asc: 'Lowest cost',
  duration_desc: 'Longest',
  duration_asc: 'Shortest',
  tokens_desc: 'Most tokens',
  tokens_asc: 'Fewest tokens',
} as const;

/** What an order other than `newest` sorts by: the cost total, the duration, or the token count (total, else input plus output). */
export const LIST_SORT_VALUES = ['cost', 'duration', 'tokens'] as const;

export type ListSortValue = (typeof LIST_SORT_VALUES)[number];

/** The order by a value, in one direction. */
export function listSortBy(value: ListSortValue, descending: boolean): ListSort {
  return `${value}_${descending ? 'desc' : 'asc'}`;
}

/** What an order sorts by and in which direction; undefined for `newest`. */
export function listSortValue(sort: ListSort): { value: ListSortValue; descending: boolean } | undefined {
  if (sort === 'newest') return undefined;
  const [value, direction] = sort.split('_') as [ListSortValue, 'asc' | 'desc'];
  return { value, descending: direction === 'desc' };
}

export type ListSort = keyof typeof LIST_SORTS;

/** The order of a list that names none. */
export const DEFAULT_LIST_SORT: ListSort = 'newest';

export type ListFilterField = keyof typeof LIST_QUERY_PARAMETERS;

/** The query string of a list filter (without `?`); absent, empty and false values are left out. */
export function listQueryString(filter: Readonly<Partial<Record<ListFilterField, string | number | boolean | undefined>>>): string {
  const params = new URLSearchParams();
  for (const [field, parameter] of Object.entries(LIST_QUERY_PARAMETERS)) {
    const value = filter[field as ListFilterField];
    if (value === undefined || value === '' || value === false) continue;
    params.set(parameter, String(value));
  }
  return params.toString();
}

/**
 * Up to this many matching generations the list's total is counted exactly; past it the stores stop counting and
 * answer an estimate marked `exact: false`, so a count costs the same bounded time whatever the store holds.
 */
export const LIST_TOTAL_EXACT_BOUND = 10_000;

/** What `GET /api/facets?field=` offers values of, by the list filter each value feeds. */
export const FACET_FIELDS = { model: 'model', provider: 'provider', service: 'serviceName', tag: 'tag' } as const;

export type FacetField = keyof typeof FACET_FIELDS;

/**
 * Facets: how many values a facet answers (the most frequent first), and how many of the newest matching generations
 * they are counted over. Past that many the counts are those of the newest ones (`exact: false`), so suggestions
 * cost bounded time on any store.
 */
export const FACET_LIMITS = { values: 20, rows: 2_000 } as const;
