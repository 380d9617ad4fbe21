import { describeCost, formatCost } from '../generation/cost-format.js';
import { type RerunOrigin, rerunOriginOf } from '../generation/lineage.js';
import type { Cost } from '../generation/record.js';
import type { GenerationMessage, ToolCall } from '../generation/schema.js';
import { tokenizeTemplate, variableText } from '../generation/template.js';
import { type GenerationItem, type WireGeneration, wireOf } from './api.js';
import { type Child, h, uniqueId } from './dom.js';

/** Read-only views of a generation: how the playground shows what was recorded. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function formatTime(iso: string | null | undefined): Child {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h('time', { datetime: iso, title: iso }, date.toLocaleString());
}

function number(value: number, digits: number): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** JSON for display: pretty-printed, or the string itself when it is not JSON. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** The text a list row previews: the prompt, or the last user message. */
export function previewText(generation: WireGeneration): string {
  if (generation.type === 'COMPLETION') return generation.prompt ?? (typeof generation.template === 'string' ? generation.template : '');
  const messages = generation.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
  return last ? contentText(last.content) : '';
}

/** The text of message content: the string, or the text parts joined. */
function contentText(content: GenerationMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
}

/** An answer as plain text, for comparing outputs: the completion, or the message's text and its tool calls as JSON. */
export function answerText(generation: WireGeneration): string {
  if (generation.type === 'COMPLETION') return generation.completion ?? '';
  const message = generation.messageCompletion;
  if (!message) return '';
  const calls = (message.tool_calls ?? []).map((call) => `${call.function?.name ?? ''}(${call.function?.arguments ?? ''})`);
  return [contentText(message.content), ...calls].filter(Boolean).join('\n');
}

/** Longer values are folded to their start in tables and tooltips: a pasted document must not make the page miles long. */
const FOLD_CHARS = 300;
const FOLD_LINES = 6;

/** The start of a long text (its first lines and characters, with an ellipsis); null when the text is short enough to show. */
function foldedStart(text: string): string | null {
  const lines = text.split('\n', FOLD_LINES + 1);
  if (text.length <= FOLD_CHARS && lines.length <= FOLD_LINES) return null;
  return `${lines.slice(0, FOLD_LINES).join('\n').slice(0, FOLD_CHARS)}…`;
}

/** A text, or the start of it when it is long. */
function shortText(text: string): string {
  return foldedStart(text) ?? text;
}

/** A button that shows a folded value whole (in a box that scrolls) and folds it again. */
function foldToggle(shown: HTMLElement, text: string, start: string): HTMLElement {
  shown.id ||= uniqueId('long-value');
  const label = `Show all ${text.length.toLocaleString()} characters`;
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'secondary small fold-toggle',
      'aria-expanded': 'false',
      'aria-controls': shown.id,
      on: {
        click: () => {
          const expand = toggle.getAttribute('aria-expanded') !== 'true';
          shown.textContent = expand ? text : start;
          shown.classList.toggle('expanded', expand);
          toggle.setAttribute('aria-expanded', String(expand));
          toggle.textContent = expand ? 'Show less' : label;
        },
      },
    },
    label,
  );
  return toggle;
}

/** A long text in a block: its start, with a button that shows it whole; a short one as it is. */
export function foldedText(text: string, className = 'text'): HTMLElement {
  const start = foldedStart(text);
  if (start === null) return h('pre', { class: className, dir: 'auto' }, text);
  const shown = h('pre', { class: `${className} long-value`, dir: 'auto' }, start);
  return h('div', { class: 'folded' }, shown, foldToggle(shown, text, start));
}

export function typeBadge(generation: WireGeneration): HTMLElement {
  return h('span', { class: `badge badge-${generation.type.toLowerCase()}` }, generation.type === 'CHAT' ? 'Chat' : 'Completion');
}

/** A template with its `{variables}` marked; escaped braces (`{{`) are shown as written. */
export function highlightedTemplate(template: string, variables: Readonly<Record<string, unknown>>): HTMLElement {
  const pre = h('pre', { class: 'text template', dir: 'auto' });
  for (const token of tokenizeTemplate(template)) {
    if (token.kind === 'text') {
      pre.append(token.raw);
      continue;
    }
    const known = Object.hasOwn(variables, token.name);
    pre.append(
      h(
        'mark',
        {
          class: known ? 'variable' : 'variable variable-missing',
          title: known ? shortText(variableText(variables[token.name])) : 'No value',
        },
        token.raw,
      ),
    );
  }
  return pre;
}

function textBlock(text: string | null | undefined, emptyLabel = '(empty)'): HTMLElement {
  if (text === null || text === undefined || text === '') return h('p', { class: 'empty' }, emptyLabel);
  return h('pre', { class: 'text', dir: 'auto' }, text);
}

function toolCallView(call: ToolCall): HTMLElement {
  return h(
    'div',
    { class: 'tool-call' },
    h(
      'p',
      { class: 'tool-call-head' },
      'Tool call ',
      h('code', null, call.function?.name ?? '(unnamed)'),
      call.id ? h('span', { class: 'muted' }, ` · ${call.id}`) : null,
    ),
    call.function?.arguments ? h('pre', { class: 'text code' }, prettyJson(call.function.arguments)) : null,
  );
}

