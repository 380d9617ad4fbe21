import type { ContentPart, GenerationMessage, Tool, ToolCall } from '../../generation/schema.js';
import { GenerationMetadata, LangChain, OpenInference, REQUEST_BODY_CONTENT_KEYS, RESPONSE_OBJECT_KEYS } from '../../semconv/keys.js';
import { gather, hasInput, hasOutput, msToFirstEvent, put, type TranslationContext } from '../draft.js';
import {
  contentFrom,
  instructionsFrom,
  mergeOutput,
  messageFrom,
  messagesFrom,
  messagesFromResponseItems,
  toolCallFrom,
  toolFrom,
  toolsFrom,
  withInstructions,
} from '../messages.js';
import { normalizeProvider } from '../provider.js';
import {
  at,
  capText,
  indexedItems,
  isRecord,
  isSafeKey,
  jsonOrText,
  jsonValue,
  type KeyTree,
  readCount,
  readNumber,
  readString,
  readStringList,
  unflatten,
} from '../read.js';

/**
 * OpenInference (span-conventions.md §4): flattened `llm.input_messages.{i}.message.*` / `llm.output_messages`,
 * `llm.prompts` / `llm.choices` for completions, `llm.tools`, `llm.invocation_parameters`, token counts,
 * prompt-template keys, and the raw `input.value` / `output.value` as the last resort.
 */

/**
 * Keys of `llm.invocation_parameters` that are content, or the response's own, not settings: `system` is Anthropic's
 * system prompt, which is a message.
 */
const NOT_SETTINGS: ReadonlySet<string> = new Set([...REQUEST_BODY_CONTENT_KEYS, ...RESPONSE_OBJECT_KEYS, 'system']);

/** Content entries that repeat the message's `tool_calls` (Anthropic `tool_use` blocks), so are not content. */
const TOOL_CALL_CONTENT = 'tool_use';

function flatContent(message: KeyTree, label: string, warnings: string[]): GenerationMessage['content'] {
  const contents = indexedItems(message.contents);
  if (contents.length === 0) return contentFrom(message.content, label, warnings);
  const parts: ContentPart[] = [];
  for (const entry of contents) {
    const type = at(entry, 'message_content', 'type');
    const text = at(entry, 'message_content', 'text');
    const image = at(entry, 'message_content', 'image', 'image', 'url');
    if (typeof image === 'string') parts.push({ type: 'image_url', image_url: { url: image } });
    else if (typeof text === 'string') parts.push({ type: 'text', text });
    else if (typeof type === 'string' && type !== TOOL_CALL_CONTENT) parts.push({ type });
  }
  return parts.length > 0 ? contentFrom(parts, label, warnings) : null;
}

function flatMessage(item: KeyTree, defaultRole: string, label: string, warnings: string[]): GenerationMessage | undefined {
  const message = item.message;
  if (message === undefined || message === null || typeof message !== 'object') return undefined;
  const node = message as KeyTree;
  const out: GenerationMessage = {
    role: typeof node.role === 'string' ? node.role : defaultRole,
    content: flatContent(node, label, warnings),
  };
  if (typeof node.name === 'string') out.name = node.name;
  if (typeof node.tool_call_id === 'string') {
    out.tool_call_id = node.tool_call_id;
    // Anthropic sends a tool's result as a user message's `tool_result` block; OpenAI as a `tool` message.
    if (out.role === 'user') out.role = 'tool';
  }
  const calls = indexedItems(node.tool_calls)
    .map((call) =>
      toolCallFrom({
        id: at(call, 'tool_call', 'id'),
        name: at(call, 'tool_call', 'function', 'name'),
        arguments: at(call, 'tool_call', 'function', 'arguments'),
      }),
    )
    .filter((call): call is ToolCall => call !== undefined);
  if (calls.length > 0) out.tool_calls = calls;
  if (typeof node.function_call_name === 'string') {
    out.function_call = { name: node.function_call_name };
    if (typeof node.function_call_arguments_json === 'string') out.function_call.arguments = node.function_call_arguments_json;
  }
  return out;
}

