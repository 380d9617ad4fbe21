import type { Tool } from '../../generation/schema.js';
import { GenAI, GenAIExtra, GenerationMetadata, GenerationSettings } from '../../semconv/keys.js';
import { settingOfRequestKey } from '../../semconv/settings.js';
import { hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { GENAI_FIELDS, GENAI_SLOTS } from '../families.js';
import { instructionsFrom, messagesFromParts, toolsFrom } from '../messages.js';
import { normalizeProvider } from '../provider.js';
import { clean, countValue, firstString, isSafeKey, jsonValue, numberValue, stringValue } from '../read.js';

/**
 * OpenTelemetry GenAI semantic conventions as span attributes (span-conventions.md §1.2–§1.5, §9): v1.37+ content
 * attributes, v1.26+ request/usage keys and their older spellings, and the metric-named timing attributes that
 * `@ai-sdk/otel` writes (§5.2). OpenLLMetry ≥0.23 (§3.3) writes this format too.
 */

const SECONDS_TO_MS = 1000;

/**
 * The settings and template variables among the span's `gen_ai.*` keys, as `keyFamilies` listed them: `gen_ai.request.*`
 * keys named by the settings table, pre-v1.37 `gen_ai.openai.request.<name>`, and `gen_ai.prompt.variable.<name>`.
 */
function readSettingsAndVariables(context: TranslationContext): void {
  const { keys, warnings, draft } = context;
  let variables: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.genaiExtraKeys.length; i++) {
    const key = keys.genaiExtraKeys[i];
    const value = keys.genaiExtraValues[i];
    const setting =
      settingOfRequestKey(key) ??
      (key.startsWith(GenAIExtra.OPENAI_REQUEST_PREFIX) ? key.slice(GenAIExtra.OPENAI_REQUEST_PREFIX.length) : undefined);
    if (setting !== undefined) {
      if (isSafeKey(setting, key, warnings)) put(draft.settings, setting, clean(value, key, warnings));
    } else if (key.startsWith(GenAI.PROMPT_VARIABLE_PREFIX)) {
      const variable = key.slice(GenAI.PROMPT_VARIABLE_PREFIX.length);
      if (isSafeKey(variable, key, warnings)) {
        variables ??= {};
        variables[variable] = clean(value, key, warnings);
      }
    }
  }
  draft.variables ??= variables;
}

/** `gen_ai.tool.definitions` (a JSON list, or a structured value) → tools; a value that is no list is a warning. */
export function toolDefinitionsFrom(value: unknown, warnings: string[]): Tool[] | undefined {
  const key = GenAI.TOOL_DEFINITIONS;
  const definitions = jsonValue(value, key, warnings);
  const tools = toolsFrom(definitions, (text) => jsonValue(text, key, warnings));
  if (tools === undefined && definitions !== undefined) warnings.push(`${key}: expected a list of tool definitions`);
  return tools;
}

/** Seconds → milliseconds. */
function milliseconds(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * SECONDS_TO_MS;
}

export function readGenAI(context: TranslationContext): void {
  const { warnings, draft } = context;
  const v = context.keys.genaiSlots;
  readSettingsAndVariables(context);
  const F = GENAI_FIELDS;
  const S = GENAI_SLOTS;

  draft.model ??= stringValue(v[S.responseModel], F.responseModel, warnings) ?? stringValue(v[S.requestModel], F.requestModel, warnings);
  const provider = stringValue(v[S.providerName], F.providerName, warnings) ?? stringValue(v[S.system], F.system, warnings);
  if (provider !== undefined) draft.provider ??= normalizeProvider(provider);

  if (v[S.systemInstructions] !== undefined) {
    draft.instructions ??= instructionsFrom(
      jsonOrPlainText(v[S.systemInstructions], F.systemInstructions, warnings),
      F.systemInstructions,
      warnings,
    );
  }
  if (v[S.inputMessages] !== undefined && !hasInput(draft)) {
    draft.messages ??= messagesFromParts(jsonValue(v[S.inputMessages], F.inputMessages, warnings), F.inputMessages, warnings);
  }
  if (v[S.outputMessages] !== undefined && !hasOutput(draft)) {
    const output = messagesFromParts(jsonValue(v[S.outputMessages], F.outputMessages, warnings), F.outputMessages, warnings, 'assistant');
    // One entry per choice; the generation keeps the first, as OpenInference does.
    if (output) draft.messageCompletion ??= output[0] ?? null;
  }
  if (v[S.toolDefinitions] !== undefined) draft.tools ??= toolDefinitionsFrom(v[S.toolDefinitions], warnings);
  if (v[S.outputType] !== undefined) put(draft.settings, GenerationSettings.OUTPUT_TYPE, clean(v[S.outputType], F.outputType, warnings));

  draft.inputTokens ??= countValue(v[S.inputTokens], F.inputTokens, warnings) ?? countValue(v[S.promptTokens], F.promptTokens, warnings);
  draft.outputTokens ??=
    countValue(v[S.outputTokens], F.outputTokens, warnings) ?? countValue(v[S.completionTokens], F.completionTokens, warnings);
  draft.totalTokens ??= countValue(v[S.totalTokens], F.totalTokens, warnings);
  const cost = draft.cost;
  cost.total ??= numberValue(v[S.cost], F.cost, warnings);
  cost.input ??= numberValue(v[S.inputCost], F.inputCost, warnings);
  cost.output ??= numberValue(v[S.outputCost], F.outputCost, warnings);
  draft.ttFirstToken ??= milliseconds(
    numberValue(v[S.timeToFirstChunk], F.timeToFirstChunk, warnings) ??
      numberValue(v[S.clientTimeToFirstChunk], F.clientTimeToFirstChunk, warnings) ??
      numberValue(v[S.inferenceTimeToFirstChunk], F.inferenceTimeToFirstChunk, warnings) ??
      numberValue(v[S.serverTimeToFirstToken], F.serverTimeToFirstToken, warnings),
  );
  draft.duration ??= numberValue(v[S.clientDuration], F.clientDuration, warnings);
  draft.promptId ??= stringValue(v[S.promptName], F.promptName, warnings);

  const metadata = draft.metadata;
  const M = GenerationMetadata;
  put(metadata, M.PROMPT_VERSION, stringValue(v[S.promptVersion], F.promptVersion, warnings));
  put(metadata, M.FINISH_REASON, firstString(v[S.finishReasons]));
  put(metadata, M.RESPONSE_ID, stringValue(v[S.responseId], F.responseId, warnings));
  put(metadata, M.CONVERSATION_ID, stringValue(v[S.conversationId], F.conversationId, warnings));
  put(metadata, M.CACHE_READ_INPUT_TOKENS, countValue(v[S.cacheReadTokens], F.cacheReadTokens, warnings));
  put(
    metadata,
    M.CACHE_WRITE_INPUT_TOKENS,
    countValue(v[S.cacheWriteTokens], F.cacheWriteTokens, warnings) ??
      countValue(v[S.cacheCreationTokens], F.cacheCreationTokens, warnings),
  );
  put(metadata, M.REASONING_OUTPUT_TOKENS, countValue(v[S.reasoningTokens], F.reasoningTokens, warnings));
}

/** `gen_ai.system_instructions` is JSON parts, a structured value, or (ILO's Responses spans) plain text. */
function jsonOrPlainText(value: unknown, label: string, warnings: string[]): unknown {
  if (typeof value === 'string') {
    const first = value.trimStart().charAt(0);
    return first === '[' || first === '{' ? jsonValue(value, label, warnings) : value;
  }
  return jsonValue(value, label, warnings);
}