function contentView(content: GenerationMessage['content'], render: (text: string) => HTMLElement): Child {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return render(content);
  return content.map((part) => {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return render(part.text);
    if (isRecord(part) && part.type === 'image_url') {
      const image = part.image_url;
      const url = typeof image === 'string' ? image : isRecord(image) ? String(image.url ?? '') : '';
      // Shown as text: loading a recorded URL would leak the viewer to whoever hosts it.
      return h('p', { class: 'part' }, 'Image: ', h('code', null, url.length > 200 ? `${url.slice(0, 200)}…` : url));
    }
    return h('pre', { class: 'text code' }, prettyJson(part));
  });
}

/** One chat message: role, name, content, tool calls, and the call a tool result answers. */
export function messageView(message: GenerationMessage, render: (text: string) => HTMLElement = (t) => textBlock(t)): HTMLElement {
  const role = message.role ?? 'user';
  return h(
    'article',
    { class: `message role-${/^[a-z]+$/.test(role) ? role : 'other'}` },
    h(
      'p',
      { class: 'message-head' },
      h('span', { class: 'role' }, role),
      message.name ? h('span', { class: 'muted' }, ` · ${message.name}`) : null,
      message.tool_call_id ? h('span', { class: 'muted' }, ` · result of ${message.tool_call_id}`) : null,
    ),
    contentView(message.content, render),
    (message.tool_calls ?? []).map(toolCallView),
    message.function_call ? h('pre', { class: 'text code' }, prettyJson(message.function_call)) : null,
  );
}

/** The recorded answer: the completion text, or the message completion. */
export function answerView(generation: WireGeneration): Child {
  if (generation.type === 'COMPLETION') return textBlock(generation.completion, generation.error ? '(no completion)' : '(empty)');
  return generation.messageCompletion ? messageView(generation.messageCompletion) : h('p', { class: 'empty' }, '(no message completion)');
}

/** Token counts, timings and (when known) the cost, in the units the generation model uses. */
export function metricsView(generation: WireGeneration, cost?: Cost | null): HTMLElement {
  const rows: [string, string | null][] = [
    ['Input tokens', generation.inputTokenCount != null ? number(generation.inputTokenCount, 0) : null],
    ['Output tokens', generation.outputTokenCount != null ? number(generation.outputTokenCount, 0) : null],
    ['Total tokens', generation.tokenCount != null ? number(generation.tokenCount, 0) : null],
    ['Time to first token', generation.ttFirstToken != null ? `${number(generation.ttFirstToken, 1)} ms` : null],
    ['Throughput', generation.tokenThroughputInSeconds != null ? `${number(generation.tokenThroughputInSeconds, 1)} tokens/s` : null],
    ['Duration', generation.duration != null ? `${number(generation.duration, 3)} s` : null],
  ];
  return h(
    'dl',
    { class: 'metrics' },
    rows.map(([label, value]) =>
      h('div', { class: 'metric' }, h('dt', null, label), h('dd', { class: value === null ? 'muted' : null }, value ?? '—')),
    ),
    cost
      ? h(
          'div',
          { class: 'metric metric-cost' },
          h('dt', null, 'Cost'),
          h('dd', { title: describeCost(cost) }, formatCost(cost.total, cost.currency)),
        )
      : null,
  );
}

/** A table cell holding a value: a string as it is, anything else as JSON; long ones folded to their start. */
function valueCell(value: unknown): HTMLElement {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const start = foldedStart(text);
  const tag = typeof value === 'string' ? 'span' : 'code';
  if (start === null) return h('td', { dir: 'auto' }, tag === 'span' ? text : h('code', null, text));
  const shown = h(tag, { class: 'long-value' }, start);
  return h('td', { dir: 'auto' }, shown, foldToggle(shown, text, start));
}

function keyValueTable(caption: string, entries: [string, unknown][]): HTMLElement {
  return h(
    'table',
    { class: 'kv' },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'tbody',
      null,
      entries.map(([key, value]) => h('tr', null, h('th', { scope: 'row' }, key), valueCell(value))),
    ),
  );
}

function section(title: string, ...children: Child[]): HTMLElement {
  const id = uniqueId('section');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h3', { id }, title), ...children);
}

/** Two views of one prompt, switched by a pair of toggle buttons. */
function toggleViews(label: string, views: [name: string, content: Child][]): HTMLElement {
  const panels = views.map(([name, content], index) =>
    h('div', { class: 'view', 'data-view': name.toLowerCase(), props: { hidden: index !== 0 } }, content),
  );
  const buttons = views.map(([name], index) =>
    h(
      'button',
      {
        type: 'button',
        class: 'toggle',
        'aria-pressed': index === 0 ? 'true' : 'false',
        on: {
          click: () => {
            for (const [i, panel] of panels.entries()) panel.hidden = i !== index;
            for (const [i, button] of buttons.entries()) button.setAttribute('aria-pressed', i === index ? 'true' : 'false');
          },
        },
      },
      name,
    ),
  );
  return h('div', { class: 'toggle-views' }, h('div', { class: 'toggle-group', role: 'group', 'aria-label': label }, buttons), panels);
}

