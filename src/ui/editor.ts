import type { GenerationMessage, ToolCall } from '../generation/schema.js';
import { formatMessages, formatTemplate, messagesVariables, templateVariables, variableText } from '../generation/template.js';
import {
  ApiError,
  fetchGeneration,
  type GenerationItem,
  type OmittedSetting,
  type PlaygroundConfig,
  type ProviderInfo,
  previewRerun,
  rerun,
  type WireGeneration,
  wireOf,
} from './api.js';
import { answerView, formatTime, metricsView, prettyJson, typeBadge } from './detail.js';
import { type Child, h, replaceChildren, uniqueId } from './dom.js';

/** Editing a generation and running it again, with the original and the re-run side by side. */

const ROLES = ['system', 'user', 'assistant', 'tool', 'developer'] as const;

interface MessageDraft {
  /** The message without `tool_call_id`, which is kept apart and sent only while the role is `tool`. */
  message: GenerationMessage;
  toolCallId: string;
  /** Content as edited: the string, or the parts as JSON text. */
  contentText: string;
  contentIsParts: boolean;
  toolCallsText: string | null;
}

interface Draft {
  model: string;
  settingsText: string;
  /** Completion: the template (when recorded) or the prompt. */
  text: string;
  textIsTemplate: boolean;
  /** Chat: the template messages (when recorded) or the messages. */
  messages: MessageDraft[];
  messagesAreTemplate: boolean;
  variables: Record<string, string>;
}

function messageDraft(recorded: GenerationMessage): MessageDraft {
  const { tool_call_id: toolCallId, ...message } = recorded;
  const parts = Array.isArray(message.content);
  return {
    message,
    toolCallId: toolCallId ?? '',
    contentText: parts ? JSON.stringify(message.content, null, 2) : typeof message.content === 'string' ? message.content : '',
    contentIsParts: parts,
    toolCallsText: message.tool_calls && message.tool_calls.length > 0 ? JSON.stringify(message.tool_calls, null, 2) : null,
  };
}

function draftOf(generation: WireGeneration): Draft {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(generation.variables ?? {})) variables[name] = variableText(value);
  const templateMessages = Array.isArray(generation.template) ? generation.template : null;
  const completionTemplate = typeof generation.template === 'string' ? generation.template : null;
  return {
    model: generation.model ?? '',
    settingsText: JSON.stringify(generation.settings ?? {}, null, 2),
    text: completionTemplate ?? generation.prompt ?? '',
    textIsTemplate: completionTemplate !== null,
    messages: (templateMessages ?? generation.messages ?? []).map(messageDraft),
    messagesAreTemplate: templateMessages !== null,
    variables,
  };
}

/** Thrown while reading the form when a field holds invalid JSON; names the field to focus. */
class FieldError extends Error {
  constructor(
    readonly field: HTMLElement,
    message: string,
  ) {
    super(message);
  }
}

export interface EditorContext {
  /** Null when the page could not read it: re-runs are then off. */
  config: PlaygroundConfig | null;
  /** Called once a re-run is stored, with its id. */
  onStored: (id: string) => void;
}

/** Where a re-run with `provider` goes, and with which key (never the key itself). */
function providerLine(provider: ProviderInfo): Child[] {
  return [
    'Re-runs go to ',
    h('code', null, provider.url),
    provider.keyEnv ? ` with the key from $${provider.keyEnv}${provider.keySet ? '' : ' (not set)'}` : ' without an API key',
    '.',
  ];
}

/** The provider a generation is re-run with at first: its recorded provider when configured, else the first configured. */
function defaultProvider(providers: readonly ProviderInfo[], recorded: string | null | undefined): ProviderInfo | undefined {
  return providers.find((provider) => provider.name === recorded) ?? providers[0];
}

function providerNotice(config: PlaygroundConfig | null, chosen: ProviderInfo | undefined): HTMLElement {
  if (!config) {
    return h(
      'p',
      { class: 'notice', id: 'no-provider', role: 'note' },
      'The playground configuration could not be read, so re-runs are off.',
    );
  }
  if (chosen) return h('p', { class: 'provider-line muted' }, providerLine(chosen));
  return h(
    'div',
    { class: 'notice', id: 'no-provider', role: 'note' },
    h(
      'p',
      null,
      h('strong', null, 'No provider is configured, so re-runs are off. '),
      'Start the server with an OpenAI-compatible provider:',
    ),
    h('pre', { class: 'text code' }, config.configureCommand),
    h('p', { class: 'muted' }, 'The key is read from that environment variable on the server and never sent to this page.'),
  );
}

