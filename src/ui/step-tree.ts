import type { StepRecord, TraceDetail } from './api.js';
import { foldedText, formatTime, prettyJson } from './detail.js';
import { type Child, h, replaceChildren, uniqueId } from './dom.js';

/**
 * A trace's steps as a tree (name, type, duration, a bar on the trace's time axis, an error mark) and the chosen
 * step's input and output. A keyboard moves through the tree as through any tree widget: arrows, Home, End, Enter.
 */

/** Deeper steps are indented no further, so a deep tree keeps room for its names. */
const MAX_INDENT_LEVELS = 12;
/** The narrowest bar, in percent of the axis, so an instant step still shows where it happened. */
const MIN_BAR_PERCENT = 0.4;

function millis(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** How long a step took, in milliseconds (never negative). */
export function stepDurationMs(step: Pick<StepRecord, 'startTime' | 'endTime'>): number {
  return Math.max(0, millis(step.endTime) - millis(step.startTime));
}

/** A duration as it reads best: `850 ms`, `1.25 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Each step's depth in the tree: its parent's plus one; a step whose parent is not stored starts a root. */
function depths(steps: readonly StepRecord[]): Map<string, number> {
  const depth = new Map<string, number>();
  for (const step of steps) {
    const parent = step.parentId === null ? undefined : depth.get(step.parentId);
    depth.set(step.id, parent === undefined ? 0 : parent + 1);
  }
  return depth;
}

export interface StepTreeOptions {
  /** The step of the generation on show, marked as current. */
  currentId?: string | null;
  /** A step was chosen (clicked, or Enter or Space on it). */
  onChoose(step: StepRecord): void;
}

export interface StepTree {
  element: HTMLElement;
  /** Marks a step as the chosen one. */
  select(id: string | null): void;
}

export function stepTree(trace: TraceDetail, options: StepTreeOptions): StepTree {
  const { steps } = trace;
  const level = depths(steps);
  const start = Math.min(...steps.map((step) => millis(step.startTime)));
  const end = Math.max(...steps.map((step) => millis(step.endTime)));
  const axis = Math.max(1, end - start);

  const items = steps.map((step) => {
    const depth = level.get(step.id) ?? 0;
    const duration = stepDurationMs(step);
    const bar = h('span', { class: 'step-bar' });
    const left = ((millis(step.startTime) - start) / axis) * 100;
    bar.style.setProperty('left', `${Math.min(left, 100 - MIN_BAR_PERCENT)}%`);
    bar.style.setProperty('width', `${Math.max(MIN_BAR_PERCENT, (duration / axis) * 100)}%`);
    const label = h(
      'span',
      { class: 'step-label' },
      h('span', { class: `step-type step-type-${/^[a-z]+$/.test(step.type) ? step.type : 'other'}` }, step.type),
      h('span', { class: 'step-name', dir: 'auto', title: step.name }, step.name || '(unnamed)'),
      step.error
        ? h(
            'span',
            { class: 'step-error', title: step.error },
            h('span', { 'aria-hidden': 'true' }, '!'),
            h('span', { class: 'visually-hidden' }, 'failed'),
          )
        : null,
    );
    label.style.setProperty('padding-inline-start', `${Math.min(depth, MAX_INDENT_LEVELS) * 0.9}rem`);
    const current = step.id === options.currentId;
    const item = h(
      'li',
      {
        class: `step-item${current ? ' step-current' : ''}${step.error ? ' step-failed' : ''}`,
        role: 'treeitem',
        'aria-level': String(depth + 1),
        'aria-selected': 'false',
        'aria-current': current ? 'true' : null,
        tabindex: '-1',
        'data-step-id': step.id,
        'data-type': step.type,
      },
      h('span', { class: 'step-row' }, label, h('span', { class: 'step-duration' }, formatDuration(duration))),
      h('span', { class: 'step-track', 'aria-hidden': 'true' }, bar),
    );
    return item;
  });

  const tree = h('ul', { class: 'step-tree', role: 'tree', 'aria-label': 'Steps of the trace' }, items);
  const focusable = (index: number) => {
    for (const [i, item] of items.entries()) item.tabIndex = i === index ? 0 : -1;
  };
  const moveTo = (index: number) => {
    if (index < 0 || index >= items.length) return;
    focusable(index);
    items[index].focus();
  };
  const choose = (index: number) => {
    moveTo(index);
    options.onChoose(steps[index]);
  };
  const parentIndex = (index: number) => steps.findIndex((step) => step.id === steps[index].parentId);

  tree.addEventListener('click', (event) => {
    const item = (event.target as Element).closest('li.step-item');
    if (item) choose(items.indexOf(item as HTMLLIElement));
  });
  tree.addEventListener('keydown', (event) => {
    const index = items.indexOf(document.activeElement as HTMLLIElement);
    if (index === -1) return;
    const next: Record<string, () => void> = {
      ArrowDown: () => moveTo(index + 1),
      ArrowUp: () => moveTo(index - 1),
      Home: () => moveTo(0),
      End: () => moveTo(items.length - 1),
      ArrowLeft: () => moveTo(parentIndex(index)),
      ArrowRight: () => {
        if (steps[index + 1]?.parentId === steps[index].id) moveTo(index + 1);
      },
      Enter: () => choose(index),
      ' ': () => choose(index),
    };
    const action = next[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  const select = (id: string | null) => {
    for (const item of items) item.setAttribute('aria-selected', String(item.dataset.stepId === id));
  };
  const initial = Math.max(
    0,
    steps.findIndex((step) => step.id === options.currentId),
  );
  focusable(initial);
  return { element: tree, select };
}

/** A step's text value, JSON pretty-printed when it parses; long ones folded. */
function valueBlock(value: string | null): Child {
  if (value === null || value === '') return h('p', { class: 'empty' }, '(none)');
  return foldedText(prettyJson(value));
}

/** The chosen step: what it is, how long it took, its error, tags, input, output and metadata. */
export function stepPanel(step: StepRecord): HTMLElement {
  const titleId = uniqueId('step-title');
  const metadata = Object.keys(step.metadata).length > 0 ? JSON.stringify(step.metadata, null, 2) : null;
  return h(
    'section',
    { class: 'step-detail', 'aria-labelledby': titleId, 'data-step-id': step.id },
    h('h3', { id: titleId, class: 'step-title', tabindex: '-1', dir: 'auto' }, step.name || '(unnamed)'),
    h(
      'p',
      { class: 'meta' },
      h('span', null, 'Type ', h('strong', null, step.type)),
      h('span', null, 'Duration ', h('strong', { class: 'step-detail-duration' }, formatDuration(stepDurationMs(step)))),
      step.serviceName ? h('span', null, 'Service ', h('strong', { dir: 'auto' }, step.serviceName)) : null,
      h('span', null, formatTime(step.startTime)),
    ),
    step.type === 'llm' && step.generationId
      ? h('p', null, h('a', { href: `#/g/${encodeURIComponent(step.generationId)}`, class: 'open-generation' }, 'Open its generation'))
      : null,
    step.error ? h('div', { class: 'error-box', role: 'note' }, h('strong', null, 'Error: '), step.error) : null,
    step.tags.length > 0
      ? h(
          'ul',
          { class: 'tags', 'aria-label': 'Tags' },
          step.tags.map((tag) => h('li', { class: 'tag', dir: 'auto' }, tag)),
        )
      : null,
    h('div', { class: 'step-value step-input' }, h('h4', null, 'Input'), valueBlock(step.input)),
    h('div', { class: 'step-value step-output' }, h('h4', null, 'Output'), valueBlock(step.output)),
    metadata ? h('div', { class: 'step-value step-metadata' }, h('h4', null, 'Metadata'), foldedText(metadata)) : null,
  );
}

export interface TraceExplorerOptions {
  /** The generation on show: its step is marked current, and choosing it again changes nothing. */
  generationId?: string | null;
  /** What stands in the step panel before a step is chosen; by default the root step is shown. */
  placeholder?: string;
}

/**
 * The tree with the chosen step's panel beside or under it (as the container lays them out). Choosing an `llm` step
 * opens its generation; choosing any other shows its input and output.
 */
export function traceExplorer(trace: TraceDetail, options: TraceExplorerOptions = {}): HTMLElement {
  const generationId = options.generationId ?? null;
  const current =
    trace.steps.find((step) => step.id === generationId) ??
    trace.steps.find((step) => step.generationId === generationId && generationId !== null);
  const panel = h('div', { class: 'step-panel' });
  const show = (step: StepRecord) => {
    tree.select(step.id);
    replaceChildren(panel, stepPanel(step));
  };
  const tree = stepTree(trace, {
    currentId: current?.id ?? null,
    onChoose: (step) => {
      if (step.type === 'llm' && step.generationId) {
        if (step.generationId === generationId) tree.select(step.id);
        else location.hash = `#/g/${encodeURIComponent(step.generationId)}`;
        return;
      }
      show(step);
    },
  });
  if (options.placeholder) replaceChildren(panel, h('p', { class: 'placeholder' }, options.placeholder));
  else if (trace.steps[0]) show(trace.steps[0]);
  return h('div', { class: 'trace-explorer' }, h('div', { class: 'step-tree-box' }, tree.element), panel);
}