function flatMessages(tree: KeyTree | undefined, defaultRole: string, label: string, warnings: string[]): GenerationMessage[] | undefined {
  if (!tree) return undefined;
  const messages = indexedItems(tree)
    .map((item) => flatMessage(item, defaultRole, label, warnings))
    .filter((message): message is GenerationMessage => message !== undefined);
  return messages.length > 0 ? messages : undefined;
}

/** `llm.prompts` is `llm.prompts.{i}.prompt.text` in the spec, a plain string list in older emitters. */
function promptsText(context: TranslationContext, tree: KeyTree | undefined): string | undefined {
  const texts = indexedItems(tree)
    .map((item) => at(item, 'prompt', 'text'))
    .filter((text): text is string => typeof text === 'string');
  if (texts.length > 0) return texts.join('\n');
  const list = readStringList(context.attributes, OpenInference.PROMPTS, context.warnings);
  return list && list.length > 0 ? list.join('\n') : undefined;
}

/** The raw request in `input.value`: chat `messages`, Responses `input` + `instructions`, or a completions `prompt`. */
function inputFromValue(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const value = jsonOrText(attributes[OpenInference.INPUT_VALUE], OpenInference.INPUT_VALUE, warnings);
  if (typeof value === 'string') {
    draft.prompt ??= value;
    return;
  }
  if (!isRecord(value)) return;
  if (Array.isArray(value.messages)) {
    draft.messages ??= messagesFrom(value.messages, OpenInference.INPUT_VALUE, warnings);
    if (value.system !== undefined) draft.instructions ??= instructionsFrom(value.system, OpenInference.INPUT_VALUE, warnings);
  } else if (value.input !== undefined) {
    const items = messagesFromResponseItems(value.input, OpenInference.INPUT_VALUE, warnings);
    if (items) draft.messages ??= withInstructions(items, instructionsFrom(value.instructions, OpenInference.INPUT_VALUE, warnings));
  } else if (typeof value.prompt === 'string') {
    draft.prompt ??= capText(value.prompt, OpenInference.INPUT_VALUE, warnings);
  }
}

/** The raw response in `output.value`: chat `choices[0].message`, completions `choices[0].text`, Responses `output`. */
function outputFromValue(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const value = jsonOrText(attributes[OpenInference.OUTPUT_VALUE], OpenInference.OUTPUT_VALUE, warnings);
  if (typeof value === 'string') {
    draft.completion ??= value;
    return;
  }
  if (!isRecord(value)) return;
  const first = Array.isArray(value.choices) ? value.choices[0] : undefined;
  if (isRecord(first) && isRecord(first.message))
    draft.messageCompletion ??= messageFrom(first.message, 'assistant', OpenInference.OUTPUT_VALUE, warnings);
  else if (isRecord(first) && typeof first.text === 'string') draft.completion ??= first.text;
  else if (Array.isArray(value.output)) {
    const items = messagesFromResponseItems(value.output, OpenInference.OUTPUT_VALUE, warnings);
    if (items) draft.messageCompletion ??= mergeOutput(items.map((message) => ({ ...message, role: 'assistant' })));
  }
}

/** The requested model of a call that got no answer (no `llm.model_name`): the request body's `model`. */
function requestedModel(context: TranslationContext, parameters: unknown): string | undefined {
  if (isRecord(parameters) && typeof parameters.model === 'string') return parameters.model;
  const input = context.attributes[OpenInference.INPUT_VALUE];
  if (typeof input !== 'string' || context.attributes[OpenInference.INPUT_MIME_TYPE] !== OpenInference.MIME_JSON) return undefined;
  const value = jsonOrText(input, OpenInference.INPUT_VALUE, context.warnings);
  return isRecord(value) && typeof value.model === 'string' ? value.model : undefined;
}

