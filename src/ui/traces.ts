import {
  ApiError,
  fetchThread,
  fetchThreads,
  fetchTrace,
  fetchTraces,
  type ThreadSummary,
  type ThreadTurn,
  type TraceDetail,
  type TraceSummary,
} from './api.js';
import { foldedText, formatTime, prettyJson } from './detail.js';
import { type Child, h, replaceChildren } from './dom.js';
import type { ExperimentsContext, View } from './experiments.js';
import { formatDuration, traceExplorer } from './step-tree.js';

/**
 * The traces' and threads' pages: the trace list (`#/traces`), one trace's step tree (`#/traces/<traceId>`), the
 * thread list (`#/threads`) and one thread read as the conversation it was (`#/threads/<id>`).
 */

export type PageContext = Pick<ExperimentsContext, 'describeError'>;

/** A page with its way back and its title (which the caller may rename once its data is read). */
function page(backHref: string, backLabel: string, titleText: string, ...children: Child[]): { element: HTMLElement; title: HTMLElement } {
  const title = h('h2', { class: 'page-title', tabindex: '-1', dir: 'auto' }, titleText);
  const element = h(
    'div',
    { class: 'experiments-page traces-page' },
    h('p', { class: 'back' }, h('a', { href: backHref }, backLabel)),
    title,
    ...children,
  );
  return { element, title };
}

function loading(): HTMLElement {
  return h('p', { class: 'muted', role: 'status' }, 'Loading…');
}

function count(value: number | null): string {
  return value === null ? '—' : value.toLocaleString('en-US');
}

function tableHead(labels: readonly string[]): HTMLElement {
  return h(
    'thead',
    null,
    h(
      'tr',
      null,
      labels.map((label) => h('th', { scope: 'col', class: 'table-cell' }, label)),
    ),
  );
}

/**
 * A list read page by page: rows appended as each page comes, "Load more" while the server has a cursor.
 * `fetchPage` reads one page; `row` draws one item.
 */
function pagedTable<T>(
  context: PageContext,
  options: {
    className: string;
    labels: readonly string[];
    empty: string;
    noun: [one: string, many: string];
    fetchPage(cursor: string | null): Promise<{ items: T[]; nextCursor: string | null }>;
    row(item: T): HTMLElement;
  },
): HTMLElement {
  const body = h('tbody');
  const status = h('p', { class: 'list-status', role: 'status' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'secondary load-more', props: { hidden: true } }, 'Load more');
  const box = h(
    'div',
    { class: 'table-box', props: { hidden: true } },
    h('table', { class: options.className }, tableHead(options.labels), body),
  );
  let cursor: string | null = null;
  const load = () => {
    more.disabled = true;
    options
      .fetchPage(cursor)
      .then((list) => {
        for (const item of list.items) body.append(options.row(item));
        cursor = list.nextCursor;
        more.hidden = cursor === null;
        const shown = body.childElementCount;
        box.hidden = shown === 0;
        status.textContent =
          shown === 0 ? options.empty : `${shown} ${shown === 1 ? options.noun[0] : options.noun[1]}${cursor ? ' (more to load)' : ''}`;
      })
      .catch((error: unknown) => {
        status.textContent = context.describeError(error);
        status.classList.add('error-box');
      })
      .finally(() => {
        more.disabled = false;
      });
  };
  more.addEventListener('click', load);
  load();
  return h('div', { class: 'paged-table' }, status, box, more);
}

// Traces.

function traceRow(trace: TraceSummary): HTMLElement {
  return h(
    'tr',
    { 'data-trace-id': trace.traceId },
    h(
      'td',
      { class: 'table-cell name-cell' },
      h('a', { href: `#/traces/${encodeURIComponent(trace.traceId)}`, dir: 'auto', class: 'trace-name' }, trace.name || '(unnamed)'),
      trace.serviceName ? h('span', { class: 'muted cell-note', dir: 'auto' }, trace.serviceName) : null,
    ),
    h('td', { class: 'table-cell' }, formatTime(trace.startTime)),
    h('td', { class: 'table-cell number' }, formatDuration(trace.durationMs)),
    h('td', { class: 'table-cell number' }, count(trace.steps)),
    h('td', { class: 'table-cell number' }, count(trace.generations)),
    h('td', { class: 'table-cell number' }, count(trace.tokens)),
    h('td', { class: 'table-cell' }, trace.error ? h('span', { class: 'badge badge-error' }, 'Error') : null),
  );
}

/** `#/traces`: every trace, newest first. */
export function traceListView(context: PageContext): View {
  const { element } = page(
    '#/',
    '← All generations',
    'Traces',
    h('p', { class: 'muted' }, 'Each trace is one run: its steps, and the generations made in them.'),
    pagedTable(context, {
      className: 'trace-list',
      labels: ['Name', 'Started', 'Duration', 'Steps', 'Generations', 'Tokens', 'Error'],
      empty: 'No traces yet.',
      noun: ['trace', 'traces'],
      fetchPage: (cursor) => fetchTraces(cursor),
      row: traceRow,
    }),
  );
  return { element, leave: () => undefined };
}

