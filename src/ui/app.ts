import { describeCost, formatCost } from '../generation/cost-format.js';
import {
  DEFAULT_LIST_SORT,
  FACET_FIELDS,
  type FacetField,
  LIST_PAGE_SIZE,
  LIST_QUERY_PARAMETERS,
  LIST_SORTS,
  type ListSort,
  listQueryString,
} from '../generation/list-query.js';
import type { ListTotal } from '../generation/rest.js';
import { StatusCode } from '../generation/status.js';
import {
  ApiError,
  fetchConfig,
  fetchFacets,
  fetchGeneration,
  fetchList,
  fetchTrace,
  type GenerationItem,
  type ListQuery,
  type PlaygroundConfig,
  storedToken,
  storeToken,
  wireOf,
} from './api.js';
import { formatTime, generationView, previewText, rerunOrigin, typeBadge } from './detail.js';
import { byId, h, replaceChildren, safeHref } from './dom.js';
import { editorView, originComparison } from './editor.js';
import { experimentListView, experimentView, newExperimentView, type View } from './experiments.js';
import { LIST_VIEWS, type ListState, type ListView, listStateSearch, readListState } from './list-state.js';
import { revealCurrentStep, traceExplorer } from './step-tree.js';
import { attachSuggestions, type Suggestions } from './suggest.js';
import { describeTotal, generationTable, jumpablePages, pager, TABLE_PAGE_SIZE } from './table.js';
import { threadListView, threadView, traceListView, traceView } from './traces.js';

/**
 * The page's entry point: the generation list with its filters, the hash route `#/g/<id>` for one generation (with
 * its trace's step tree beside it), and `#/traces...`, `#/threads...` and `#/experiments...`, which take the whole page.
 */

const list = byId<HTMLOListElement>('generation-list');
const listStatus = byId('list-status');
const loadMore = byId<HTMLButtonElement>('load-more');
const tableSlot = byId('table-slot');
const filtersSummary = byId('filters-summary');
const viewButtons = document.querySelectorAll<HTMLButtonElement>('.view-toggle button');
const filters = byId<HTMLFormElement>('filters');
const sortSelect = byId<HTMLSelectElement>('filter-sort');
const detail = byId('detail');
const layout = byId('layout');
const experiments = byId('experiments');
const traces = byId('traces');
const viewLinks = document.querySelectorAll<HTMLAnchorElement>('.view-link');
const replayThese = byId<HTMLButtonElement>('replay-these');
const providerStatus = byId('provider-status');
const jaegerLink = byId<HTMLAnchorElement>('jaeger-link');
const auth = byId('auth');
const authForm = byId<HTMLFormElement>('auth-form');
const authToken = byId<HTMLInputElement>('auth-token');
const authError = byId('auth-error');

/** The server's answer to `/api/playground/config`; null until it is read (or when it cannot be). */
let config: PlaygroundConfig | null = null;
let query: ListQuery = {};
let nextCursor: string | null = null;
/** How the list is shown, and the table's page (1-based). */
let view: ListView = 'cards';
let tablePage = 1;
/**
 * The cursor that fetches each table page reached so far (page 1: none), for the current query: a jump walks the
 * list's cursor from the nearest page known, `LIST_PAGE_SIZE.max` generations a request.
 */
let pageCursors = new Map<number, string | null>([[1, null]]);
let pageCursorsQuery = '';
let currentId: string | null = null;
/** Ignores answers to requests a newer one has replaced. */
let listRequest = 0;
let detailRequest = 0;
/** The whole-page view on show (an experiment's may be polling), left when the route changes. */
let pageView: View | null = null;
/** Whether the list was loaded since the page (re)started: it waits until it is shown, so an experiment opens sooner. */
let listLoaded = false;

/** On a 401, asks for the token; a token this tab already sent was refused, and the form says so. */
function needsToken(error: unknown): boolean {
  if (!(error instanceof ApiError && error.status === 401)) return false;
  const rejected = storedToken() !== null;
  authError.textContent = rejected ? 'The server rejected this token. Check it against the --token the server was started with.' : '';
  authError.hidden = !rejected;
  if (rejected) authToken.setAttribute('aria-invalid', 'true');
  else authToken.removeAttribute('aria-invalid');
  auth.hidden = false;
  authToken.focus();
  return true;
}