function field(label: string, control: HTMLElement, hint?: Child): HTMLElement {
  const id = control.id || uniqueId('field');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ?? null);
}

/** The edit form, the run button, and the comparison area for one generation. */
export function editorView(item: GenerationItem, context: EditorContext): HTMLElement {
  const original = wireOf(item);
  let draft = draftOf(original);
  let running: AbortController | null = null;
  const providers = context.config?.providers ?? [];
  let provider = defaultProvider(providers, original.provider);

  const root = h('section', { class: 'panel editor', 'aria-labelledby': 'editor-title' });
  const comparison = h('section', {
    class: 'panel comparison',
    id: 'comparison',
    'aria-labelledby': 'comparison-title',
    // Focus moves here when a run starts, as the button that started it is disabled.
    tabindex: '-1',
    props: { hidden: true },
  });
  const status = h('p', { class: 'run-status', role: 'status', id: 'run-status' });
  const preview = h('pre', { class: 'text', id: 'formatted-preview', dir: 'auto' });
  const previewNote = h('p', { class: 'warning', props: { hidden: true } });
  const variablesBox = h('div', { class: 'variables-editor' });
  const settingsError = h('p', { class: 'field-error', id: uniqueId('settings-error'), props: { hidden: true } });
  const omittedNote = h('div', { class: 'omitted-settings hint muted', id: 'omitted-settings', props: { hidden: true } });
  const problemNote = h('p', { class: 'warning', id: 'rerun-problem', role: 'status', props: { hidden: true } });
  const providerLineBox = h('div');
  let variableNames: string[] = [];

  const usesTemplate = () => (original.type === 'COMPLETION' ? draft.textIsTemplate : draft.messagesAreTemplate);

  const templateNames = (): string[] => {
    if (!usesTemplate()) return [];
    if (original.type === 'COMPLETION') return templateVariables(draft.text);
    return messagesVariables(draft.messages.map((m) => ({ content: m.contentIsParts ? safeParse(m.contentText) : m.contentText })));
  };

  const renderVariables = () => {
    const names = [...new Set([...templateNames(), ...Object.keys(draft.variables)])];
    if (names.join('\u0000') === variableNames.join('\u0000') && variablesBox.childElementCount > 0) return;
    variableNames = names;
    if (names.length === 0) {
      replaceChildren(variablesBox);
      return;
    }
    replaceChildren(
      variablesBox,
      h(
        'fieldset',
        { class: 'variables-fieldset' },
        h('legend', null, 'Variables'),
        names.map((name) => {
          const input = h('textarea', {
            rows: '1',
            class: 'variable-input',
            dir: 'auto',
            'data-variable': name,
            props: { value: draft.variables[name] ?? '' },
            on: {
              input: (event) => {
                draft.variables[name] = (event.target as HTMLTextAreaElement).value;
                updatePreview();
              },
            },
          });
          return field(name, input);
        }),
      ),
    );
  };

  const updatePreview = () => {
    let missing: string[] = [];
    if (original.type === 'COMPLETION') {
      if (draft.textIsTemplate) {
        const formatted = formatTemplate(draft.text, draft.variables);
        preview.textContent = formatted.text;
        missing = formatted.missing;
      } else {
        preview.textContent = draft.text;
      }
    } else {
      const messages = draft.messages.map((m) => ({
        role: m.message.role,
        content: m.contentIsParts ? safeParse(m.contentText) : m.contentText,
      }));
      const formatted = draft.messagesAreTemplate ? formatMessages(messages, draft.variables) : { messages, missing: [] };
      missing = formatted.missing;
      replaceChildren(
        preview,
        formatted.messages.map((m, index) => [index > 0 ? '\n\n' : null, previewedMessage(m.role, m.content, draft.messages[index])]),
      );
    }
    previewNote.hidden = missing.length === 0;
    previewNote.textContent = missing.length > 0 ? `No value for ${missing.map((n) => `{${n}}`).join(', ')}: sent as written.` : '';
    scheduleCheck();
  };

  let checkTimer: ReturnType<typeof setTimeout> | undefined;
  let checking: AbortController | null = null;
  /** After a pause in typing, asks the server what the edit would send: the settings left out, and what would refuse it. */
  const scheduleCheck = () => {
    clearTimeout(checkTimer);
    if (!provider) return;
    checkTimer = setTimeout(() => void checkEdit(), 250);
  };
  const checkEdit = async () => {
    if (!provider || !root.isConnected) return;
    checking?.abort();
    const current = new AbortController();
    checking = current;
    let edited: WireGeneration;
    try {
      edited = editedGeneration();
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      // The field's own error is shown when the edit is run.
      return;
    }
    try {
      const preview = await previewRerun(item.id, edited, provider.name, current.signal);
      showOmitted(preview.omitted);
      problemNote.hidden = preview.problem === null;
      problemNote.textContent = preview.problem ?? '';
    } catch (error) {
      if (current.signal.aborted) return;
      problemNote.hidden = false;
      problemNote.textContent = `Could not check the edit: ${(error as Error).message}`;
    }
  };
  const showOmitted = (omitted: readonly OmittedSetting[]) => {
    omittedNote.hidden = omitted.length === 0;
    replaceChildren(
      omittedNote,
      omitted.length === 0
        ? null
        : [
            h('p', null, `Not sent to ${provider?.name ?? 'the provider'}:`),
            h(
              'ul',
              null,
              omitted.map(({ setting, reason }) => h('li', null, h('code', null, setting), ` (${reason})`)),
            ),
          ],
    );
  };

  const onEdit = () => {
    renderVariables();
    updatePreview();
  };

  const messagesEditor = (): HTMLElement => {
    const list = h('ol', { class: 'message-editors' });
    const add = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        on: {
          click: () => {
            draft.messages.push(messageDraft({ role: 'user', content: '' }));
            renderList();
            onEdit();
            const areas = list.querySelectorAll('textarea.message-content');
            (areas[areas.length - 1] as HTMLTextAreaElement | undefined)?.focus();
          },
        },
      },
      'Add message',
    );
    /** Rebuilding the list removes the focused control: focus goes to a message's role, or to Add message when none is left. */
    const focusRole = (index: number) => {
      const roles = list.querySelectorAll<HTMLSelectElement>('select.message-role');
      (roles[Math.min(index, roles.length - 1)] ?? add).focus();
    };
    const renderList = () => {
      replaceChildren(
        list,
        draft.messages.map((entry, index) => {
          const role = h(
            'select',
            {
              class: 'message-role',
              on: {
                change: (event) => {
                  entry.message = { ...entry.message, role: (event.target as HTMLSelectElement).value };
                  // The role decides which fields the message has (a tool result answers a call).
                  renderList();
                  onEdit();
                  focusRole(index);
                },
              },
            },
            [...new Set([...ROLES, entry.message.role ?? 'user'])].map((r) =>
              h('option', { value: r, props: { selected: r === (entry.message.role ?? 'user') } }, r),
            ),
          );
          const content = h('textarea', {
            rows: String(Math.min(12, Math.max(2, entry.contentText.split('\n').length))),
            class: 'message-content',
            dir: 'auto',
            props: { value: entry.contentText },
            on: {
              input: (event) => {
                entry.contentText = (event.target as HTMLTextAreaElement).value;
                onEdit();
              },
            },
          });
          const toolCalls =
            entry.toolCallsText !== null
              ? field(
                  'Tool calls (JSON)',
                  h('textarea', {
                    rows: '4',
                    class: 'code',
                    props: { value: entry.toolCallsText },
                    on: {
                      input: (event) => {
                        entry.toolCallsText = (event.target as HTMLTextAreaElement).value;
                        updatePreview();
                      },
                    },
                  }),
                )
              : null;
          const toolCallId =
            (entry.message.role ?? '') === 'tool'
              ? field(
                  `Message ${index + 1} answers tool call`,
                  h('input', {
                    type: 'text',
                    class: 'tool-call-id',
                    props: { value: entry.toolCallId },
                    on: {
                      input: (event) => {
                        entry.toolCallId = (event.target as HTMLInputElement).value;
                        updatePreview();
                      },
                    },
                  }),
                )
              : null;
          return h(
            'li',
            { class: 'message-editor' },
            h(
              'div',
              { class: 'message-editor-head' },
              field(`Role of message ${index + 1}`, role),
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary small',
                  on: {
                    click: () => {
                      draft.messages.splice(index, 1);
                      renderList();
                      onEdit();
                      focusRole(index);
                    },
                  },
                },
                `Remove message ${index + 1}`,
              ),
            ),
            field(entry.contentIsParts ? `Content parts of message ${index + 1} (JSON)` : `Content of message ${index + 1}`, content),
            toolCallId,
            toolCalls,
          );
        }),
      );
    };
    renderList();
    return h(
      'fieldset',
      { class: 'messages-fieldset' },
      h('legend', null, draft.messagesAreTemplate ? 'Template messages' : 'Messages'),
      list,
      add,
    );
  };

  const promptEditor = (): HTMLElement =>
    field(
      draft.textIsTemplate ? 'Template' : 'Prompt',
      h('textarea', {
        id: 'edit-prompt',
        dir: 'auto',
        rows: String(Math.min(14, Math.max(4, draft.text.split('\n').length + 1))),
        props: { value: draft.text },
        on: {
          input: (event) => {
            draft.text = (event.target as HTMLTextAreaElement).value;
            onEdit();
          },
        },
      }),
      draft.textIsTemplate ? h('p', { class: 'hint muted' }, 'Write {name} for a variable and {{ or }} for a literal brace.') : null,
    );

  /** Reads the form into the wire JSON the server re-runs. */
  const editedGeneration = (): WireGeneration => {
    const settingsField = root.querySelector<HTMLTextAreaElement>('#edit-settings');
    let settings: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(draft.settingsText.trim() || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('settings must be a JSON object');
      settings = parsed as Record<string, unknown>;
    } catch (error) {
      throw new FieldError(settingsField ?? root, `Settings: ${(error as Error).message}`);
    }
    const variables: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(draft.variables)) {
      const before = original.variables?.[name];
      variables[name] = before !== undefined && variableText(before) === text ? before : text;
    }
    const base: WireGeneration = { ...original, model: draft.model.trim(), settings, variables };
    if (original.type === 'COMPLETION') {
      return draft.textIsTemplate ? { ...base, template: draft.text } : { ...base, template: null, prompt: draft.text };
    }
    const messages = draft.messages.map((entry, index) => {
      const message: GenerationMessage = { ...entry.message };
      if (message.role === 'tool' && entry.toolCallId) message.tool_call_id = entry.toolCallId;
      if (entry.contentIsParts) {
        const parts = safeParse(entry.contentText);
        if (!Array.isArray(parts)) throw new FieldError(root, `Message ${index + 1}: the content parts must be a JSON array`);
        message.content = parts as GenerationMessage['content'];
      } else {
        message.content = entry.contentText;
      }
      if (entry.toolCallsText !== null) {
        const calls = safeParse(entry.toolCallsText);
        if (!Array.isArray(calls)) throw new FieldError(root, `Message ${index + 1}: the tool calls must be a JSON array`);
        message.tool_calls = calls as GenerationMessage['tool_calls'];
      }
      return message;
    });
    return draft.messagesAreTemplate ? { ...base, template: messages } : { ...base, template: null, messages };
  };

  const canRun = provider !== undefined;
  const runButton = h('button', { type: 'button', class: 'primary', id: 'run-button', props: { disabled: !canRun } }, 'Run again');
  const stopButton = h('button', { type: 'button', class: 'secondary', props: { hidden: true } }, 'Stop');
  const restoreButton = h('button', { type: 'button', class: 'secondary' }, 'Restore original');

  const render = () => {
    variableNames = [];
    const settingsArea = h('textarea', {
      id: 'edit-settings',
      class: 'code',
      rows: String(Math.min(10, Math.max(3, draft.settingsText.split('\n').length))),
      'aria-describedby': settingsError.id,
      props: { value: draft.settingsText },
      on: {
        input: (event) => {
          draft.settingsText = (event.target as HTMLTextAreaElement).value;
          settingsError.hidden = true;
          (event.target as HTMLElement).removeAttribute('aria-invalid');
          scheduleCheck();
        },
      },
    });
    const model = h('input', {
      id: 'edit-model',
      type: 'text',
      props: { value: draft.model },
      on: {
        input: (event) => {
          draft.model = (event.target as HTMLInputElement).value;
          scheduleCheck();
        },
      },
    });
    const providerChoice =
      providers.length > 0
        ? field(
            'Provider',
            h(
              'select',
              {
                id: 'edit-provider',
                on: {
                  change: (event) => {
                    provider = providers.find((p) => p.name === (event.target as HTMLSelectElement).value) ?? provider;
                    replaceChildren(providerLineBox, providerNotice(context.config, provider));
                    scheduleCheck();
                  },
                },
              },
              providers.map((p) => h('option', { value: p.name, props: { selected: p === provider } }, p.name)),
            ),
          )
        : null;
    replaceChildren(providerLineBox, providerNotice(context.config, provider));
    replaceChildren(
      root,
      h('h3', { id: 'editor-title' }, 'Edit and run again'),
      providerLineBox,
      h(
        'div',
        { class: 'editor-grid' },
        h(
          'div',
          { class: 'editor-main' },
          original.type === 'COMPLETION' ? promptEditor() : messagesEditor(),
          variablesBox,
          h('div', { class: 'preview' }, h('h4', null, usesTemplate() ? 'Formatted (what is sent)' : 'What is sent'), preview, previewNote),
        ),
        h(
          'div',
          { class: 'editor-side' },
          providerChoice,
          field('Model', model),
          field('Settings (JSON)', settingsArea, settingsError),
          omittedNote,
        ),
      ),
      problemNote,
      h('div', { class: 'actions' }, runButton, stopButton, restoreButton, status),
    );
    onEdit();
  };

  restoreButton.addEventListener('click', () => {
    draft = draftOf(original);
    provider = defaultProvider(providers, original.provider);
    render();
    // The form was rebuilt around the button: focus it again rather than losing it to the page.
    restoreButton.focus();
    status.textContent = 'Restored the recorded generation.';
  });

  stopButton.addEventListener('click', () => running?.abort());

  runButton.addEventListener('click', () => {
    let edited: WireGeneration;
    try {
      edited = editedGeneration();
    } catch (error) {
      if (error instanceof FieldError) {
        if (error.field.id === 'edit-settings') {
          settingsError.textContent = error.message;
          settingsError.hidden = false;
          error.field.setAttribute('aria-invalid', 'true');
        }
        status.textContent = error.message;
        error.field.focus();
        return;
      }
      throw error;
    }
    if (provider) void runAgain(edited, provider);
  });

  const runAgain = async (edited: WireGeneration, chosen: ProviderInfo) => {
    running = new AbortController();
    const runHadFocus = document.activeElement === runButton;
    runButton.disabled = true;
    stopButton.hidden = false;
    status.textContent = 'Running…';
    const side = comparisonView(item, original);
    replaceChildren(comparison, side.element);
    comparison.hidden = false;
    comparison.scrollIntoView({ block: 'nearest' });
    if (runHadFocus) comparison.focus({ preventScroll: true });
    let text = '';
    try {
      await rerun(
        item.id,
        edited,
        chosen.name,
        (event) => {
          if (event.type === 'start') {
            showOmitted(event.omitted);
          } else if (event.type === 'delta') {
            text += event.text;
            side.stream(text);
          } else if (event.type === 'done') {
            status.textContent = event.error
              ? `The re-run failed and was stored: ${event.error}`
              : 'Done. The re-run is stored as a new generation.';
            side.stored(event.id);
            context.onStored(event.id);
          } else if (event.type === 'error') {
            status.textContent = `The re-run could not be stored: ${event.message}`;
            side.failed(event.message);
          }
        },
        running.signal,
      );
    } catch (error) {
      const message = running.signal.aborted
        ? 'Stopped.'
        : error instanceof ApiError
          ? error.message
          : `The re-run failed: ${(error as Error).message}`;
      status.textContent = message;
      side.failed(message);
    } finally {
      running = null;
      const stopHadFocus = document.activeElement === stopButton;
      runButton.disabled = !canRun;
      stopButton.hidden = true;
      if (stopHadFocus) runButton.focus();
    }
  };

  render();
  return h('div', { class: 'playground' }, comparison, root);
}

