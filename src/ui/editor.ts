import type { GenerationMessage, Tool, ToolCall } from '../generation/schema.js';
import {
  DEFAULT_TEMPLATE_FORMAT,
  formatMessages,
  formatTemplate,
  messagesVariables,
  templateVariables,
  variableText,
} from '../generation/template.js';
import { MAX_VARIANTS, splitResponseFormat, withResponseFormat } from '../generation/variant.js';
import { wordDiff } from '../generation/word-diff.js';
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
import { answerText, answerView, formatTime, metricsView, prettyJson, typeBadge } from './detail.js';
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

/** One variant as edited: plain JSON, so it can be kept in the browser's storage. */
interface Draft {
  /** The provider's name; '' when none is configured. */
  provider: string;
  model: string;
  /** The settings but a JSON schema response format, which has its own field. */
  settingsText: string;
  /** The tools as JSON text ('' for none). */
  toolsText: string;
  /** The response format's JSON schema as JSON text ('' for none). */
  responseFormatText: string;
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

function draftOf(generation: WireGeneration, provider: string): Draft {
  const { jsonSchema, rest } = splitResponseFormat(generation.settings ?? {});
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(generation.variables ?? {})) variables[name] = variableText(value);
  const templateMessages = Array.isArray(generation.template) ? generation.template : null;
  const completionTemplate = typeof generation.template === 'string' ? generation.template : null;
  return {
    provider,
    model: generation.model ?? '',
    settingsText: JSON.stringify(rest, null, 2),
    toolsText: generation.tools && generation.tools.length > 0 ? JSON.stringify(generation.tools, null, 2) : '',
    responseFormatText: jsonSchema ? JSON.stringify(jsonSchema, null, 2) : '',
    text: completionTemplate ?? generation.prompt ?? '',
    textIsTemplate: completionTemplate !== null,
    messages: (templateMessages ?? generation.messages ?? []).map(messageDraft),
    messagesAreTemplate: templateMessages !== null,
    variables,
  };
}

