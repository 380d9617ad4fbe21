import { formatCost } from '../generation/cost-format.js';
import { summarizeColumn } from '../generation/experiment-summary.js';
import type { ExperimentCell, ExperimentColumn, ExperimentRow } from '../generation/rest.js';
import { MAX_VARIANTS } from '../generation/variant.js';
import {
  cancelExperiment,
  type Experiment,
  type ExperimentDetail,
  type ExperimentRequest,
  fetchExperiment,
  fetchExperiments,
  type ListQuery,
  type PlaygroundConfig,
  startExperiment,
} from './api.js';
import { formatTime } from './detail.js';
import { type Child, h, replaceChildren, uniqueId } from './dom.js';

/**
 * The experiments' pages: the list (`#/experiments`), a new experiment over the list's filters
 * (`#/experiments/new`), and one experiment's results side by side (`#/experiments/<id>`), polled while it runs.
 */

/** What the views need from the page: the server's configuration, and how to word an error (a 401 asks for the token). */
export interface ExperimentsContext {
  config: PlaygroundConfig | null;
  describeError(error: unknown): string;
}

/** A view that may keep working after it is shown (polling); `leave` stops it. */
export interface View {
  element: HTMLElement;
  leave(): void;
}

/** How often a running experiment is read again. */
const POLL_MS = 1000;
/** An output longer than this (or than FOLD_LINES lines) is folded, with a button to show it all. */
const FOLD_CHARS = 240;
const FOLD_LINES = 3;
/** Rows drawn at first, and more on each "Show more": a thousand rows of five cells take seconds to lay out. */
const PAGE_ROWS = 100;

const SORT_METRICS = [
  { key: 'latencyMs', label: 'latency' },
  { key: 'cost', label: 'cost' },
  { key: 'tokens', label: 'tokens' },
] as const;
type SortMetric = (typeof SORT_METRICS)[number]['key'];

/** Whether the experiment may still change: pending or running. */
function isActive(experiment: Experiment): boolean {
  return experiment.status === 'pending' || experiment.status === 'running';
}

function percent(share: number | null): string {
  return share === null ? '—' : `${Number((share * 100).toFixed(1))}%`;
}

function ms(value: number | null): string {
  return value === null ? '—' : `${Math.round(value).toLocaleString('en-US')} ms`;
}

