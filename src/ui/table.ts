import { describeCost, formatCost } from '../generation/cost-format.js';
import {
  DEFAULT_LIST_SORT,
  LIST_TOTAL_EXACT_BOUND,
  type ListSort,
  type ListSortValue,
  listSortBy,
  listSortValue,
} from '../generation/list-query.js';
import type { ListTotal } from '../generation/rest.js';
import { StatusCode } from '../generation/status.js';
import { type GenerationItem, wireOf } from './api.js';
import { formatTime, previewText } from './detail.js';
import { h } from './dom.js';
import { pageNumbers } from './list-state.js';

/**
 * The generation list as a dense table: one row per generation, the columns a team scans (time, model, provider,
 * service, prompt, tokens, duration, time to first token, cost, error), sortable by time, tokens, duration and cost
 * from their headers, with a pager that jumps. Every value from the data goes in as text.
 */

/** Generations per table page. */
export const TABLE_PAGE_SIZE = 50;

/** A column header that sorts: by time (newest first), or by a value, highest first, then lowest on a second press. */
type SortColumn = { label: string; value: ListSortValue | 'time' };

/** What a header press asks for, given the order on show. */
export function nextSort(column: ListSortValue | 'time', current: ListSort): ListSort {
  if (column === 'time') return DEFAULT_LIST_SORT;
  const order = listSortValue(current);
  return listSortBy(column, !(order?.value === column && order.descending));
}

function ariaSort(column: ListSortValue | 'time', current: ListSort): string {
  const order = listSortValue(current);
  if (column === 'time') return order ? 'none' : 'descending';
  if (order?.value !== column) return 'none';
  return order.descending ? 'descending' : 'ascending';
}

function count(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toLocaleString() : '—';
}

function seconds(value: number | null | undefined): string {
  return typeof value === 'number' ? `${value.toLocaleString(undefined, { maximumFractionDigits: 2 })} s` : '—';
}

function milliseconds(value: number | null | undefined): string {
  return typeof value === 'number' ? `${value.toLocaleString(undefined, { maximumFractionDigits: 0 })} ms` : '—';
}

const EXCERPT_CHARS = 90;

function row(item: GenerationItem, currentId: string | null): HTMLElement {
  const generation = wireOf(item);
  const preview = previewText(generation).replace(/\s+/g, ' ').trim();
  const failed = Boolean(generation.error) || item.status.code === StatusCode.ERROR;
  const tokens =
    generation.inputTokenCount == null && generation.outputTokenCount == null
      ? count(generation.tokenCount)
      : `${count(generation.inputTokenCount)} / ${count(generation.outputTokenCount)}`;
  return h(
    'tr',
    { 'data-id': item.id, 'aria-current': item.id === currentId ? 'true' : null },
    h('td', { class: 'col-time' }, formatTime(item.startTime)),
    h('td', { class: 'col-model', dir: 'auto' }, generation.model ?? '—'),
    h('td', { class: 'col-provider', dir: 'auto' }, generation.provider ?? '—'),
    h('td', { class: 'col-service', dir: 'auto' }, item.serviceName ?? '—'),
    h(
      'td',
      { class: 'col-prompt' },
      h(
        'a',
        { href: `#/g/${encodeURIComponent(item.id)}`, dir: 'auto', 'data-focus-key': `row-${item.id}` },
        preview.length > EXCERPT_CHARS ? `${preview.slice(0, EXCERPT_CHARS)}…` : preview || '(no prompt)',
      ),
    ),
    h('td', { class: 'col-num col-tokens' }, tokens),
    h('td', { class: 'col-num col-duration' }, seconds(generation.duration)),
    h('td', { class: 'col-num col-ttft' }, milliseconds(generation.ttFirstToken)),
    h(
      'td',
      { class: 'col-num col-cost', title: item.cost ? describeCost(item.cost) : null },
      item.cost ? formatCost(item.cost.total, item.cost.currency) : '—',
    ),
    h(
      'td',
      { class: 'col-error' },
      failed ? h('span', { class: 'badge badge-error', title: generation.error ?? 'Error status' }, 'Error') : null,
    ),
  );
}

const COLUMNS: (SortColumn | { label: string; className: string })[] = [
  { label: 'Time', value: 'time' },
  { label: 'Model', className: 'col-model' },
  { label: 'Provider', className: 'col-provider' },
  { label: 'Service', className: 'col-service' },
  { label: 'Prompt', className: 'col-prompt' },
  { label: 'Tokens (in / out)', value: 'tokens' },
  { label: 'Duration', value: 'duration' },
  { label: 'First token', className: 'col-num col-ttft' },
  { label: 'Cost', value: 'cost' },
  { label: 'Error', className: 'col-error' },
];