/** One message of the "what is sent" preview: its role, its content (in its own direction), and its tool calls. */
function previewedMessage(role: string | null | undefined, content: unknown, entry: MessageDraft): Child[] {
  const answers = role === 'tool' && entry.toolCallId ? ` · result of ${entry.toolCallId}` : '';
  const text = typeof content === 'string' ? content : prettyJson(content);
  const calls = entry.toolCallsText === null ? null : safeParse(entry.toolCallsText);
  const callLines = Array.isArray(calls)
    ? calls.map(toolCallText)
    : entry.toolCallsText !== null
      ? [`Tool calls (not a JSON array yet)\n${entry.toolCallsText}`]
      : [];
  return [
    `[${role ?? 'user'}${answers}]\n`,
    text !== '' || callLines.length === 0 ? h('span', { dir: 'auto' }, text) : null,
    text !== '' && callLines.length > 0 ? '\n' : null,
    callLines.join('\n'),
  ];
}

/** A tool call as the detail view shows it: the function's name, the call's id, and the arguments as JSON. */
function toolCallText(call: unknown): string {
  const record = typeof call === 'object' && call !== null ? (call as Partial<ToolCall>) : {};
  const head = `Tool call ${record.function?.name ?? '(unnamed)'}${record.id ? ` · ${record.id}` : ''}`;
  return record.function?.arguments ? `${head}\n${prettyJson(record.function.arguments)}` : head;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface ComparisonHandle {
  element: HTMLElement;
  stream(text: string): void;
  stored(id: string): void;
  failed(message: string): void;
}

function column(title: string, item: GenerationItem | null, generation: WireGeneration | null, ...extra: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'compare-column' },
    h('h4', null, title, generation ? [' ', typeBadge(generation)] : null),
    generation
      ? h(
          'p',
          { class: 'muted' },
          generation.model ?? '',
          ' · ',
          generation.provider ?? '',
          item ? [' · ', formatTime(item.startTime)] : null,
        )
      : null,
    ...extra,
  );
}

