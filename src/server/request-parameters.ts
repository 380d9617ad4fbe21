import type { OmittedSetting } from '../generation/rest.js';
import type { GenerationMessage } from '../generation/schema.js';
import { REDACTED } from '../semconv/keys.js';
import { requestSetting } from '../semconv/settings.js';

/**
 * What a recorded generation's settings become in an OpenAI-compatible request: the request parameters the API
 * accepts, under their OpenAI names and in their OpenAI shapes; everything else is left out, with the reason, so the
 * page can say so. Pure.
 */

export type ProviderApi = 'chat' | 'completions';

/**
 * The request parameters of OpenAI's Create chat completion and (legacy) Create completion, from the API reference
 * (https://platform.openai.com/docs/api-reference/chat/create, .../completions/create; the same list as the
 * `CreateChatCompletionRequest` and `CreateCompletionRequest` schemas of OpenAI's OpenAPI description).
 */
const OPENAI_REQUEST_PARAMETERS: Readonly<Record<ProviderApi, ReadonlySet<string>>> = {
  chat: new Set([
    'model',
    'messages',
    'audio',
    'frequency_penalty',
    'function_call',
    'functions',
    'logit_bias',
    'logprobs',
    'max_completion_tokens',
    'max_tokens',
    'metadata',
    'modalities',
    'n',
    'parallel_tool_calls',
    'prediction',
    'presence_penalty',
    'prompt_cache_key',
    'reasoning_effort',
    'response_format',
    'safety_identifier',
    'seed',
    'service_tier',
    'stop',
    'store',
    'stream',
    'stream_options',
    'temperature',
    'tool_choice',
    'tools',
    'top_logprobs',
    'top_p',
    'user',
    'verbosity',
    'web_search_options',
  ]),
  completions: new Set([
    'model',
    'prompt',
    'best_of',
    'echo',
    'frequency_penalty',
    'logit_bias',
    'logprobs',
    'max_tokens',
    'n',
    'presence_penalty',
    'seed',
    'stop',
    'stream',
    'stream_options',
    'suffix',
    'temperature',
    'top_p',
    'user',
  ]),
};

/** Parameters the playground sets itself (what to send, and how it streams); a setting of the same name is not sent. */
const CONTROLLED_PARAMETERS = new Set(['model', 'messages', 'prompt', 'stream', 'stream_options', 'n', 'tools']);

/** Options of the SDKs instrumentations record with the settings (OpenAI's, the Vercel AI SDK's): not sent to a model. */
const SDK_OPTIONS = new Set([
  'maxRetries',
  'max_retries',
  'timeout',
  'headers',
  'baseURL',
  'base_url',
  'apiKey',
  'api_key',
  'organization',
  'project',
  'abortSignal',
  'fetch',
  'defaultHeaders',
  'defaultQuery',
  'providerOptions',
  'experimental_telemetry',
]);

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * The OpenAI name of a setting for `api`: the name itself when the API takes it, else the conventions' name for an
 * alias (`stopSequences` → `stop`, `maxOutputTokens` → `max_tokens`), else its snake_case (`toolChoice` → `tool_choice`).
 */
function parameterName(name: string, api: ProviderApi): string | undefined {
  const accepted = OPENAI_REQUEST_PARAMETERS[api];
  for (const candidate of [name, requestSetting(name)?.name, snakeCase(name)]) if (candidate && accepted.has(candidate)) return candidate;
  return undefined;
}

type Translated = { value: unknown } | { reason: string };

/** `tool_choice` in OpenAI's shape: the AI SDK records `{ type: 'auto' | 'none' | 'required' }` or `{ type: 'tool', toolName }`. */
function toolChoice(value: unknown): Translated {
  if (value === 'auto' || value === 'none' || value === 'required') return { value };
  const choice = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (choice.type === 'auto' || choice.type === 'none' || choice.type === 'required') return { value: choice.type };
  if (choice.type === 'tool' && typeof choice.toolName === 'string')
    return { value: { type: 'function', function: { name: choice.toolName } } };
  const fn = choice.function as { name?: unknown } | undefined;
  if (choice.type === 'function' && typeof fn?.name === 'string') return { value: { type: 'function', function: { name: fn.name } } };
  return { reason: 'not a tool choice OpenAI understands' };
}

