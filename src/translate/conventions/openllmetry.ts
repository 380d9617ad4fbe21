import type { GenerationMessage, Tool, ToolCall } from '../../generation/schema.js';
import { GenerationMetadata, OpenLLMetry } from '../../semconv/keys.js';
import { REQUEST_SETTINGS, type RequestSetting } from '../../semconv/settings.js';
import { gather, hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { contentFrom, messageFrom, messagesFrom, toolCallFrom } from '../messages.js';
import {
  at,
  clean,
  indexedItems,
  isRecord,
  jsonValue,
  type KeyTree,
  parseJson,
  prefixed,
  readCount,
  readString,
  readStringList,
  unflatten,
} from '../read.js';
import { associationMetadata } from './literal.js';

/**
 * OpenLLMetry / Traceloop (span-conventions.md §3): the legacy indexed keys of ≤0.22 (and of the vertexai,
 * cohere and together instrumentations still), `gen_ai.prompt.{i}.role|content` / `gen_ai.completion.{i}.*`,
 * `llm.request.functions.{i}.*`, `llm.*` settings and totals; plus what every version writes in `traceloop.*`.
 */

/** The settings legacy OpenLLMetry writes under `llm.*` keys of their own. */
const LEGACY_SETTINGS: readonly (RequestSetting & { openLLMetryKey: string })[] = Object.freeze(
  REQUEST_SETTINGS.filter((entry): entry is RequestSetting & { openLLMetryKey: string } => entry.openLLMetryKey !== undefined),
);

/** Content is a string, or (for content-part lists) their JSON. */
function legacyContent(value: unknown, label: string, warnings: string[]): GenerationMessage['content'] {
  if (typeof value === 'string' && value.startsWith('[{')) {
    const parts = parseJson(value, label, []);
    if (Array.isArray(parts) && parts.every((part) => isRecord(part) && typeof part.type === 'string'))
      return contentFrom(parts, label, warnings);
  }
  return contentFrom(value, label, warnings);
}

function legacyToolCalls(node: unknown): ToolCall[] | undefined {
  const calls = indexedItems(node)
    .map((call) => toolCallFrom({ id: call.id, name: call.name, arguments: call.arguments }))
    .filter((call): call is ToolCall => call !== undefined);
  return calls.length > 0 ? calls : undefined;
}

function legacyMessage(item: KeyTree, defaultRole: string, label: string, warnings: string[]): GenerationMessage {
  const role = typeof item.role === 'string' ? item.role : defaultRole;
  // The cohere instrumentation writes `.user` where the others write `.content` (§3.2).
  const message: GenerationMessage = { role, content: legacyContent(item.content ?? item.user, label, warnings) };
  const calls = legacyToolCalls(item.tool_calls);
  if (calls) message.tool_calls = calls;
  if (typeof item.tool_call_id === 'string') message.tool_call_id = item.tool_call_id;
  const functionName = at(item, 'function_call', 'name');
  if (typeof functionName === 'string') {
    const args = at(item, 'function_call', 'arguments');
    message.function_call = typeof args === 'string' ? { name: functionName, arguments: args } : { name: functionName };
  }
  return message;
}

function legacyTools(tree: KeyTree | undefined, warnings: string[]): Tool[] | undefined {
  if (!tree) return undefined;
  const tools: Tool[] = [];
  for (const item of indexedItems(tree)) {
    const fn: Record<string, unknown> = { name: typeof item.name === 'string' ? item.name : '' };
    if (typeof item.description === 'string') fn.description = item.description;
    // The JavaScript instrumentations name the schema `.arguments`, the Python one `.parameters`.
    const schema = item.parameters ?? item.arguments;
    const parameters = typeof schema === 'string' ? parseJson(schema, OpenLLMetry.REQUEST_FUNCTIONS_PREFIX, warnings) : undefined;
    if (isRecord(parameters)) fn.parameters = parameters;
    tools.push({ type: 'function', function: fn as Tool['function'] });
  }
  return tools.length > 0 ? tools : undefined;
}

export function readOpenLLMetry(context: TranslationContext): void {
  const { attributes, keys, warnings, draft } = context;

  if (keys.legacyContent && !hasInput(draft)) {
    const prompts = indexedItems(unflatten(attributes, Object.keys(attributes), OpenLLMetry.PROMPT_PREFIX, warnings));
    if (prompts.length > 0) draft.messages ??= prompts.map((item) => legacyMessage(item, 'user', OpenLLMetry.PROMPT_PREFIX, warnings));
  }
  if (keys.legacyContent && !hasOutput(draft)) {
    const [first] = indexedItems(unflatten(attributes, Object.keys(attributes), OpenLLMetry.COMPLETION_PREFIX, warnings));
    if (first) {
      draft.messageCompletion ??= legacyMessage(first, 'assistant', OpenLLMetry.COMPLETION_PREFIX, warnings);
      if (typeof first.finish_reason === 'string') put(draft.metadata, GenerationMetadata.FINISH_REASON, first.finish_reason);
    }
  }
  draft.tools ??= legacyTools(unflatten(attributes, keys.llm, OpenLLMetry.REQUEST_FUNCTIONS_PREFIX, warnings), warnings);

  for (const { name, kind, openLLMetryKey: key } of LEGACY_SETTINGS) {
    put(draft.settings, name, kind === 'strings' ? readStringList(attributes, key, warnings) : clean(attributes[key], key, warnings));
  }

  draft.totalTokens ??= readCount(attributes, OpenLLMetry.USAGE_TOTAL_TOKENS, warnings);
  draft.variables ??= prefixed(attributes, keys.traceloop, OpenLLMetry.TEMPLATE_VARIABLES_PREFIX, warnings);
  draft.promptId ??= readString(attributes, OpenLLMetry.PROMPT_KEY, warnings);
  put(
    draft.metadata,
    GenerationMetadata.PROMPT_VERSION,
    clean(attributes[OpenLLMetry.PROMPT_VERSION], OpenLLMetry.PROMPT_VERSION, warnings),
  );
  gather(
    draft.metadata,
    associationMetadata(prefixed(attributes, keys.traceloop, OpenLLMetry.ASSOCIATION_PROPERTIES_PREFIX, warnings)),
    OpenLLMetry.ASSOCIATION_PROPERTIES_PREFIX,
    warnings,
  );

  // Decorated workflow/task input `{args, kwargs}` (§3.1): only its messages are a call's input.
  if (!hasInput(draft) && attributes[OpenLLMetry.ENTITY_INPUT] !== undefined) {
    const input = jsonValue(attributes[OpenLLMetry.ENTITY_INPUT], OpenLLMetry.ENTITY_INPUT, warnings);
    const kwargs = isRecord(input) && isRecord(input.kwargs) ? input.kwargs : input;
    if (isRecord(kwargs)) draft.messages ??= messagesFrom(kwargs.messages, OpenLLMetry.ENTITY_INPUT, warnings);
  }
  if (!hasOutput(draft) && attributes[OpenLLMetry.ENTITY_OUTPUT] !== undefined) {
    const output = jsonValue(attributes[OpenLLMetry.ENTITY_OUTPUT], OpenLLMetry.ENTITY_OUTPUT, warnings);
    if (isRecord(output) && 'role' in output)
      draft.messageCompletion ??= messageFrom(output, 'assistant', OpenLLMetry.ENTITY_OUTPUT, warnings);
  }
}