/** What stands in for data a 401 withheld. */
function tokenNeeded(): string {
  return storedToken() === null ? 'A token is needed.' : 'The token was rejected.';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads the filter form, whose fields are named as the query parameters; times are the browser's local time, sent as ISO-8601 UTC. */
function readFilters(): ListQuery {
  const data = new FormData(filters);
  const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
  const time = (name: string) => {
    const value = text(name);
    if (!value) return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  };
  const field = LIST_QUERY_PARAMETERS;
  const sort = text(field.sort);
  return {
    q: text(field.q),
    model: text(field.model),
    provider: text(field.provider),
    serviceName: text(field.serviceName),
    tag: text(field.tag),
    errorsOnly: data.get(field.errorsOnly) === 'on' || undefined,
    from: time(field.from),
    to: time(field.to),
    sort: isListSort(sort) && sort !== DEFAULT_LIST_SORT ? sort : undefined,
  };
}

function isListSort(value: string | undefined): value is ListSort {
  return value !== undefined && Object.hasOwn(LIST_SORTS, value);
}

/** The sort choices, from the list's one table of orders; the first, the default, is what Clear goes back to. */
function fillSortChoices(): void {
  replaceChildren(sortSelect, ...Object.entries(LIST_SORTS).map(([value, label]) => h('option', { value }, label)));
}

/** Names the list's order for assistive technology, as the sort choice reads. */
function labelList(sort: ListSort = DEFAULT_LIST_SORT): void {
  list.setAttribute('aria-label', `Generations, ${LIST_SORTS[sort].toLowerCase()}`);
}

function listItem(item: GenerationItem): HTMLElement {
  const generation = wireOf(item);
  const preview = previewText(generation).replace(/\s+/g, ' ').trim();
  const tags = generation.tags ?? [];
  return h(
    'li',
    null,
    h(
      'a',
      {
        class: 'item',
        href: `#/g/${encodeURIComponent(item.id)}`,
        'data-id': item.id,
        'aria-current': item.id === currentId ? 'true' : null,
      },
      h(
        'span',
        { class: 'item-top' },
        typeBadge(generation),
        h('span', { class: 'item-model' }, generation.model ?? '(no model)'),
        generation.error || item.status.code === StatusCode.ERROR ? h('span', { class: 'badge badge-error' }, 'Error') : null,
        rerunOrigin(generation) ? h('span', { class: 'badge badge-rerun' }, 'Re-run') : null,
      ),
      h('span', { class: 'item-preview', dir: 'auto' }, preview.length > 160 ? `${preview.slice(0, 160)}…` : preview || '(no prompt)'),
      h(
        'span',
        { class: 'item-meta' },
        [generation.provider, item.serviceName].filter(Boolean).join(' · '),
        ' · ',
        formatTime(item.startTime),
        item.cost
          ? h('span', { class: 'item-cost', title: describeCost(item.cost) }, ` · ${formatCost(item.cost.total, item.cost.currency)}`)
          : null,
        tags.length > 0
          ? h(
              'span',
              { class: 'item-tags' },
              tags.map((tag) => h('span', { class: 'tag', dir: 'auto' }, tag)),
            )
          : null,
      ),
    ),
  );
}

const VIEW_KEY = 'genspan.listView';

/** The view this browser last chose (cards when none, or when storage is off). */
function rememberedView(): ListView {
  try {
    const stored = localStorage.getItem(VIEW_KEY);
    return (LIST_VIEWS as readonly (string | null)[]).includes(stored) ? (stored as ListView) : 'cards';
  } catch {
    return 'cards';
  }
}

function rememberView(chosen: ListView): void {
  try {
    localStorage.setItem(VIEW_KEY, chosen);
  } catch {
    // Storage off: the URL still holds the view.
  }
}

function listState(): ListState {
  return { query, view, page: view === 'table' ? tablePage : 1 };
}

/** Records the list's state in the URL as a new history entry, so back and forward step through it. */
function pushListState(): void {
  const search = listStateSearch(listState());
  if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}${location.hash}`);
  shownSearch = location.search;
}

/** The query string the list on show was read from or written to: back and forward to another one reload the list. */
let shownSearch = '';

/** A time as `datetime-local` shows it: the browser's local time, to the second. */
function localInputTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Puts a query into the filter form, field by field (values as properties: text stays text). */
function fillFilters(filled: ListQuery): void {
  const field = LIST_QUERY_PARAMETERS;
  const set = (name: string, value: string | undefined) => {
    const input = filters.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    if (input) input.value = value ?? '';
  };
  set(field.q, filled.q);
  set(field.model, filled.model);
  set(field.provider, filled.provider);
  set(field.serviceName, filled.serviceName);
  set(field.tag, filled.tag);
  set(field.from, localInputTime(filled.from));
  set(field.to, localInputTime(filled.to));
  set(field.sort, filled.sort ?? DEFAULT_LIST_SORT);
  (filters.elements.namedItem(field.errorsOnly) as HTMLInputElement).checked = filled.errorsOnly === true;
  showActiveFilters();
}

/** The filters' summary says how many are set, so a collapsed panel still tells. */
function showActiveFilters(): void {
  const active = Object.entries(query).filter(([name, value]) => name !== 'sort' && value !== undefined && value !== '').length;
  filtersSummary.textContent = active > 0 ? `Filters (${active} active)` : 'Filters';
}

/** Shows the list as the URL now says (back and forward). */
function applyUrlState(): void {
  startListState();
  void loadList(false);
}

function showView(): void {
  document.body.classList.toggle('table-view', view === 'table');
  for (const button of viewButtons) button.setAttribute('aria-pressed', String(button.dataset.view === view));
  list.hidden = view === 'table';
  tableSlot.hidden = view !== 'table';
  if (view === 'table') loadMore.hidden = true;
}

/** Suggestions of a filter field: its values among the generations the other filters match, with their counts. */
const suggestionRequests = new Map<FacetField, number>();
async function suggest(field: FacetField, suggestions: Suggestions): Promise<void> {
  const request = (suggestionRequests.get(field) ?? 0) + 1;
  suggestionRequests.set(field, request);
  try {
    const facets = await fetchFacets(field, readFilters());
    if (suggestionRequests.get(field) === request) suggestions.offer(facets.values, facets.exact);
  } catch (error) {
    // Suggestions are a convenience: the field still takes any text, and the list reports what the server says.
    if (suggestionRequests.get(field) === request) suggestions.offer([], true);
    needsToken(error);
  }
}

/** Keeps what each page's cursor is for the current query only. */
function cursorsForQuery(): Map<number, string | null> {
  const key = listQueryString(query);
  if (key !== pageCursorsQuery) {
    pageCursors = new Map([[1, null]]);
    pageCursorsQuery = key;
  }
  return pageCursors;
}

/**
 * The cursor of table page `page`, walking from the nearest page whose cursor is known; when the list ends before it,
 * the last page there is instead. Null when `request` was replaced meanwhile.
 */
async function cursorOfPage(page: number, request: number): Promise<{ page: number; cursor: string | null } | null> {
  const cursors = cursorsForQuery();
  const perRequest = LIST_PAGE_SIZE.max / TABLE_PAGE_SIZE;
  let known = Math.max(...[...cursors.keys()].filter((each) => each <= page));
  while (known < page) {
    const pages = Math.min(page - known, perRequest);
    const walked = await fetchList({ ...query, cursor: cursors.get(known) ?? undefined }, pages * TABLE_PAGE_SIZE);
    if (request !== listRequest) return null;
    if (!walked.nextCursor) {
      const last = known + Math.max(1, Math.ceil(walked.items.length / TABLE_PAGE_SIZE)) - 1;
      return last === known ? { page: known, cursor: cursors.get(known) ?? null } : cursorOfPage(last, request);
    }
    known += pages;
    cursors.set(known, walked.nextCursor);
  }
  return { page, cursor: cursors.get(page) ?? null };
}

/** The element with focus, by its focus key, when it is one a re-render replaces. */
function focusedKey(): string | undefined {
  const active = document.activeElement;
  return active instanceof HTMLElement && tableSlot.contains(active) ? active.dataset.focusKey : undefined;
}

function restoreFocus(key: string | undefined): void {
  if (!key) return;
  const again = tableSlot.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`);
  (again && !(again as HTMLButtonElement).disabled ? again : tableSlot.querySelector<HTMLElement>('.table-scroll'))?.focus();
}