/** `response_format` in OpenAI's shape: the AI SDK records `{ type: 'json', schema?, name?, description? }`. */
function responseFormat(value: unknown): Translated {
  const format = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (format.type === 'text' || format.type === 'json_object' || format.type === 'json_schema') return { value };
  if (format.type === 'json' && format.schema === undefined) return { value: { type: 'json_object' } };
  if (format.type === 'json' && typeof format.schema === 'object') {
    const name = typeof format.name === 'string' ? format.name : 'response';
    const description = typeof format.description === 'string' ? { description: format.description } : {};
    return { value: { type: 'json_schema', json_schema: { name, ...description, schema: format.schema } } };
  }
  return { reason: 'not a response format OpenAI understands' };
}

const VALUE_SHAPES: Readonly<Record<string, (value: unknown) => Translated>> = {
  tool_choice: toolChoice,
  response_format: responseFormat,
};

export interface RequestSettings {
  /** What is sent, under OpenAI's names. */
  sent: Record<string, unknown>;
  /** What is not, each with why. */
  omitted: OmittedSetting[];
}

/** Parameters that only mean something with `tools`: OpenAI refuses a request that sends them without. */
const TOOL_PARAMETERS = new Set(['tool_choice', 'parallel_tool_calls']);

/**
 * The settings a provider is sent for `api`, and those left out with the reason. `hasTools`: whether the request
 * sends `tools`; without them the tool parameters are left out.
 */
export function requestSettings(settings: Readonly<Record<string, unknown>>, api: ProviderApi, hasTools: boolean): RequestSettings {
  const sent: Record<string, unknown> = {};
  const omitted: OmittedSetting[] = [];
  const omit = (setting: string, reason: string) => omitted.push({ setting, reason });
  for (const [setting, value] of Object.entries(settings)) {
    if (value === undefined || value === null) continue;
    if (value === REDACTED) {
      omit(setting, 'redacted when it was recorded');
      continue;
    }
    if (SDK_OPTIONS.has(setting)) {
      omit(setting, 'an SDK option, not a request parameter');
      continue;
    }
    const name = parameterName(setting, api);
    if (name === undefined) {
      const other = api === 'chat' ? 'completions' : 'chat';
      const elsewhere = parameterName(setting, other) !== undefined;
      omit(setting, elsewhere ? `a ${other} parameter, not a ${api} one` : `not an OpenAI ${api} request parameter`);
      continue;
    }
    if (CONTROLLED_PARAMETERS.has(name)) {
      omit(setting, 'set by the playground');
      continue;
    }
    if (TOOL_PARAMETERS.has(name) && !hasTools) {
      omit(setting, 'no tools in the request');
      continue;
    }
    if (name in sent) {
      omit(setting, `${name} is set already`);
      continue;
    }
    const translated = VALUE_SHAPES[name]?.(value) ?? { value };
    if ('reason' in translated) omit(setting, translated.reason);
    else sent[name] = translated.value;
  }
  return { sent, omitted };
}

/**
 * The ids of assistant tool calls that no later tool message answers: a provider refuses such a conversation, so
 * the playground flags it before sending.
 */
export function unansweredToolCalls(messages: readonly GenerationMessage[]): string[] {
  // One backwards pass: a call is answered when a tool message after it names its id.
  const answered = new Set<string>();
  const unanswered: string[] = [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    const calls = message.tool_calls ?? [];
    for (let k = calls.length - 1; k >= 0; k--) {
      const id = calls[k].id ?? '';
      if (!answered.has(id)) unanswered.push(id || `(without an id, in message ${index + 1})`);
    }
    if (message.role === 'tool' && typeof message.tool_call_id === 'string') answered.add(message.tool_call_id);
  }
  return unanswered.reverse();
}