/** The original's answer beside a re-run's; the re-run side streams in, then shows what was stored. */
function comparisonView(originalItem: GenerationItem, original: WireGeneration): ComparisonHandle {
  const streamed = h('pre', { class: 'text streaming', id: 'rerun-output', dir: 'auto', 'aria-busy': 'true' });
  const rerunSide = h('div', { class: 'compare-column rerun-column', id: 'rerun-column' }, h('h4', null, 'Re-run'), streamed);
  const element = h(
    'div',
    null,
    h('h3', { id: 'comparison-title' }, 'Recorded and re-run, side by side'),
    h(
      'div',
      { class: 'compare-grid' },
      column('Recorded', originalItem, original, h('div', { class: 'original-output' }, answerView(original)), metricsView(original)),
      rerunSide,
    ),
  );
  return {
    element,
    stream(text) {
      streamed.textContent = text;
    },
    stored(id) {
      streamed.removeAttribute('aria-busy');
      void fetchGeneration(id)
        .then((stored) => {
          replaceChildren(rerunSide, rerunColumnContent(stored));
        })
        .catch((error: unknown) => {
          rerunSide.append(h('p', { class: 'warning' }, `Stored, but it could not be loaded: ${(error as Error).message}`));
        });
    },
    failed(message) {
      streamed.removeAttribute('aria-busy');
      rerunSide.append(h('div', { class: 'error-box' }, message));
    },
  };
}