function num(value: number | null, digits = 0): string {
  return value === null ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function progressText(experiment: Experiment): string {
  const { done, total, errors } = experiment.progress;
  return `${done} of ${total} done${errors > 0 ? `, ${errors} error${errors === 1 ? '' : 's'}` : ''}`;
}

function statusBadge(experiment: Experiment): HTMLElement {
  return h('span', { class: `badge status status-${experiment.status}` }, experiment.status);
}

function variantLabel(experiment: Experiment, index: number): string {
  const variant = experiment.variants[index];
  return `Variant ${index + 1}: ${variant.model} · ${variant.provider}`;
}

// The list.

/** `#/experiments`: every experiment, newest first. */
export function experimentListView(context: ExperimentsContext): View {
  const body = h('div', { class: 'experiment-list-body' }, h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  const element = h(
    'div',
    { class: 'experiments-page' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All generations')),
    h('h2', { id: 'experiments-title', class: 'page-title', tabindex: '-1' }, 'Experiments'),
    h('p', { class: 'muted' }, 'To start one, filter the generation list and choose “Replay these”.'),
    body,
  );
  fetchExperiments()
    .then(({ items }) => {
      if (items.length === 0) return replaceChildren(body, h('p', { class: 'empty' }, 'No experiments yet.'));
      replaceChildren(
        body,
        h(
          'div',
          { class: 'table-box' },
          h(
            'table',
            { class: 'experiment-list' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Name', 'Status', 'Progress', 'Created'].map((label) => h('th', { scope: 'col', class: 'table-cell' }, label)),
              ),
            ),
            h(
              'tbody',
              null,
              items.map((experiment) =>
                h(
                  'tr',
                  { 'data-id': experiment.id },
                  h(
                    'td',
                    { class: 'table-cell' },
                    h('a', { href: `#/experiments/${encodeURIComponent(experiment.id)}`, dir: 'auto' }, experiment.name),
                  ),
                  h('td', { class: 'table-cell' }, statusBadge(experiment)),
                  h('td', { class: 'table-cell' }, progressText(experiment)),
                  h('td', { class: 'table-cell' }, formatTime(experiment.createdTime)),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((error) => replaceChildren(body, h('p', { class: 'error-box' }, context.describeError(error))));
  return { element, leave: () => undefined };
}

// One experiment.

interface ViewState {
  sort: { column: number; metric: SortMetric; descending: boolean } | null;
  errorsOnly: boolean;
  differsOnly: boolean;
  /** Cells shown whole, by `sourceId:column`. */
  expanded: Set<string>;
  /** How many of the rows that pass the filters are drawn. */
  limit: number;
}

/** Column -1 is the original's; 0... the variants'. */
function cellAt(row: ExperimentRow, column: number): ExperimentCell | null {
  return column < 0 ? row.original : row.results[column];
}

function hasError(row: ExperimentRow): boolean {
  return row.results.some((cell) => cell?.error != null) || row.original?.error != null;
}

function differs(row: ExperimentRow): boolean {
  const original = row.original?.output ?? null;
  return row.results.some((cell) => cell !== null && cell.output !== original);
}

/** The rows shown, filtered and sorted; cells without the figure sort last either way. */
export function visibleRows(
  rows: readonly ExperimentRow[],
  state: Pick<ViewState, 'sort' | 'errorsOnly' | 'differsOnly'>,
): ExperimentRow[] {
  const shown = rows.filter((row) => (!state.errorsOnly || hasError(row)) && (!state.differsOnly || differs(row)));
  const { sort } = state;
  if (!sort) return shown;
  const value = (row: ExperimentRow) => cellAt(row, sort.column)?.[sort.metric] ?? null;
  return shown.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return sort.descending ? y - x : x - y;
  });
}

function outputBlock(cell: ExperimentCell, key: string, state: ViewState): Child {
  if (cell.output === null) return null;
  const long = cell.output.length > FOLD_CHARS || cell.output.split('\n', FOLD_LINES + 1).length > FOLD_LINES;
  const pre = h('pre', { class: 'cell-output', dir: 'auto' }, cell.output);
  if (!long) return pre;
  const toggle = h('button', { type: 'button', class: 'link-button fold-toggle' });
  const show = (expanded: boolean) => {
    pre.classList.toggle('folded', !expanded);
    toggle.textContent = expanded ? 'Show less' : 'Show all';
    toggle.setAttribute('aria-expanded', String(expanded));
    if (expanded) state.expanded.add(key);
    else state.expanded.delete(key);
  };
  toggle.addEventListener('click', () => show(pre.classList.contains('folded')));
  show(state.expanded.has(key));
  return [pre, toggle];
}

function cellView(cell: ExperimentCell | null, key: string, column: number, state: ViewState): HTMLElement {
  if (!cell) return h('td', { class: 'table-cell cell cell-pending', 'data-column': column }, h('span', { class: 'muted' }, 'waiting'));
  return h(
    'td',
    { class: `table-cell cell${cell.error ? ' cell-error' : ''}`, 'data-column': column },
    outputBlock(cell, key, state),
    cell.error ? h('p', { class: 'cell-error-text', dir: 'auto' }, cell.error) : null,
    h(
      'p',
      { class: 'cell-metrics' },
      h('span', { class: 'metric-tokens' }, `${num(cell.tokens)} tok`),
      ' · ',
      h('span', { class: 'metric-latency' }, ms(cell.latencyMs)),
      ' · ',
      h('span', { class: 'metric-cost' }, formatCost(cell.cost)),
      cell.generationId
        ? [' · ', h('a', { href: `#/g/${encodeURIComponent(cell.generationId)}`, class: 'open-generation' }, 'Open')]
        : null,
    ),
  );
}

function rowView(row: ExperimentRow, state: ViewState): HTMLElement {
  return h(
    'tr',
    { 'data-source': row.sourceId },
    cellView(row.original, `${row.sourceId}:-1`, -1, state),
    row.results.map((cell, index) => cellView(cell, `${row.sourceId}:${index}`, index, state)),
  );
}

const TOTALS: { key: string; label: string; value: (column: ExperimentColumn) => string }[] = [
  { key: 'results', label: 'Results', value: (c) => num(c.results) },
  { key: 'errors', label: 'Error rate', value: (c) => `${percent(c.errorRate)} (${num(c.errors)})` },
  { key: 'tokens', label: 'Tokens (total / mean)', value: (c) => `${num(c.tokens.total)} / ${num(c.tokens.mean, 1)}` },
  { key: 'cost', label: 'Cost (total / mean)', value: (c) => `${formatCost(c.cost.total)} / ${formatCost(c.cost.mean)}` },
  { key: 'latency', label: 'Latency (p50 / p95)', value: (c) => `${ms(c.latencyMs.p50)} / ${ms(c.latencyMs.p95)}` },
  { key: 'identical', label: 'Identical to original', value: (c) => percent(c.identicalShare) },
  { key: 'json', label: 'Valid JSON', value: (c) => percent(c.validJsonShare) },
];

/**
 * The columns' totals over the rows shown: the server's when no filter hides a row, else summed here alike (the
 * server's column says whether the variant expects JSON).
 */
function columnsOf(detail: ExperimentDetail, rows: readonly ExperimentRow[], filtered: boolean): ExperimentColumn[] {
  if (!filtered) return [detail.original, ...detail.variants];
  const originals = rows.flatMap((row) => (row.original ? [row.original] : []));
  return [
    summarizeColumn(originals),
    ...detail.variants.map((column, index) => {
      const ran = rows.filter((row) => row.results[index] !== null);
      return summarizeColumn(
        ran.map((row) => row.results[index] as ExperimentCell),
        ran.map((row) => row.original),
        column.validJsonShare !== null,
      );
    }),
  ];
}

function totalsView(columns: readonly ExperimentColumn[]): HTMLElement {
  return h(
    'tfoot',
    null,
    TOTALS.map((total) =>
      h(
        'tr',
        { 'data-total': total.key },
        columns.map((column, index) =>
          h(
            'td',
            { class: 'table-cell total-cell', 'data-column': index - 1 },
            h('span', { class: 'total-label' }, total.label),
            ' ',
            h('span', { class: 'total-value' }, total.value(column)),
          ),
        ),
      ),
    ),
  );
}

function sortControls(experiment: Experiment, state: ViewState, render: () => void): HTMLElement {
  const sortId = uniqueId('sort');
  const orderId = uniqueId('order');
  const columns = [{ index: -1, label: 'Original' }, ...experiment.variants.map((_, index) => ({ index, label: `Variant ${index + 1}` }))];
  const sortSelect = h(
    'select',
    { id: sortId },
    h('option', { value: '' }, 'Source order'),
    columns.flatMap((column) =>
      SORT_METRICS.map((metric) => h('option', { value: `${column.index}:${metric.key}` }, `${column.label} ${metric.label}`)),
    ),
  );
  const orderSelect = h(
    'select',
    { id: orderId },
    h('option', { value: 'asc' }, 'Lowest first'),
    h('option', { value: 'desc' }, 'Highest first'),
  );
  const readSort = () => {
    const [column, metric] = sortSelect.value.split(':');
    state.sort = sortSelect.value
      ? { column: Number(column), metric: metric as SortMetric, descending: orderSelect.value === 'desc' }
      : null;
    render();
  };
  sortSelect.addEventListener('change', readSort);
  orderSelect.addEventListener('change', readSort);
  const check = (label: string, set: (on: boolean) => void) => {
    const id = uniqueId('filter');
    const input = h('input', { id, type: 'checkbox' });
    input.addEventListener('change', () => {
      set(input.checked);
      render();
    });
    return h('div', { class: 'field field-check' }, input, h('label', { for: id }, label));
  };
  return h(
    'div',
    { class: 'experiment-controls' },
    h('div', { class: 'field' }, h('label', { for: sortId }, 'Sort rows by'), sortSelect),
    h('div', { class: 'field' }, h('label', { for: orderId }, 'Order'), orderSelect),
    check('Errors only', (on) => {
      state.errorsOnly = on;
    }),
    check('Differs from original', (on) => {
      state.differsOnly = on;
    }),
  );
}

/** `#/experiments/<id>`: the results side by side, with the columns' totals; read again every second while it runs. */
export function experimentView(id: string, context: ExperimentsContext): View {
  const state: ViewState = { sort: null, errorsOnly: false, differsOnly: false, expanded: new Set(), limit: PAGE_ROWS };
  // The title is there from the start, so the route can focus it before the experiment is read.
  const title = h('h2', { id: 'experiment-title', class: 'page-title', tabindex: '-1', dir: 'auto' }, 'Loading…');
  const created = h('p', { class: 'muted' });
  const header = h('div', { class: 'experiment-header' }, title, created);
  const progress = h('div', { class: 'experiment-progress', role: 'status', 'aria-live': 'polite' });
  const controlsSlot = h('div');
  const rowCount = h('p', { class: 'row-count muted', role: 'status' });
  const tableBox = h('div', { class: 'table-box experiment-table-box', tabindex: '0', 'aria-label': 'Results (scrolls sideways)' });
  const showMore = h('button', { type: 'button', class: 'secondary show-more-rows', hidden: true });
  const element = h(
    'div',
    { class: 'experiments-page' },
    h('p', { class: 'back' }, h('a', { href: '#/experiments' }, '← All experiments')),
    header,
    progress,
    controlsSlot,
    rowCount,
    tableBox,
    showMore,
  );
  let detail: ExperimentDetail | null = null;
  showMore.addEventListener('click', () => {
    state.limit += PAGE_ROWS;
    renderTable();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let left = false;

  const renderTable = () => {
    if (!detail) return;
    const { experiment } = detail;
    const rows = visibleRows(detail.rows, state);
    const filtered = state.errorsOnly || state.differsOnly;
    const drawn = rows.slice(0, state.limit);
    const all = `${detail.rows.length} source generation${detail.rows.length === 1 ? '' : 's'}`;
    rowCount.textContent =
      drawn.length < rows.length ? `${drawn.length} shown of ${rows.length} matching, of ${all}` : `${rows.length} of ${all}`;
    showMore.hidden = drawn.length === rows.length;
    showMore.textContent = `Show ${Math.min(PAGE_ROWS, rows.length - drawn.length)} more rows`;
    replaceChildren(
      tableBox,
      h(
        'table',
        { class: 'experiment-table', 'aria-labelledby': 'experiment-title' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col', class: 'table-cell column-head', 'data-column': -1 }, 'Original'),
            experiment.variants.map((_, index) =>
              h(
                'th',
                { scope: 'col', class: 'table-cell column-head', 'data-column': index, dir: 'auto' },
                variantLabel(experiment, index),
              ),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          drawn.map((row) => rowView(row, state)),
        ),
        totalsView(columnsOf(detail, rows, filtered)),
      ),
    );
  };

  const renderProgress = (experiment: Experiment) => {
    const active = isActive(experiment);
    const cancel = h('button', { type: 'button', class: 'secondary cancel-experiment' }, 'Cancel');
    cancel.addEventListener('click', () => {
      cancel.disabled = true;
      cancelExperiment(experiment.id)
        .then(() => poll())
        .catch((error) => {
          cancel.disabled = false;
          progress.append(h('p', { class: 'error-box', role: 'alert' }, context.describeError(error)));
        });
    });
    replaceChildren(
      progress,
      statusBadge(experiment),
      ' ',
      h('progress', { max: Math.max(1, experiment.progress.total), value: experiment.progress.done, 'aria-label': 'Progress' }),
      ' ',
      h('span', { class: 'progress-text' }, progressText(experiment)),
      active ? [' ', cancel] : null,
      experiment.error ? h('p', { class: 'error-box' }, experiment.error) : null,
    );
  };

  const show = (next: ExperimentDetail) => {
    const first = detail === null;
    const changed =
      first || detail?.experiment.status !== next.experiment.status || detail?.experiment.progress.done !== next.experiment.progress.done;
    detail = next;
    if (first) {
      title.textContent = next.experiment.name;
      replaceChildren(created, 'Created ', formatTime(next.experiment.createdTime));
      replaceChildren(controlsSlot, sortControls(next.experiment, state, renderTable));
    }
    if (changed) {
      renderProgress(next.experiment);
      renderTable();
    }
  };

  const poll = (): Promise<void> =>
    fetchExperiment(id)
      .then((next) => {
        if (left) return;
        show(next);
        clearTimeout(timer);
        if (isActive(next.experiment)) timer = setTimeout(() => void poll(), POLL_MS);
      })
      .catch((error) => {
        if (!left) replaceChildren(created, h('span', { class: 'error-box' }, context.describeError(error)));
      });

  void poll();
  return {
    element,
    leave: () => {
      left = true;
      clearTimeout(timer);
    },
  };
}

// A new experiment.

/** The filter's fields in words, for the form's summary of what it replays. */
function describeQuery(query: ListQuery): string {
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => (value === true ? key : `${key}: ${String(value)}`));
  return parts.length > 0 ? parts.join(', ') : 'no filter (every generation)';
}

/** Parses a JSON object field; the message names the field when it is not one. */
function jsonObjectField(text: string, label: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${label} is not valid JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${label} must be a JSON object.`);
  return value as Record<string, unknown>;
}

interface VariantFields {
  element: HTMLElement;
  /** Names it by its place in the form. */
  number(index: number): void;
  read(): ExperimentRequest['variants'][number];
}

function variantFields(providers: readonly string[], onRemove: () => void): VariantFields {
  const ids = { provider: uniqueId('provider'), model: uniqueId('model'), settings: uniqueId('settings'), format: uniqueId('format') };
  let label = '';
  const legend = h('legend');
  const provider = h(
    'select',
    { id: ids.provider, name: 'provider' },
    providers.map((name) => h('option', { value: name }, name)),
  );
  const model = h('input', { id: ids.model, name: 'model', type: 'text', autocomplete: 'off', required: true });
  const settings = h('textarea', { id: ids.settings, name: 'settings', rows: '2', class: 'code', spellcheck: 'false' });
  settings.value = '{}';
  const format = h('textarea', { id: ids.format, name: 'responseFormat', rows: '2', class: 'code', spellcheck: 'false' });
  const remove = h('button', { type: 'button', class: 'secondary remove-variant' }, 'Remove');
  remove.addEventListener('click', onRemove);
  const element = h(
    'fieldset',
    { class: 'variant-fields' },
    legend,
    h('div', { class: 'field' }, h('label', { for: ids.provider }, 'Provider'), provider),
    h('div', { class: 'field' }, h('label', { for: ids.model }, 'Model'), model),
    h('div', { class: 'field field-wide' }, h('label', { for: ids.settings }, 'Settings (JSON, laid over the source’s)'), settings),
    h('div', { class: 'field field-wide' }, h('label', { for: ids.format }, 'Response format (JSON schema, optional)'), format),
    remove,
  );
  return {
    element,
    number: (index) => {
      label = `Variant ${index + 1}`;
      legend.textContent = label;
      remove.setAttribute('aria-label', `Remove ${label}`);
    },
    read: () => {
      const responseFormat = jsonObjectField(format.value, `${label}'s response format`);
      return {
        provider: provider.value,
        model: model.value.trim(),
        settings: jsonObjectField(settings.value, `${label}'s settings`) ?? {},
        ...(responseFormat ? { responseFormat } : {}),
      };
    },
  };
}

/** `#/experiments/new`: replays the generations the list's filters match through one or more variants. */
export function newExperimentView(query: ListQuery, context: ExperimentsContext): View {
  const providers = context.config?.providers.map((provider) => provider.name) ?? [];
  const back = h('p', { class: 'back' }, h('a', { href: '#/' }, '← All generations'));
  const title = h('h2', { id: 'new-experiment-title', class: 'page-title', tabindex: '-1' }, 'Replay these generations');
  if (providers.length === 0) {
    const text = `No provider is configured for experiments. Start the server with: ${context.config?.configureCommand ?? 'a provider'}`;
    return { element: h('div', { class: 'experiments-page' }, back, title, h('p', { class: 'error-box' }, text)), leave: () => undefined };
  }
  const variantsBox = h('div', { class: 'variants-fields' });
  const variants: VariantFields[] = [];
  const addButton = h('button', { type: 'button', class: 'secondary add-variant' }, 'Add a variant');
  const relayout = () => {
    for (const [index, variant] of variants.entries()) variant.number(index);
    replaceChildren(
      variantsBox,
      variants.map((variant) => variant.element),
    );
    for (const button of variantsBox.querySelectorAll<HTMLButtonElement>('.remove-variant')) button.disabled = variants.length === 1;
    addButton.disabled = variants.length >= MAX_VARIANTS;
  };
  const add = () => {
    const fields: VariantFields = variantFields(providers, () => {
      variants.splice(variants.indexOf(fields), 1);
      relayout();
    });
    variants.push(fields);
    relayout();
    return fields;
  };
  addButton.addEventListener('click', () => {
    add().element.querySelector<HTMLInputElement>('input[name="model"]')?.focus();
  });
  add();
  const nameId = uniqueId('name');
  const limitId = uniqueId('limit');
  const name = h('input', { id: nameId, name: 'name', type: 'text', autocomplete: 'off', maxlength: '200' });
  const limit = h('input', { id: limitId, name: 'limit', type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const problem = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start the experiment');
  const form = h(
    'form',
    { class: 'new-experiment', 'aria-labelledby': 'new-experiment-title' },
    h('p', null, 'Generations matching ', h('strong', { class: 'source-filter', dir: 'auto' }, describeQuery(query)), '.'),
    h('div', { class: 'field' }, h('label', { for: nameId }, 'Name (optional)'), name),
    h('div', { class: 'field' }, h('label', { for: limitId }, 'Only the newest (optional)'), limit),
    variantsBox,
    h('p', null, addButton),
    problem,
    h('p', null, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    problem.hidden = true;
    let request: ExperimentRequest;
    try {
      const count = limit.value.trim() === '' ? undefined : Number(limit.value);
      request = {
        ...(name.value.trim() ? { name: name.value.trim() } : {}),
        source: { filter: { ...query, ...(count === undefined ? {} : { limit: count }) } },
        variants: variants.map((variant) => variant.read()),
      };
    } catch (error) {
      problem.textContent = context.describeError(error);
      problem.hidden = false;
      return;
    }
    submit.disabled = true;
    startExperiment(request)
      .then((experiment) => {
        location.hash = `#/experiments/${encodeURIComponent(experiment.id)}`;
      })
      .catch((error) => {
        submit.disabled = false;
        problem.textContent = context.describeError(error);
        problem.hidden = false;
      });
  });
  return { element: h('div', { class: 'experiments-page' }, back, title, form), leave: () => undefined };
}