function tableStatus(total: ListTotal, page: number, count: number): string {
  if (count === 0) return 'No generations match.';
  const pages = total.exact ? ` of ${jumpablePages(total).toLocaleString()}` : '';
  return `${describeTotal(total)} · page ${page.toLocaleString()}${pages}`;
}

async function loadTable(): Promise<void> {
  const request = ++listRequest;
  listStatus.textContent = 'Loading…';
  tableSlot.setAttribute('aria-busy', 'true');
  try {
    const target = await cursorOfPage(tablePage, request);
    if (!target) return;
    const result = await fetchList({ ...query, cursor: target.cursor ?? undefined }, TABLE_PAGE_SIZE);
    if (request !== listRequest) return;
    if (target.page !== tablePage) {
      // The list ended before the page asked for: its last page stands in, and the URL says so.
      tablePage = target.page;
      history.replaceState(null, '', `${location.pathname}${listStateSearch(listState())}${location.hash}`);
      shownSearch = location.search;
    }
    if (result.nextCursor) cursorsForQuery().set(tablePage + 1, result.nextCursor);
    const focus = focusedKey();
    const sort = query.sort ?? DEFAULT_LIST_SORT;
    replaceChildren(
      tableSlot,
      generationTable(result.items, {
        sort,
        currentId,
        label: `Generations, ${LIST_SORTS[sort].toLowerCase()}, page ${tablePage}`,
        onSort: (chosen) => {
          query = { ...query, sort: chosen === DEFAULT_LIST_SORT ? undefined : chosen };
          sortSelect.value = chosen;
          labelList(chosen);
          tablePage = 1;
          pushListState();
          void loadList(false);
        },
      }),
      result.items.length > 0 || tablePage > 1
        ? pager({
            page: tablePage,
            last: Math.max(jumpablePages(result.total), tablePage),
            exact: result.total.exact,
            hasNext: result.nextCursor !== null,
            onPage: (chosen) => {
              if (chosen === tablePage) return;
              tablePage = chosen;
              pushListState();
              void loadList(false);
            },
          })
        : null,
    );
    restoreFocus(focus);
    listStatus.textContent = tableStatus(result.total, tablePage, result.items.length);
  } catch (error) {
    if (request !== listRequest) return;
    listStatus.textContent = needsToken(error) ? tokenNeeded() : `Could not load generations: ${message(error)}`;
  } finally {
    if (request === listRequest) tableSlot.removeAttribute('aria-busy');
  }
}