function traceHeader(trace: TraceDetail): HTMLElement {
  const root = trace.steps[0];
  const start = Math.min(...trace.steps.map((step) => Date.parse(step.startTime)));
  const end = Math.max(...trace.steps.map((step) => Date.parse(step.endTime)));
  return h(
    'div',
    { class: 'trace-header' },
    h(
      'p',
      { class: 'meta' },
      h('span', null, 'Duration ', h('strong', null, formatDuration(Math.max(0, end - start)))),
      h('span', null, 'Steps ', h('strong', null, count(trace.steps.length))),
      root?.serviceName ? h('span', null, 'Service ', h('strong', { dir: 'auto' }, root.serviceName)) : null,
      root ? h('span', null, formatTime(root.startTime)) : null,
    ),
    h(
      'p',
      { class: 'links' },
      trace.threadId ? h('a', { href: `#/threads/${encodeURIComponent(trace.threadId)}`, class: 'thread-link' }, 'Its thread') : null,
      trace.jaegerUrl
        ? h('a', { href: trace.jaegerUrl, class: 'jaeger-link', target: '_blank', rel: 'noopener noreferrer' }, 'Open trace in Jaeger')
        : null,
      h('span', { class: 'muted ids' }, `trace ${trace.traceId}`),
    ),
  );
}

/** `#/traces/<traceId>`: the trace's step tree beside the chosen step (the root at first). */
export function traceView(traceId: string, context: PageContext): View {
  const body = h('div', { class: 'trace-body' }, loading());
  const { element, title } = page('#/traces', '← All traces', 'Trace', body);
  fetchTrace(traceId)
    .then((trace) => {
      title.textContent = trace.steps[0]?.name || 'Trace';
      replaceChildren(body, traceHeader(trace), traceExplorer(trace));
    })
    .catch((error: unknown) => {
      const text =
        error instanceof ApiError && error.status === 404 ? 'No such trace: it has no stored steps.' : context.describeError(error);
      replaceChildren(body, h('p', { class: 'error-box' }, text));
    });
  return { element, leave: () => undefined };
}

// Threads.

function threadRow(thread: ThreadSummary): HTMLElement {
  return h(
    'tr',
    { 'data-thread-id': thread.id },
    h(
      'td',
      { class: 'table-cell name-cell' },
      h('a', { href: `#/threads/${encodeURIComponent(thread.id)}`, dir: 'auto', class: 'thread-name' }, thread.name || thread.id),
    ),
    h('td', { class: 'table-cell', dir: 'auto' }, thread.userId ?? '—'),
    h('td', { class: 'table-cell number' }, count(thread.traces)),
    h('td', { class: 'table-cell' }, formatTime(thread.endTime)),
  );
}

/** `#/threads`: every thread, most recently active first. */
export function threadListView(context: PageContext): View {
  const { element } = page(
    '#/',
    '← All generations',
    'Threads',
    h('p', { class: 'muted' }, 'A thread is a conversation: the traces that carried one conversation or session id.'),
    pagedTable(context, {
      className: 'thread-list',
      labels: ['Thread', 'User', 'Turns', 'Last active'],
      empty: 'No threads yet.',
      noun: ['thread', 'threads'],
      fetchPage: (cursor) => fetchThreads(cursor),
      row: threadRow,
    }),
  );
  return { element, leave: () => undefined };
}

function said(role: 'user' | 'assistant', text: string | null): HTMLElement {
  return h(
    'div',
    { class: `message turn-message role-${role}` },
    h('p', { class: 'message-head' }, h('span', { class: 'role' }, role)),
    text === null || text === '' ? h('p', { class: 'empty' }, '(none)') : foldedText(prettyJson(text)),
  );
}

function turnView(turn: ThreadTurn, index: number): HTMLElement {
  const label = `Turn ${index + 1}`;
  return h(
    'li',
    { class: 'turn', 'data-trace-id': turn.traceId },
    h(
      'p',
      { class: 'turn-head' },
      h('strong', null, label),
      turn.name ? h('span', { class: 'muted turn-name', dir: 'auto' }, turn.name) : null,
      formatTime(turn.startTime),
      h(
        'a',
        {
          href: `#/traces/${encodeURIComponent(turn.traceId)}`,
          class: 'open-trace',
          'aria-label': `Open the trace of ${label.toLowerCase()}`,
        },
        'Open trace',
      ),
    ),
    said('user', turn.input),
    said('assistant', turn.output),
    turn.error ? h('div', { class: 'error-box', role: 'note' }, h('strong', null, 'Error: '), turn.error) : null,
  );
}

/** `#/threads/<id>`: the thread as the conversation it was, a turn per trace, each opening its trace. */
export function threadView(id: string, context: PageContext): View {
  const body = h('div', { class: 'thread-body' }, loading());
  const { element, title } = page('#/threads', '← All threads', 'Thread', body);
  fetchThread(id)
    .then((thread) => {
      title.textContent = thread.name || thread.id;
      replaceChildren(
        body,
        h(
          'p',
          { class: 'meta' },
          h('span', null, 'User ', h('strong', { dir: 'auto' }, thread.userId ?? '—')),
          h('span', null, 'Turns ', h('strong', null, count(thread.traces.length))),
          h('span', null, formatTime(thread.startTime)),
          h('span', { class: 'muted ids' }, `thread ${thread.id}`),
        ),
        h(
          'ol',
          { class: 'turns', 'aria-label': 'Turns of the conversation' },
          thread.traces.map((turn, index) => turnView(turn, index)),
        ),
      );
    })
    .catch((error: unknown) => {
      const text = error instanceof ApiError && error.status === 404 ? 'No such thread.' : context.describeError(error);
      replaceChildren(body, h('p', { class: 'error-box' }, text));
    });
  return { element, leave: () => undefined };
}
