import { DEFAULT_LIST_SORT, LIST_QUERY_PARAMETERS, LIST_SORTS, type ListSort, listQueryString } from '../generation/list-query.js';
import type { ListQuery } from './api.js';

/**
 * What the generation list shows, kept in the page's query string (`?model=gpt-4o&sort=tokens_desc&view=table&page=3`)
 * so a reload, a shared link and the browser's back and forward show the same list. The filters are the API's
 * parameters under the same names; `view` and `page` are the page's own. Pure: URL text in, state out, and back.
 */

export const LIST_VIEWS = ['cards', 'table'] as const;
export type ListView = (typeof LIST_VIEWS)[number];

export interface ListState {
  query: ListQuery;
  /** Absent: the view this browser last chose. */
  view?: ListView;
  /** 1-based page of the table. */
  page: number;
}

/** The page's own parameters, beside the filters'. */
export const PAGE_PARAMETERS = { view: 'view', page: 'page' } as const;

const TEXT_FIELDS = ['q', 'model', 'provider', 'serviceName', 'tag', 'from', 'to'] as const;

function isListSort(value: string | null): value is ListSort {
  return value !== null && Object.hasOwn(LIST_SORTS, value);
}

/** Reads a query string (`location.search`); what it cannot use is left out, so a mangled link still opens a list. */
export function readListState(search: string): ListState {
  const params = new URLSearchParams(search);
  const query: ListQuery = {};
  for (const field of TEXT_FIELDS) {
    const value = params.get(LIST_QUERY_PARAMETERS[field])?.trim();
    if (!value) continue;
    if ((field === 'from' || field === 'to') && Number.isNaN(Date.parse(value))) continue;
    query[field] = value;
  }
  if (params.get(LIST_QUERY_PARAMETERS.errorsOnly) === 'true') query.errorsOnly = true;
  const sort = params.get(LIST_QUERY_PARAMETERS.sort);
  if (isListSort(sort) && sort !== DEFAULT_LIST_SORT) query.sort = sort;
  const view = params.get(PAGE_PARAMETERS.view);
  const page = Number(params.get(PAGE_PARAMETERS.page));
  return {
    query,
    view: (LIST_VIEWS as readonly (string | null)[]).includes(view) ? (view as ListView) : undefined,
    page: Number.isSafeInteger(page) && page > 1 ? page : 1,
  };
}

/** The query string of a state (with `?`, or empty): the filters as the API spells them, then the view and page. */
export function listStateSearch(state: ListState): string {
  const params = new URLSearchParams(
    listQueryString({ ...state.query, sort: state.query.sort === DEFAULT_LIST_SORT ? undefined : state.query.sort }),
  );
  if (state.view) params.set(PAGE_PARAMETERS.view, state.view);
  if (state.page > 1) params.set(PAGE_PARAMETERS.page, String(state.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The pages the pager offers by number: the first, the last known, and two either side of the current one; a gap of
 * one page shows that page rather than an ellipsis standing for it.
 */
export function pageNumbers(current: number, last: number): (number | 'gap')[] {
  const shown = new Set([1, last, current - 2, current - 1, current, current + 1, current + 2].filter((n) => n >= 1 && n <= last));
  const sorted = [...shown].sort((a, b) => a - b);
  const numbers: (number | 'gap')[] = [];
  for (const [index, n] of sorted.entries()) {
    const skipped = index > 0 ? n - sorted[index - 1] - 1 : 0;
    if (skipped === 1) numbers.push(n - 1);
    else if (skipped > 1) numbers.push('gap');
    numbers.push(n);
  }
  return numbers;
}
