import type { GenerationMessage, ToolCall } from '../../generation/schema.js';
import { GenerationMetadata, GenerationSettings, VercelAI } from '../../semconv/keys.js';
import { requestSetting } from '../../semconv/settings.js';
import { gather, hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { contentFrom, messagesFromVercel, toolCallFrom, toolsFrom } from '../messages.js';
import { normalizeProvider } from '../provider.js';
import { capText, isRecord, isSafeKey, jsonValue, numberValue, prefixed, readCount, readNumber, readString } from '../read.js';

/**
 * Vercel AI SDK legacy telemetry, `ai.*` keys of v3 to v6 and v7's `LegacyOpenTelemetry` (span-conventions.md §5.1):
 * the per-call `doGenerate` / `doStream` spans. Usage, result and timing keys changed names across versions;
 * every spelling is read, newest first.
 */

const MS_PER_SECOND = 1000;
/** `ai.settings.context.*` relative to `ai.settings.`: v7 runtime context, kept as metadata. */
const CONTEXT_PREFIX = VercelAI.SETTINGS_CONTEXT_PREFIX.slice(VercelAI.SETTINGS_PREFIX.length);

function toolCalls(value: unknown): ToolCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const calls = value.map(toolCallFrom).filter((call): call is ToolCall => call !== undefined);
  return calls.length > 0 ? calls : undefined;
}

/** `ai.prompt`: `{system?, prompt?, messages?}` as given to generateText / streamText. */
function messagesFromCallPrompt(value: unknown, warnings: string[]): GenerationMessage[] | undefined {
  if (!isRecord(value)) return undefined;
  const messages: GenerationMessage[] = [];
  if (typeof value.system === 'string') messages.push({ role: 'system', content: capText(value.system, VercelAI.PROMPT, warnings) });
  if (typeof value.prompt === 'string') messages.push({ role: 'user', content: capText(value.prompt, VercelAI.PROMPT, warnings) });
  else messages.push(...(messagesFromVercel(value.prompt, VercelAI.PROMPT, warnings) ?? []));
  messages.push(...(messagesFromVercel(value.messages, VercelAI.PROMPT, warnings) ?? []));
  return messages;
}

function firstChunkMs(context: TranslationContext): number | undefined {
  const { attributes, warnings, span } = context;
  const direct =
    readNumber(attributes, VercelAI.RESPONSE_MS_TO_FIRST_CHUNK, warnings) ??
    readNumber(attributes, VercelAI.STREAM_MS_TO_FIRST_CHUNK, warnings);
  if (direct !== undefined) return direct;
  const event = span.events.find((item) => item.name === VercelAI.STREAM_FIRST_CHUNK_EVENT);
  if (!event) return undefined;
  const value = event.attributes[VercelAI.RESPONSE_MS_TO_FIRST_CHUNK] ?? event.attributes[VercelAI.STREAM_MS_TO_FIRST_CHUNK];
  return numberValue(value, VercelAI.STREAM_FIRST_CHUNK_EVENT, warnings);
}