const SORT_CLASSES: Record<SortColumn['value'], string> = {
  time: 'col-time',
  tokens: 'col-num col-tokens',
  duration: 'col-num col-duration',
  cost: 'col-num col-cost',
};

/** The table of one page; a header press calls `onSort` with the order it asks for. */
export function generationTable(
  items: readonly GenerationItem[],
  options: { sort: ListSort; currentId: string | null; onSort: (sort: ListSort) => void; label: string },
): HTMLElement {
  const headers = COLUMNS.map((column) => {
    if (!('value' in column)) return h('th', { scope: 'col', class: column.className }, column.label);
    const { value } = column;
    return h(
      'th',
      { scope: 'col', class: SORT_CLASSES[value], 'aria-sort': ariaSort(value, options.sort) },
      h(
        'button',
        {
          type: 'button',
          class: 'sort-button',
          'data-focus-key': `sort-${value}`,
          on: { click: () => options.onSort(nextSort(value, options.sort)) },
        },
        column.label,
      ),
    );
  });
  return h(
    'div',
    { class: 'table-scroll', role: 'region', 'aria-label': options.label, tabindex: '0' },
    h(
      'table',
      { class: 'generation-table', id: 'generation-table' },
      h('caption', { class: 'visually-hidden' }, options.label),
      h('thead', null, h('tr', null, headers)),
      h(
        'tbody',
        null,
        items.map((item) => row(item, options.currentId)),
      ),
    ),
  );
}

/** The total as the list says it: exact, "more than" SQLite's bound, or "about" PostgreSQL's estimate. */
export function describeTotal(total: ListTotal): string {
  const noun = (n: number) => `generation${n === 1 ? '' : 's'}`;
  if (total.exact) return `${total.count.toLocaleString()} ${noun(total.count)}`;
  if (total.count <= LIST_TOTAL_EXACT_BOUND + 1) return `more than ${LIST_TOTAL_EXACT_BOUND.toLocaleString()} generations`;
  return `about ${total.count.toLocaleString()} generations`;
}

/**
 * The furthest page a jump may reach: the last page when the total is exact; past the exact bound, the page holding
 * its last generation (further pages are reached one at a time with Next), as each jump walks the list's cursor.
 */
export function jumpablePages(total: ListTotal): number {
  const rows = total.exact ? total.count : LIST_TOTAL_EXACT_BOUND;
  return Math.max(1, Math.ceil(rows / TABLE_PAGE_SIZE));
}

/** The pager: First, Previous, page numbers, Next, Last and "Go to page". */
export function pager(options: {
  page: number;
  /** The furthest page a jump may reach (`jumpablePages`). */
  last: number;
  /** Whether the total is exact, so `last` is the last page. */
  exact: boolean;
  hasNext: boolean;
  onPage: (page: number) => void;
}): HTMLElement {
  const { page, last, exact, hasNext, onPage } = options;
  const button = (label: string, target: number, key: string, disabled: boolean, extra: Record<string, unknown> = {}) =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary pager-button',
        'data-focus-key': key,
        props: { disabled },
        on: { click: () => onPage(target) },
        ...extra,
      },
      label,
    );
  const numbers = pageNumbers(page, Math.max(last, page)).map((n) =>
    n === 'gap'
      ? h('span', { class: 'pager-gap', 'aria-hidden': 'true' }, '…')
      : button(String(n), n, `page-${n}`, false, {
          'aria-current': n === page ? 'page' : null,
          'aria-label': `Page ${n}`,
        }),
  );
  const input = h('input', {
    id: 'pager-go-input',
    name: 'page',
    type: 'number',
    min: '1',
    max: String(Math.max(last, page)),
    inputmode: 'numeric',
    required: true,
    'data-focus-key': 'go-input',
  });
  const go = h(
    'form',
    {
      class: 'pager-go',
      on: {
        submit: (event) => {
          event.preventDefault();
          const target = Math.trunc(Number(input.value));
          if (target >= 1) onPage(Math.min(target, Math.max(last, page)));
        },
      },
    },
    h('label', { for: 'pager-go-input' }, 'Go to page'),
    input,
    h('button', { type: 'submit', class: 'secondary pager-button', 'data-focus-key': 'go' }, 'Go'),
  );
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    button('« First', 1, 'first', page === 1),
    button('‹ Previous', page - 1, 'previous', page === 1),
    numbers,
    button('Next ›', page + 1, 'next', !hasNext),
    button('Last »', last, 'last', !exact || page >= last, {
      title: exact ? null : `More than ${LIST_TOTAL_EXACT_BOUND.toLocaleString()} match: narrow the filters to reach the last page`,
    }),
    go,
  );
}