function variablesTable(variables: Record<string, unknown>): Child {
  const entries = Object.entries(variables);
  if (entries.length === 0) return null;
  return h(
    'div',
    { class: 'variables' },
    h('h4', null, 'Variables'),
    keyValueTable(
      'Variables',
      entries.map(([k, v]) => [k, variableText(v)]),
    ),
  );
}

function promptSection(generation: WireGeneration): HTMLElement {
  const variables = generation.variables ?? {};
  if (generation.type === 'COMPLETION') {
    const formatted = textBlock(generation.prompt);
    const body =
      typeof generation.template === 'string'
        ? toggleViews('Prompt view', [
            ['Template', highlightedTemplate(generation.template, variables)],
            ['Formatted', formatted],
          ])
        : formatted;
    return section('Prompt', body, variablesTable(variables));
  }
  const messages = h(
    'div',
    { class: 'messages' },
    (generation.messages ?? []).map((m) => messageView(m)),
  );
  const template = Array.isArray(generation.template) ? generation.template : null;
  const body = template
    ? toggleViews('Messages view', [
        [
          'Template',
          h(
            'div',
            { class: 'messages' },
            template.map((m) => messageView(m, (text) => highlightedTemplate(text, variables))),
          ),
        ],
        ['Formatted', messages],
      ])
    : messages;
  return section('Messages', body, variablesTable(variables));
}

function toolsSection(generation: WireGeneration): Child {
  const tools = generation.tools ?? [];
  if (tools.length === 0) return null;
  return section(
    'Tools',
    h(
      'ul',
      { class: 'tools' },
      tools.map((tool) =>
        h(
          'li',
          null,
          h(
            'p',
            null,
            h('code', null, tool.function?.name ?? tool.type),
            tool.function?.description ? ` — ${tool.function.description}` : null,
          ),
          tool.function?.parameters ? h('pre', { class: 'text code' }, prettyJson(tool.function.parameters)) : null,
        ),
      ),
    ),
  );
}

/** Where a re-run came from, as its metadata records it. */
export function rerunOrigin(generation: WireGeneration): RerunOrigin | null {
  return rerunOriginOf(generation.metadata);
}

/** The whole recorded generation, read-only. */
export function generationView(item: GenerationItem): HTMLElement {
  const generation = wireOf(item);
  const settings = Object.entries(generation.settings ?? {});
  const metadata = Object.entries(generation.metadata ?? {});
  const origin = rerunOrigin(generation);
  const tags = generation.tags ?? [];
  return h(
    'div',
    { class: 'recorded' },
    h(
      'header',
      { class: 'generation-header' },
      h('h2', { id: 'generation-title', tabindex: '-1' }, typeBadge(generation), ' ', generation.model ?? '(no model)'),
      h(
        'p',
        { class: 'meta' },
        h('span', null, 'Provider ', h('strong', null, generation.provider ?? '—')),
        h('span', null, 'Service ', h('strong', null, item.serviceName ?? '—')),
        h('span', null, 'Source ', h('strong', null, item.source)),
        h('span', null, formatTime(item.startTime)),
      ),
      h(
        'p',
        { class: 'links' },
        item.jaegerUrl
          ? h('a', { href: item.jaegerUrl, class: 'jaeger-link', target: '_blank', rel: 'noopener noreferrer' }, 'Open trace in Jaeger')
          : null,
        origin ? h('a', { href: `#/g/${encodeURIComponent(origin.id)}`, class: 'origin-link' }, 'Re-run of an earlier generation') : null,
        h('span', { class: 'muted ids' }, `trace ${item.traceId} · span ${item.spanId}`),
      ),
      tags.length > 0
        ? h(
            'ul',
            { class: 'tags', 'aria-label': 'Tags' },
            tags.map((tag) => h('li', { class: 'tag', dir: 'auto' }, tag)),
          )
        : null,
    ),
    generation.error ? h('div', { class: 'error-box', role: 'note' }, h('strong', null, 'Error: '), generation.error) : null,
    metricsView(generation, item.cost),
    h(
      'div',
      { class: 'io' },
      promptSection(generation),
      section(generation.type === 'CHAT' ? 'Message completion' : 'Completion', answerView(generation)),
    ),
    section('Settings', settings.length > 0 ? keyValueTable('Settings', settings) : h('p', { class: 'empty' }, '(none)')),
    toolsSection(generation),
    metadata.length > 0 ? section('Metadata', keyValueTable('Metadata', metadata)) : null,
    item.warnings.length > 0
      ? section(
          'Translation warnings',
          h(
            'ul',
            null,
            item.warnings.map((w) => h('li', null, w)),
          ),
        )
      : null,
  );
}