function flatTools(tree: KeyTree | undefined, warnings: string[]): Tool[] | undefined {
  const tools = indexedItems(tree)
    .map((item) => toolFrom(jsonValue(at(item, 'tool', 'json_schema'), OpenInference.TOOLS_PREFIX, warnings)))
    .filter((tool): tool is Tool => tool !== undefined);
  return tools.length > 0 ? tools : undefined;
}

export function readOpenInference(context: TranslationContext): void {
  const { attributes, keys, warnings, draft } = context;

  draft.model ??=
    readString(attributes, OpenInference.RESPONSE_MODEL_NAME, warnings) ??
    readString(attributes, OpenInference.MODEL_NAME, warnings) ??
    readString(attributes, OpenInference.REQUEST_MODEL_NAME, warnings);
  const provider = readString(attributes, OpenInference.PROVIDER, warnings) ?? readString(attributes, OpenInference.SYSTEM, warnings);
  if (provider !== undefined) draft.provider ??= normalizeProvider(provider);

  if (!hasInput(draft)) {
    draft.messages ??= flatMessages(
      unflatten(attributes, keys.llm, OpenInference.INPUT_MESSAGES_PREFIX, warnings),
      'user',
      OpenInference.INPUT_MESSAGES_PREFIX,
      warnings,
    );
  }
  if (!hasInput(draft)) draft.prompt ??= promptsText(context, unflatten(attributes, keys.llm, OpenInference.PROMPTS_PREFIX, warnings));
  if (!hasOutput(draft)) {
    const output = flatMessages(
      unflatten(attributes, keys.llm, OpenInference.OUTPUT_MESSAGES_PREFIX, warnings),
      'assistant',
      OpenInference.OUTPUT_MESSAGES_PREFIX,
      warnings,
    );
    if (output) draft.messageCompletion ??= output[0];
  }
  if (!hasOutput(draft)) {
    const [choice] = indexedItems(unflatten(attributes, keys.llm, OpenInference.CHOICES_PREFIX, warnings));
    const text = at(choice, 'completion', 'text');
    if (typeof text === 'string') draft.completion ??= capText(text, OpenInference.CHOICES_PREFIX, warnings);
  }
  if (!hasInput(draft)) inputFromValue(context);
  if (!hasOutput(draft)) outputFromValue(context);

  const parameters = jsonValue(attributes[OpenInference.INVOCATION_PARAMETERS], OpenInference.INVOCATION_PARAMETERS, warnings);
  draft.tools ??= flatTools(unflatten(attributes, keys.llm, OpenInference.TOOLS_PREFIX, warnings), warnings);
  if (isRecord(parameters)) {
    if (parameters.system !== undefined)
      draft.instructions ??= instructionsFrom(parameters.system, OpenInference.INVOCATION_PARAMETERS, warnings);
    draft.tools ??= toolsFrom(parameters.tools, (text) => jsonValue(text, OpenInference.INVOCATION_PARAMETERS, warnings));
    for (const key of Object.keys(parameters)) {
      if (!NOT_SETTINGS.has(key) && isSafeKey(key, OpenInference.INVOCATION_PARAMETERS, warnings))
        put(draft.settings, key, parameters[key]);
    }
  } else if (parameters !== undefined) {
    warnings.push(`${OpenInference.INVOCATION_PARAMETERS}: expected a JSON object`);
  }
  draft.model ??= requestedModel(context, parameters);

  draft.inputTokens ??= readCount(attributes, OpenInference.TOKEN_COUNT_PROMPT, warnings);
  draft.outputTokens ??= readCount(attributes, OpenInference.TOKEN_COUNT_COMPLETION, warnings);
  draft.totalTokens ??= readCount(attributes, OpenInference.TOKEN_COUNT_TOTAL, warnings);
  const cost = draft.cost;
  cost.input ??= readNumber(attributes, OpenInference.COST_PROMPT, warnings);
  cost.output ??= readNumber(attributes, OpenInference.COST_COMPLETION, warnings);
  cost.total ??= readNumber(attributes, OpenInference.COST_TOTAL, warnings);
  draft.ttFirstToken ??=
    readNumber(attributes, OpenInference.METADATA_MS_TO_FIRST_CHUNK, warnings) ??
    // The Python instrumentations mark a stream's first token with an event.
    msToFirstEvent(context.span, OpenInference.FIRST_TOKEN_EVENT);

  const variables = jsonValue(attributes[OpenInference.PROMPT_TEMPLATE_VARIABLES], OpenInference.PROMPT_TEMPLATE_VARIABLES, warnings);
  if (isRecord(variables)) draft.variables ??= variables;
  else if (variables !== undefined) warnings.push(`${OpenInference.PROMPT_TEMPLATE_VARIABLES}: expected a JSON object`);
  // The template is one string: a completion's template as it is; a chat's has no message structure, so it is
  // kept in metadata rather than guessed into messages.
  const template = readString(attributes, OpenInference.PROMPT_TEMPLATE, warnings);
  if (context.type === 'COMPLETION') draft.template ??= template;
  else put(draft.metadata, GenerationMetadata.PROMPT_TEMPLATE, template);
  draft.promptId ??= readString(attributes, OpenInference.PROMPT_ID, warnings);
  draft.tags ??= readStringList(attributes, OpenInference.TAGS, warnings);

  const metadata = draft.metadata;
  put(metadata, GenerationMetadata.PROMPT_VERSION, readString(attributes, OpenInference.PROMPT_TEMPLATE_VERSION, warnings));
  put(metadata, GenerationMetadata.FINISH_REASON, readString(attributes, OpenInference.FINISH_REASON, warnings));
  put(metadata, GenerationMetadata.SESSION_ID, readString(attributes, OpenInference.SESSION_ID, warnings));
  put(metadata, GenerationMetadata.USER_ID, readString(attributes, OpenInference.USER_ID, warnings));
  put(metadata, GenerationMetadata.CACHE_READ_INPUT_TOKENS, readCount(attributes, OpenInference.TOKEN_COUNT_CACHE_READ, warnings));
  put(metadata, GenerationMetadata.REASONING_OUTPUT_TOKENS, readCount(attributes, OpenInference.TOKEN_COUNT_REASONING, warnings));
  const extra = jsonValue(attributes[OpenInference.METADATA], OpenInference.METADATA, warnings);
  if (isRecord(extra)) {
    gather(metadata, extra, OpenInference.METADATA, warnings);
    const langChain = extra[LangChain.LS_PROVIDER];
    if (typeof langChain === 'string') draft.provider ??= normalizeProvider(langChain);
  }
  if (draft.provider === undefined && attributes[OpenInference.OUTPUT_VALUE] !== undefined) {
    // Its problems, if any, are the output reader's to report.
    const provider = langChainProvider(jsonOrText(attributes[OpenInference.OUTPUT_VALUE], OpenInference.OUTPUT_VALUE, []));
    if (provider !== undefined) draft.provider = normalizeProvider(provider);
  }
}

/** A LangChain `LLMResult`'s provider: its first generation's `message.kwargs.response_metadata.model_provider`. */
function langChainProvider(result: unknown): string | undefined {
  const first = isRecord(result) && Array.isArray(result.generations) ? result.generations[0] : undefined;
  const generation = Array.isArray(first) ? first[0] : undefined;
  const message = isRecord(generation) ? generation.message : undefined;
  const kwargs = isRecord(message) ? message.kwargs : undefined;
  const metadata = isRecord(kwargs) ? kwargs.response_metadata : undefined;
  const provider = isRecord(metadata) ? metadata[LangChain.MODEL_PROVIDER] : undefined;
  return typeof provider === 'string' ? provider : undefined;
}