export function readVercel(context: TranslationContext): void {
  const { attributes, keys, warnings, draft } = context;

  draft.model ??= readString(attributes, VercelAI.RESPONSE_MODEL, warnings) ?? readString(attributes, VercelAI.MODEL_ID, warnings);
  const provider = readString(attributes, VercelAI.MODEL_PROVIDER, warnings);
  if (provider !== undefined) draft.provider ??= normalizeProvider(provider);

  if (!hasInput(draft)) {
    const messages = jsonValue(attributes[VercelAI.PROMPT_MESSAGES], VercelAI.PROMPT_MESSAGES, warnings);
    draft.messages ??= messagesFromVercel(messages, VercelAI.PROMPT_MESSAGES, warnings);
  }
  if (!hasInput(draft))
    draft.messages ??= messagesFromCallPrompt(jsonValue(attributes[VercelAI.PROMPT], VercelAI.PROMPT, warnings), warnings);

  if (!hasOutput(draft)) {
    const text = readString(attributes, VercelAI.RESPONSE_TEXT, warnings) ?? readString(attributes, VercelAI.RESULT_TEXT, warnings);
    const object = readString(attributes, VercelAI.RESPONSE_OBJECT, warnings) ?? readString(attributes, VercelAI.RESULT_OBJECT, warnings);
    const callsKey = attributes[VercelAI.RESPONSE_TOOL_CALLS] !== undefined ? VercelAI.RESPONSE_TOOL_CALLS : VercelAI.RESULT_TOOL_CALLS;
    const calls = toolCalls(jsonValue(attributes[callsKey], callsKey, warnings));
    if (text !== undefined || object !== undefined || calls) {
      const message: GenerationMessage = { role: 'assistant', content: contentFrom(text ?? object, VercelAI.RESPONSE_TEXT, warnings) };
      if (calls) message.tool_calls = calls;
      draft.messageCompletion ??= message;
    }
  }

  const tools = attributes[VercelAI.PROMPT_TOOLS];
  if (tools !== undefined) {
    const list = typeof tools === 'string' ? jsonValue(tools, VercelAI.PROMPT_TOOLS, warnings) : tools;
    draft.tools ??= toolsFrom(list, (text) => jsonValue(text, VercelAI.PROMPT_TOOLS, warnings));
  }

  const given = prefixed(attributes, keys.vercel, VercelAI.SETTINGS_PREFIX, warnings) ?? {};
  for (const name of Object.keys(given)) {
    if (name.startsWith(CONTEXT_PREFIX)) continue;
    // The AI SDK's camelCase names (`maxOutputTokens`) become the settings table's (`max_tokens`).
    put(draft.settings, requestSetting(name)?.name ?? name, given[name]);
  }
  put(
    draft.settings,
    GenerationSettings.TOOL_CHOICE,
    jsonValue(attributes[VercelAI.PROMPT_TOOL_CHOICE], VercelAI.PROMPT_TOOL_CHOICE, warnings),
  );

  draft.inputTokens ??=
    readCount(attributes, VercelAI.USAGE_INPUT_TOKENS, warnings) ?? readCount(attributes, VercelAI.USAGE_PROMPT_TOKENS, warnings);
  draft.outputTokens ??=
    readCount(attributes, VercelAI.USAGE_OUTPUT_TOKENS, warnings) ?? readCount(attributes, VercelAI.USAGE_COMPLETION_TOKENS, warnings);
  draft.totalTokens ??= readCount(attributes, VercelAI.USAGE_TOTAL_TOKENS, warnings);
  draft.ttFirstToken ??= firstChunkMs(context);
  draft.throughput ??=
    readNumber(attributes, VercelAI.RESPONSE_AVG_OUTPUT_TOKENS_PER_SECOND, warnings) ??
    readNumber(attributes, VercelAI.RESPONSE_AVG_COMPLETION_TOKENS_PER_SECOND, warnings);
  const msToFinish = readNumber(attributes, VercelAI.RESPONSE_MS_TO_FINISH, warnings);
  if (msToFinish !== undefined) draft.duration ??= msToFinish / MS_PER_SECOND;

  const metadata = draft.metadata;
  const telemetry = prefixed(attributes, keys.vercel, VercelAI.METADATA_PREFIX, warnings);
  if (telemetry) {
    const { tags, ...rest } = telemetry;
    const list =
      typeof tags === 'string' ? (tags.startsWith('[') ? jsonValue(tags, `${VercelAI.METADATA_PREFIX}tags`, warnings) : [tags]) : tags;
    if (Array.isArray(list)) draft.tags ??= list.filter((tag): tag is string => typeof tag === 'string');
    gather(metadata, rest, VercelAI.METADATA_PREFIX, warnings);
  }
  for (const name of Object.keys(given)) {
    const key = name.slice(CONTEXT_PREFIX.length);
    if (name.startsWith(CONTEXT_PREFIX) && isSafeKey(key, VercelAI.SETTINGS_CONTEXT_PREFIX, warnings)) put(metadata, key, given[name]);
  }
  put(metadata, GenerationMetadata.FUNCTION_ID, readString(attributes, VercelAI.FUNCTION_ID, warnings));
  put(
    metadata,
    GenerationMetadata.FINISH_REASON,
    readString(attributes, VercelAI.RESPONSE_FINISH_REASON, warnings) ?? readString(attributes, VercelAI.FINISH_REASON, warnings),
  );
  put(metadata, GenerationMetadata.RESPONSE_ID, readString(attributes, VercelAI.RESPONSE_ID, warnings));
  put(metadata, GenerationMetadata.CACHE_READ_INPUT_TOKENS, readCount(attributes, VercelAI.USAGE_CACHED_INPUT_TOKENS, warnings));
  put(metadata, GenerationMetadata.REASONING_OUTPUT_TOKENS, readCount(attributes, VercelAI.USAGE_REASONING_TOKENS, warnings));
}