async function loadList(append: boolean): Promise<void> {
  if (view === 'table') return loadTable();
  const request = ++listRequest;
  listStatus.textContent = 'Loading…';
  loadMore.disabled = true;
  try {
    const page = await fetchList(append && nextCursor ? { ...query, cursor: nextCursor } : query);
    if (request !== listRequest) return;
    if (!append) list.replaceChildren();
    for (const item of page.items) list.append(listItem(item));
    nextCursor = page.nextCursor;
    loadMore.hidden = !nextCursor;
    const count = list.childElementCount;
    listStatus.textContent =
      count === 0 ? 'No generations match.' : `${count} generation${count === 1 ? '' : 's'}${nextCursor ? ' (more to load)' : ''}`;
  } catch (error) {
    if (request !== listRequest) return;
    listStatus.textContent = needsToken(error) ? tokenNeeded() : `Could not load generations: ${message(error)}`;
  } finally {
    loadMore.disabled = false;
  }
}

function markCurrent(): void {
  for (const item of list.querySelectorAll<HTMLElement>('a.item, tr[data-id]')) {
    if (item.dataset.id === currentId) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
  for (const row of tableSlot.querySelectorAll<HTMLElement>('tr[data-id]')) {
    if (row.dataset.id === currentId) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}

function showPlaceholder(): void {
  currentId = null;
  document.body.classList.remove('showing-detail');
  markCurrent();
  replaceChildren(
    detail,
    h('p', { class: 'placeholder' }, 'Choose a generation to see its prompt, completion, settings and timings, and to run it again.'),
  );
}

async function openGeneration(id: string, focus: boolean): Promise<void> {
  const request = ++detailRequest;
  currentId = id;
  document.body.classList.add('showing-detail');
  markCurrent();
  replaceChildren(detail, h('p', { class: 'placeholder', role: 'status' }, 'Loading…'));
  let item: GenerationItem;
  try {
    item = await fetchGeneration(id);
  } catch (error) {
    if (request !== detailRequest) return;
    const text = needsToken(error)
      ? tokenNeeded()
      : error instanceof ApiError && error.status === 404
        ? 'No such generation.'
        : message(error);
    replaceChildren(detail, backLink(), h('p', { class: 'error-box' }, text));
    return;
  }
  if (request !== detailRequest) return;
  const origin = rerunOrigin(wireOf(item));
  const originSlot = h('div', { class: 'origin-slot' });
  const traceSlot = h('aside', {
    class: 'trace-slot',
    'aria-label': 'Its trace',
    'aria-busy': 'true',
    'data-trace-id': item.traceId,
    props: { hidden: true },
  });
  replaceChildren(
    detail,
    backLink(),
    h(
      'div',
      { class: 'generation-context' },
      traceSlot,
      h(
        'div',
        { class: 'generation-main' },
        generationView(item),
        originSlot,
        editorView(item, {
          config,
          onStored: () => void loadList(false),
        }),
      ),
    ),
  );
  showTrace(item, traceSlot, request);
  if (origin) {
    fetchGeneration(origin.id)
      .then((original) => {
        if (request === detailRequest) replaceChildren(originSlot, originComparison(original, item));
      })
      .catch(() => {
        if (request === detailRequest)
          replaceChildren(originSlot, h('p', { class: 'muted' }, 'The original generation is no longer stored.'));
      });
  }
  if (focus) document.getElementById('generation-title')?.focus();
}

/**
 * The generation's trace beside it, once read. The slot stays hidden for a generation stored without steps, and for a
 * trace that is only the generation's own step: a tree of one would add nothing.
 */
function showTrace(item: GenerationItem, slot: HTMLElement, request: number): void {
  fetchTrace(item.traceId)
    .then((trace) => {
      if (request !== detailRequest) return;
      slot.removeAttribute('aria-busy');
      if (trace.steps.every((step) => step.id === item.id || step.generationId === item.id)) return;
      replaceChildren(
        slot,
        h(
          'h3',
          { class: 'trace-slot-title' },
          h('a', { href: `#/traces/${encodeURIComponent(trace.traceId)}` }, 'Trace'),
          trace.threadId ? h('a', { href: `#/threads/${encodeURIComponent(trace.threadId)}`, class: 'thread-link' }, 'Its thread') : null,
        ),
        traceExplorer(trace, { generationId: item.id, placeholder: 'Choose a step to see its input and output.' }),
      );
      slot.hidden = false;
      revealCurrentStep(slot);
    })
    .catch((error: unknown) => {
      if (request !== detailRequest) return;
      slot.removeAttribute('aria-busy');
      if (error instanceof ApiError && error.status === 404) return;
      replaceChildren(slot, h('p', { class: 'error-box' }, `Could not load the trace: ${message(error)}`));
      slot.hidden = false;
    });
}

function backLink(): HTMLElement {
  return h('p', { class: 'back' }, h('a', { href: '#/' }, '← All generations'));
}

/** Shows a whole-page view (in the experiments' or the traces' section) in place of the list and detail, or none. */
function showPage(view: View | null, section: HTMLElement | null, focus: boolean): void {
  pageView?.leave();
  pageView = view;
  layout.hidden = view !== null;
  for (const each of [experiments, traces]) {
    each.hidden = each !== section;
    replaceChildren(each, each === section ? view?.element : null);
  }
  if (view && focus) view.element.querySelector<HTMLElement>('h2')?.focus();
}

/** Marks the top bar's link to the view on show. */
function markView(name: string): void {
  for (const link of viewLinks) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** A whole-page route: its name and the id after it (`#/traces/<id>`), or null for the generations' routes. */
function pageRoute(hash: string): { name: 'experiments' | 'traces' | 'threads'; id: string | null } | null {
  const match = /^#\/(experiments|traces|threads)(?:\/(.+))?$/.exec(hash);
  if (!match) return null;
  return { name: match[1] as 'experiments' | 'traces' | 'threads', id: match[2] ? decodeURIComponent(match[2]) : null };
}

function route(focus: boolean): void {
  const whole = pageRoute(location.hash);
  const context = { config, describeError: (error: unknown) => (needsToken(error) ? tokenNeeded() : message(error)) };
  if (whole) {
    markView(whole.name);
    const { id } = whole;
    if (whole.name === 'experiments') {
      const view =
        id === null ? experimentListView(context) : id === 'new' ? newExperimentView(query, context) : experimentView(id, context);
      showPage(view, experiments, focus);
    } else if (whole.name === 'traces') showPage(id === null ? traceListView(context) : traceView(id, context), traces, focus);
    else showPage(id === null ? threadListView(context) : threadView(id, context), traces, focus);
    return;
  }
  markView('generations');
  showPage(null, null, false);
  if (!listLoaded) {
    listLoaded = true;
    void loadList(false);
  }
  const match = /^#\/g\/(.+)$/.exec(location.hash);
  if (match) void openGeneration(decodeURIComponent(match[1]), focus);
  else showPlaceholder();
}

function showConfig(loaded: PlaygroundConfig): void {
  providerStatus.textContent = loaded.provider.configured ? `Re-runs: ${loaded.provider.url ?? ''}` : 'Re-runs off: no provider configured';
  providerStatus.classList.toggle('off', !loaded.provider.configured);
  const jaeger = safeHref(loaded.jaegerUrl);
  if (jaeger) jaegerLink.href = jaeger;
  jaegerLink.hidden = !jaeger;
}

async function loadConfig(): Promise<void> {
  try {
    config = await fetchConfig();
  } catch (error) {
    config = null;
    providerStatus.textContent = needsToken(error) ? '' : `Could not read the playground configuration: ${message(error)}`;
    providerStatus.classList.add('off');
    return;
  }
  showConfig(config);
}

async function start(): Promise<void> {
  await loadConfig();
  listLoaded = false;
  route(false);
}

/** The list's state as the URL holds it, before anything loads. */
function startListState(): void {
  shownSearch = location.search;
  const state = readListState(location.search);
  query = state.query;
  view = state.view ?? rememberedView();
  tablePage = state.page;
  fillFilters(query);
  labelList(query.sort);
  showView();
}

filters.addEventListener('submit', (event) => {
  event.preventDefault();
  query = readFilters();
  labelList(query.sort);
  showActiveFilters();
  tablePage = 1;
  pushListState();
  void loadList(false);
});
filters.addEventListener('reset', () => {
  query = {};
  labelList();
  showActiveFilters();
  tablePage = 1;
  pushListState();
  void loadList(false);
});
for (const button of viewButtons) {
  button.addEventListener('click', () => {
    const chosen = button.dataset.view as ListView;
    if (chosen === view) return;
    view = chosen;
    rememberView(chosen);
    pushListState();
    showView();
    void loadList(false);
  });
}
for (const [field, filterField] of Object.entries(FACET_FIELDS) as [FacetField, keyof typeof LIST_QUERY_PARAMETERS][]) {
  const input = filters.elements.namedItem(LIST_QUERY_PARAMETERS[filterField]) as HTMLInputElement;
  const suggestions: Suggestions = attachSuggestions(input, () => void suggest(field, suggestions));
}
window.addEventListener('popstate', () => {
  if (location.search !== shownSearch) applyUrlState();
});
loadMore.addEventListener('click', () => void loadList(true));
replayThese.addEventListener('click', () => {
  location.hash = '#/experiments/new';
});
authForm.addEventListener('submit', (event) => {
  event.preventDefault();
  storeToken(authToken.value);
  authToken.value = '';
  authToken.removeAttribute('aria-invalid');
  authError.hidden = true;
  authError.textContent = '';
  auth.hidden = true;
  fillSortChoices();
  void start();
});
window.addEventListener('hashchange', () => route(true));

fillSortChoices();
startListState();
void start();