/** Thrown while reading a variant when a field holds invalid JSON; names the field to focus (by id), if it has one. */
class FieldError extends Error {
  constructor(
    readonly fieldId: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** The edits of one generation's variants, as kept in the browser's storage until restored or run. */
interface SavedEdits {
  selected: number;
  drafts: Draft[];
}

const EDITS_KEY_PREFIX = 'genspan.edits.';

/** The kept edits of a generation; null when there are none, or they are not of this page's making. */
function savedEdits(id: string): SavedEdits | null {
  try {
    const saved = JSON.parse(localStorage.getItem(EDITS_KEY_PREFIX + id) ?? 'null') as Partial<SavedEdits> | null;
    const drafts = saved?.drafts;
    if (!Array.isArray(drafts) || drafts.length === 0 || drafts.length > MAX_VARIANTS) return null;
    if (!drafts.every((d) => typeof d?.model === 'string' && typeof d.settingsText === 'string' && Array.isArray(d.messages))) return null;
    const selected = typeof saved?.selected === 'number' && saved.selected < drafts.length ? saved.selected : 0;
    return { selected, drafts };
  } catch {
    return null;
  }
}

/**
 * Keeps a generation's edits, or forgets them when `edits` is null. Returns false when the browser's storage refuses
 * (full, or turned off): the edits stay on the page, but not across a visit elsewhere.
 */
function keepEdits(id: string, edits: SavedEdits | null): boolean {
  try {
    if (edits) localStorage.setItem(EDITS_KEY_PREFIX + id, JSON.stringify(edits));
    else localStorage.removeItem(EDITS_KEY_PREFIX + id);
    return true;
  } catch {
    return false;
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
  const providers = context.config?.providers ?? [];
  const originalDraft = () => draftOf(original, defaultProvider(providers, original.provider)?.name ?? '');
  const kept = savedEdits(item.id);
  let drafts: Draft[] = kept?.drafts ?? [originalDraft()];
  let selected = kept?.selected ?? 0;
  let draft = drafts[selected];
  let running: AbortController | null = null;
  /** A variant's provider; one kept from an earlier visit that the server no longer has becomes the default one. */
  const providerOf = (d: Draft) => {
    const found = providers.find((p) => p.name === d.provider) ?? defaultProvider(providers, original.provider);
    if (found) d.provider = found.name;
    return found;
  };
  let provider = providerOf(draft);
  /** Keeps the edits in the browser while they differ from the recorded generation, and forgets them once they do not. */
  const persist = () => {
    const edited = drafts.length > 1 || JSON.stringify(draft) !== JSON.stringify(originalDraft());
    if (!keepEdits(item.id, edited ? { selected, drafts } : null)) {
      status.textContent = "This browser's storage refused the edits: they are lost when you open another generation.";
    }
  };

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

  const format = original.templateFormat ?? DEFAULT_TEMPLATE_FORMAT;
  /** The variables as sent: an unedited one keeps its value and type (a Mustache section's list), an edited one is text. */
  const variableValues = (): Record<string, unknown> => {
    const values: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(draft.variables)) {
      const before = original.variables?.[name];
      values[name] = before !== undefined && variableText(before) === text ? before : text;
    }
    return values;
  };
  const usesTemplate = () => (original.type === 'COMPLETION' ? draft.textIsTemplate : draft.messagesAreTemplate);

  const templateNames = (): string[] => {
    if (!usesTemplate()) return [];
    if (original.type === 'COMPLETION') return templateVariables(draft.text, format);
    return messagesVariables(
      draft.messages.map((m) => ({ content: m.contentIsParts ? safeParse(m.contentText) : m.contentText })),
      format,
    );
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
        const formatted = formatTemplate(draft.text, variableValues(), format);
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
      const formatted = draft.messagesAreTemplate ? formatMessages(messages, variableValues(), format) : { messages, missing: [] };
      missing = formatted.missing;
      replaceChildren(
        preview,
        formatted.messages.map((m, index) => [index > 0 ? '\n\n' : null, previewedMessage(m.role, m.content, draft.messages[index])]),
      );
    }
    previewNote.hidden = missing.length === 0;
    previewNote.textContent =
      missing.length > 0
        ? `No value for ${missing.map((n) => (format === 'mustache' ? `{{${n}}}` : `{${n}}`)).join(', ')}: sent as written.`
        : '';
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
      edited = editedGeneration(draft);
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
    persist();
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

  /** Reads a variant into the wire JSON the server re-runs. */
  const editedGeneration = (draft: Draft): WireGeneration => {
    /** A JSON field's value, or null when it is empty; `shape` says what it must be. */
    const jsonField = (text: string, fieldId: string, label: string, shape: 'object' | 'array'): unknown => {
      if (text.trim() === '') return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new FieldError(fieldId, `${label}: ${(error as Error).message}`);
      }
      const fits = shape === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      if (!fits) throw new FieldError(fieldId, `${label}: ${label.toLowerCase()} must be a JSON ${shape}`);
      return parsed;
    };
    const settings = (jsonField(draft.settingsText, 'edit-settings', 'Settings', 'object') ?? {}) as Record<string, unknown>;
    const tools = jsonField(draft.toolsText, 'edit-tools', 'Tools', 'array') as Tool[] | null;
    const jsonSchema = jsonField(draft.responseFormatText, 'edit-response-format', 'Response format', 'object');
    const variables = variableValues();
    const base: WireGeneration = {
      ...original,
      model: draft.model.trim(),
      settings: withResponseFormat(settings, jsonSchema as Record<string, unknown> | null),
      variables,
      tools,
    };
    if (original.type === 'COMPLETION') {
      return draft.textIsTemplate ? { ...base, template: draft.text } : { ...base, template: null, prompt: draft.text };
    }
    const messages = draft.messages.map((entry, index) => {
      const message: GenerationMessage = { ...entry.message };
      if (message.role === 'tool' && entry.toolCallId) message.tool_call_id = entry.toolCallId;
      if (entry.contentIsParts) {
        const parts = safeParse(entry.contentText);
        if (!Array.isArray(parts)) throw new FieldError(null, `Message ${index + 1}: the content parts must be a JSON array`);
        message.content = parts as GenerationMessage['content'];
      } else {
        message.content = entry.contentText;
      }
      if (entry.toolCallsText !== null) {
        const calls = safeParse(entry.toolCallsText);
        if (!Array.isArray(calls)) throw new FieldError(null, `Message ${index + 1}: the tool calls must be a JSON array`);
        message.tool_calls = calls as GenerationMessage['tool_calls'];
      }
      return message;
    });
    return draft.messagesAreTemplate ? { ...base, template: messages } : { ...base, template: null, messages };
  };

  const canRun = providers.length > 0;
  const runButton = h('button', { type: 'button', class: 'primary', id: 'run-button', props: { disabled: !canRun } }, 'Run again');
  const stopButton = h('button', { type: 'button', class: 'secondary', props: { hidden: true } }, 'Stop');
  const restoreButton = h('button', { type: 'button', class: 'secondary' }, 'Restore original');
  const variantTabs = h('div', { class: 'variant-tabs', role: 'group', 'aria-label': 'Variants' });

  /** Shows variant `index` in the form. */
  const select = (index: number) => {
    selected = index;
    draft = drafts[index];
    provider = providerOf(draft);
    render();
  };

  const renderTabs = () => {
    const add = h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        id: 'add-variant',
        props: { disabled: drafts.length >= MAX_VARIANTS },
        title: `Up to ${MAX_VARIANTS} variants run side by side`,
        on: {
          click: () => {
            // A new variant starts as a copy of the one shown: change its model, provider or prompt.
            drafts.push(JSON.parse(JSON.stringify(draft)) as Draft);
            select(drafts.length - 1);
            persist();
            root.querySelector<HTMLElement>('#edit-model')?.focus();
          },
        },
      },
      'Add variant',
    );
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        id: 'remove-variant',
        props: { disabled: drafts.length <= 1 },
        on: {
          click: () => {
            drafts.splice(selected, 1);
            select(Math.min(selected, drafts.length - 1));
            persist();
            root.querySelector<HTMLElement>('.variant-tab[aria-pressed="true"]')?.focus();
          },
        },
      },
      `Remove variant ${selected + 1}`,
    );
    replaceChildren(
      variantTabs,
      drafts.map((d, index) =>
        h(
          'button',
          {
            type: 'button',
            class: 'variant-tab',
            'aria-pressed': String(index === selected),
            on: {
              click: () => {
                select(index);
                root.querySelector<HTMLElement>(`.variant-tab[data-index="${index}"]`)?.focus();
              },
            },
            'data-index': String(index),
          },
          `Variant ${index + 1}`,
          h('span', { class: 'muted' }, ` ${d.model || '(no model)'}${d.provider ? ` · ${d.provider}` : ''}`),
        ),
      ),
      add,
      remove,
    );
  };

  const jsonArea = (id: string, value: string, rows: number, onInput: (text: string) => void, describedBy?: string) =>
    h('textarea', {
      id,
      class: 'code',
      rows: String(Math.min(10, Math.max(rows, value.split('\n').length))),
      'aria-describedby': describedBy,
      props: { value },
      on: {
        input: (event) => {
          onInput((event.target as HTMLTextAreaElement).value);
          (event.target as HTMLElement).removeAttribute('aria-invalid');
          scheduleCheck();
          persist();
        },
      },
    });

  const render = () => {
    variableNames = [];
    renderTabs();
    const settingsArea = jsonArea(
      'edit-settings',
      draft.settingsText,
      3,
      (text) => {
        draft.settingsText = text;
        settingsError.hidden = true;
      },
      settingsError.id,
    );
    // Tools and a response format are chat request parameters: the completions API takes neither.
    const chatOnly =
      original.type === 'CHAT'
        ? [
            field(
              'Tools (JSON)',
              jsonArea('edit-tools', draft.toolsText, 2, (text) => {
                draft.toolsText = text;
              }),
              h('p', { class: 'hint muted' }, 'An array of OpenAI function tools; empty for none.'),
            ),
            field(
              'Response format (JSON schema)',
              jsonArea('edit-response-format', draft.responseFormatText, 2, (text) => {
                draft.responseFormatText = text;
              }),
              h(
                'p',
                { class: 'hint muted' },
                'Sent as response_format json_schema: a schema, or { "name", "schema", "strict" }; empty for none.',
              ),
            ),
          ]
        : null;
    const model = h('input', {
      id: 'edit-model',
      type: 'text',
      props: { value: draft.model },
      on: {
        input: (event) => {
          draft.model = (event.target as HTMLInputElement).value;
          renderTabs();
          scheduleCheck();
          persist();
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
                    draft.provider = provider?.name ?? draft.provider;
                    replaceChildren(providerLineBox, providerNotice(context.config, provider));
                    renderTabs();
                    scheduleCheck();
                    persist();
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
      variantTabs,
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
          chatOnly,
          omittedNote,
        ),
      ),
      problemNote,
      h(
        'div',
        { class: 'actions' },
        runButton,
        stopButton,
        restoreButton,
        h('span', { class: 'hint muted' }, 'Ctrl+Enter (⌘+Enter) runs.'),
        status,
      ),
    );
    onEdit();
  };

  restoreButton.addEventListener('click', () => {
    drafts = [originalDraft()];
    keepEdits(item.id, null);
    select(0);
    // The form was rebuilt around the button: focus it again rather than losing it to the page.
    restoreButton.focus();
    status.textContent = 'Restored the recorded generation.';
  });

  stopButton.addEventListener('click', () => running?.abort());

  // Ctrl+Enter (⌘+Enter on a Mac) runs from anywhere in the editor, as in other playgrounds.
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (!runButton.disabled) runButton.click();
  });

  runButton.addEventListener('click', () => {
    const edits: { edited: WireGeneration; chosen: ProviderInfo }[] = [];
    for (const [index, each] of drafts.entries()) {
      const chosen = providerOf(each);
      try {
        const edited = editedGeneration(each);
        if (!chosen) throw new FieldError('edit-provider', `Variant ${index + 1}: choose a provider`);
        edits.push({ edited, chosen });
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        // Show the variant whose field is wrong, with the field marked and focused.
        if (index !== selected) select(index);
        const target = error.fieldId ? root.querySelector<HTMLElement>(`#${error.fieldId}`) : null;
        const message = drafts.length > 1 ? `Variant ${index + 1}: ${error.message}` : error.message;
        if (error.fieldId === 'edit-settings') {
          settingsError.textContent = message;
          settingsError.hidden = false;
        }
        target?.setAttribute('aria-invalid', 'true');
        status.textContent = message;
        (target ?? root).focus();
        return;
      }
    }
    // Run means the edits are used: they are no longer kept for a later visit.
    keepEdits(item.id, null);
    void runVariants(edits);
  });

  /** Runs every variant at once, each its own re-run request streaming into its own column. */
  const runVariants = async (edits: readonly { edited: WireGeneration; chosen: ProviderInfo }[]) => {
    const controller = new AbortController();
    running = controller;
    const runHadFocus = document.activeElement === runButton;
    runButton.disabled = true;
    stopButton.hidden = false;
    status.textContent = edits.length > 1 ? `Running ${edits.length} variants…` : 'Running…';
    const side = comparisonView(item, original, edits.length);
    replaceChildren(comparison, side.element);
    comparison.hidden = false;
    comparison.scrollIntoView({ block: 'nearest' });
    if (runHadFocus) comparison.focus({ preventScroll: true });
    const outcomes = await Promise.all(
      edits.map(({ edited, chosen }, index) => runOne(edited, chosen, side.columns[index], index === selected, controller.signal)),
    );
    status.textContent = controller.signal.aborted
      ? 'Stopped.'
      : outcomes.length === 1
        ? outcomes[0].message
        : outcomes.every((outcome) => outcome.stored)
          ? `Done. The ${outcomes.length} re-runs are stored as new generations.`
          : outcomes.map((outcome, index) => `Variant ${index + 1}: ${outcome.message}`).join(' ');
    running = null;
    const stopHadFocus = document.activeElement === stopButton;
    runButton.disabled = !canRun;
    stopButton.hidden = true;
    if (stopHadFocus) runButton.focus();
  };

  /** One variant's re-run, streamed into its column; says how it ended. */
  const runOne = async (
    edited: WireGeneration,
    chosen: ProviderInfo,
    side: VariantColumn,
    shown: boolean,
    signal: AbortSignal,
  ): Promise<{ stored: boolean; message: string }> => {
    let text = '';
    let outcome = { stored: false, message: 'The re-run ended without an answer.' };
    try {
      await rerun(
        item.id,
        edited,
        chosen.name,
        (event) => {
          if (event.type === 'start') {
            if (shown) showOmitted(event.omitted);
            side.started(event.model, event.provider);
          } else if (event.type === 'delta') {
            text += event.text;
            side.stream(text);
          } else if (event.type === 'done') {
            outcome = {
              stored: true,
              message: event.error ? `The re-run failed and was stored: ${event.error}` : 'Done. The re-run is stored as a new generation.',
            };
            side.stored(event.id);
            context.onStored(event.id);
          } else if (event.type === 'error') {
            outcome = { stored: false, message: `The re-run could not be stored: ${event.message}` };
            side.failed(outcome.message);
          }
        },
        signal,
      );
    } catch (error) {
      const message = signal.aborted
        ? 'Stopped.'
        : error instanceof ApiError
          ? error.message
          : `The re-run failed: ${(error as Error).message}`;
      outcome = { stored: false, message };
      side.failed(message);
    }
    return outcome;
  };

  if (kept) status.textContent = 'Your edits to this generation were kept from your last visit. Restore original discards them.';
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