function rerunColumnContent(item: GenerationItem): HTMLElement {
  const generation = wireOf(item);
  return column(
    'Re-run',
    item,
    generation,
    generation.error ? h('div', { class: 'error-box' }, h('strong', null, 'Error: '), generation.error) : null,
    h('div', { class: 'rerun-output', id: 'rerun-stored', 'data-id': item.id }, answerView(generation)),
    metricsView(generation),
    h('p', null, h('a', { href: `#/g/${encodeURIComponent(item.id)}`, class: 'rerun-link' }, 'Open the re-run')),
  );
}

/** For a generation that is itself a re-run: its origin beside it. */
export function originComparison(origin: GenerationItem, rerunItem: GenerationItem): HTMLElement {
  const original = wireOf(origin);
  const generation = wireOf(rerunItem);
  return h(
    'section',
    { class: 'panel comparison', id: 'origin-comparison', 'aria-labelledby': 'origin-comparison-title' },
    h('h3', { id: 'origin-comparison-title' }, 'Original and this re-run, side by side'),
    h(
      'div',
      { class: 'compare-grid' },
      column(
        'Original',
        origin,
        original,
        h('div', { class: 'original-output' }, answerView(original)),
        metricsView(original),
        h('p', null, h('a', { href: `#/g/${encodeURIComponent(origin.id)}` }, 'Open the original')),
      ),
      column('This re-run', rerunItem, generation, h('div', { class: 'rerun-output' }, answerView(generation)), metricsView(generation)),
    ),
  );
}