/** One variant's column: it streams in, then shows what was stored. */
interface VariantColumn {
  started(model: string, provider: string): void;
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

const words = (count: number) => `${count} ${count === 1 ? 'word' : 'words'}`;

/** An output's words against the original's: inserted and deleted words marked, as text. */
function diffView(originalText: string, text: string): HTMLElement {
  const parts = wordDiff(originalText, text);
  const changed = parts.some((part) => part.kind !== 'same');
  const count = (kind: 'inserted' | 'deleted') =>
    parts.filter((part) => part.kind === kind).reduce((sum, part) => sum + part.text.split(/\s+/).filter(Boolean).length, 0);
  return h(
    'div',
    { class: 'word-diff-box' },
    h(
      'h5',
      null,
      'Against the original: ',
      changed ? `${words(count('inserted'))} inserted, ${count('deleted')} deleted` : 'the same words',
    ),
    h(
      'pre',
      { class: 'text word-diff', dir: 'auto' },
      parts.map((part) =>
        part.kind === 'same' ? part.text : h(part.kind === 'inserted' ? 'ins' : 'del', { class: `diff-${part.kind}` }, part.text),
      ),
    ),
  );
}

/** The original's answer beside each variant's; a variant's side streams in, then shows what was stored. */
function comparisonView(
  originalItem: GenerationItem,
  original: WireGeneration,
  count: number,
): { element: HTMLElement; columns: VariantColumn[] } {
  const originalText = answerText(original);
  const columns: VariantColumn[] = [];
  const sides: HTMLElement[] = [];
  for (let index = 1; index <= count; index++) {
    const title = count > 1 ? `Variant ${index}` : 'Re-run';
    const line = h('p', { class: 'muted' });
    const streamed = h('pre', { class: 'text streaming variant-output', id: `variant-${index}-output`, dir: 'auto', 'aria-busy': 'true' });
    const side = h(
      'div',
      { class: 'compare-column rerun-column variant-column', id: `variant-${index}-column`, 'data-variant': String(index) },
      h('h4', null, title),
      line,
      streamed,
    );
    sides.push(side);
    columns.push({
      started(model, provider) {
        line.textContent = `${model} · ${provider}`;
      },
      stream(text) {
        streamed.textContent = text;
      },
      stored(id) {
        streamed.removeAttribute('aria-busy');
        void fetchGeneration(id)
          .then((stored) => {
            replaceChildren(side, storedVariantContent(title, index, stored, originalText));
          })
          .catch((error: unknown) => {
            side.append(h('p', { class: 'warning' }, `Stored, but it could not be loaded: ${(error as Error).message}`));
          });
      },
      failed(message) {
        streamed.removeAttribute('aria-busy');
        side.append(h('div', { class: 'error-box' }, message));
      },
    });
  }
  const element = h(
    'div',
    null,
    h('h3', { id: 'comparison-title' }, count > 1 ? `Recorded and ${count} variants, side by side` : 'Recorded and re-run, side by side'),
    h(
      'div',
      { class: 'compare-grid variants-grid' },
      column(
        'Recorded',
        originalItem,
        original,
        h('div', { class: 'original-output' }, answerView(original)),
        metricsView(original, originalItem.cost),
      ),
      sides,
    ),
  );
  return { element, columns };
}

function storedVariantContent(title: string, index: number, item: GenerationItem, originalText: string): Child[] {
  const generation = wireOf(item);
  const content = column(
    title,
    item,
    generation,
    generation.error ? h('div', { class: 'error-box' }, h('strong', null, 'Error: '), generation.error) : null,
    h('div', { class: 'rerun-output variant-stored', id: `variant-${index}-stored`, 'data-id': item.id }, answerView(generation)),
    metricsView(generation, item.cost),
    diffView(originalText, answerText(generation)),
    h('p', null, h('a', { href: `#/g/${encodeURIComponent(item.id)}`, class: 'rerun-link' }, 'Open the re-run')),
  );
  return [...content.childNodes];
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
