import { GenAI, GenAIExtra, Langfuse, OpenInference, OpenLLMetry, VercelAI } from '../semconv/keys.js';
import type { KeyFamilies } from './draft.js';

/**
 * Sorting a span's attribute keys by namespace, so each convention reader scans only its own keys and readers with
 * nothing to read are not run. Pure: the tables here are built once and never change.
 */

/** The single `gen_ai.*` keys the GenAI reader reads, by the name of the slot that holds their value. */
export const GENAI_FIELDS = Object.freeze({
  responseModel: GenAI.RESPONSE_MODEL,
  requestModel: GenAI.REQUEST_MODEL,
  providerName: GenAI.PROVIDER_NAME,
  system: GenAIExtra.SYSTEM,
  systemInstructions: GenAI.SYSTEM_INSTRUCTIONS,
  inputMessages: GenAI.INPUT_MESSAGES,
  outputMessages: GenAI.OUTPUT_MESSAGES,
  toolDefinitions: GenAI.TOOL_DEFINITIONS,
  inputTokens: GenAI.USAGE_INPUT_TOKENS,
  promptTokens: GenAIExtra.USAGE_PROMPT_TOKENS,
  outputTokens: GenAI.USAGE_OUTPUT_TOKENS,
  completionTokens: GenAIExtra.USAGE_COMPLETION_TOKENS,
  totalTokens: OpenLLMetry.GEN_AI_USAGE_TOTAL_TOKENS,
  timeToFirstChunk: GenAI.RESPONSE_TIME_TO_FIRST_CHUNK,
  clientTimeToFirstChunk: GenAIExtra.CLIENT_TIME_TO_FIRST_CHUNK,
  inferenceTimeToFirstChunk: GenAIExtra.CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK,
  clientDuration: GenAIExtra.CLIENT_OPERATION_DURATION,
  promptName: GenAI.PROMPT_NAME,
  promptVersion: GenAIExtra.PROMPT_VERSION,
  finishReasons: GenAI.RESPONSE_FINISH_REASONS,
  responseId: GenAI.RESPONSE_ID,
  conversationId: GenAI.CONVERSATION_ID,
  cacheReadTokens: GenAIExtra.USAGE_CACHE_READ_INPUT_TOKENS,
  cacheWriteTokens: GenAIExtra.USAGE_CACHE_WRITE_INPUT_TOKENS,
  cacheCreationTokens: GenAIExtra.USAGE_CACHE_CREATION_INPUT_TOKENS,
  reasoningTokens: GenAIExtra.USAGE_REASONING_OUTPUT_TOKENS,
  outputType: GenAI.OUTPUT_TYPE,
} as const);

export type GenAIField = keyof typeof GENAI_FIELDS;

const FIELDS = Object.keys(GENAI_FIELDS) as GenAIField[];

/** Each field's slot in the array the GenAI reader fills (an array store is cheaper than a keyed object store). */
export const GENAI_SLOTS = Object.freeze(Object.fromEntries(FIELDS.map((field, index) => [field, index]))) as Readonly<
  Record<GenAIField, number>
>;

const SLOT_OF_KEY: ReadonlyMap<string, number> = new Map(FIELDS.map((field, index) => [GENAI_FIELDS[field], index]));

const OPEN_INFERENCE_PLAIN_KEYS: ReadonlySet<string> = new Set([
  OpenInference.INPUT_VALUE,
  OpenInference.OUTPUT_VALUE,
  OpenInference.METADATA,
  OpenInference.TAGS,
  OpenInference.PROMPT_ID,
  OpenInference.METADATA_MS_TO_FIRST_CHUNK,
]);

/** The slots of the metric names `@ai-sdk/otel` writes as span attributes (span-conventions.md §5.2). */
const VERCEL_OTEL_SLOTS: ReadonlySet<number> = new Set([GENAI_SLOTS.clientDuration, GENAI_SLOTS.clientTimeToFirstChunk]);

/** Prefixes of the `gen_ai.*` keys that are settings or template variables, each followed by the name. */
const GENAI_NAMED_PREFIXES = [GenAI.REQUEST_PREFIX, GenAIExtra.OPENAI_REQUEST_PREFIX, GenAI.PROMPT_VARIABLE_PREFIX] as const;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A `gen_ai.request.<name>`, `gen_ai.openai.request.<name>` or `gen_ai.prompt.variable.<name>` key (the model is a slot). */
function isGenAISettingOrVariable(key: string): boolean {
  for (const prefix of GENAI_NAMED_PREFIXES) if (key.startsWith(prefix)) return key.length > prefix.length;
  return false;
}

/** OpenLLMetry legacy indexed content: `gen_ai.prompt.{i}.*`, `gen_ai.completion.{i}.*`. */
function isLegacyContent(key: string): boolean {
  return (
    (key.startsWith(OpenLLMetry.PROMPT_PREFIX) && isDigit(key.charCodeAt(OpenLLMetry.PROMPT_PREFIX.length))) ||
    (key.startsWith(OpenLLMetry.COMPLETION_PREFIX) && isDigit(key.charCodeAt(OpenLLMetry.COMPLETION_PREFIX.length)))
  );
}

/** Shared by every family a span has no key of, so most spans allocate one or two lists, not five. */
const NONE: readonly string[] = Object.freeze([]);
const NO_VALUES: readonly unknown[] = Object.freeze([]);
/** Every slot empty; a span with a slot key gets its own copy (a copy of a packed array is one block copy). */
const EMPTY_SLOTS: readonly unknown[] = Object.freeze(FIELDS.map(() => undefined));

/**
 * Sorts a span's attribute keys by namespace in one pass; on the way, puts the value of every single `gen_ai.*`
 * key the GenAI reader reads in its slot, and lists the `gen_ai.*` keys that are settings or variables.
 */
export function keyFamilies(attributes: Readonly<Record<string, unknown>>): KeyFamilies {
  let slots: unknown[] | undefined;
  let genai = false;
  let vercelOtelMetrics = false;
  let legacyContent = false;
  let openInferenceValues = false;
  let genaiExtraKeys: string[] | undefined;
  let genaiExtraValues: unknown[] | undefined;
  let llm: string[] | undefined;
  let vercel: string[] | undefined;
  let langfuse: string[] | undefined;
  let traceloop: string[] | undefined;
  // for...in, whose `attributes[key]` reads V8 serves from the enumeration cache rather than a lookup by name.
  // (It would also visit enumerable keys inherited from a polluted Object.prototype, which every direct
  // attribute read sees as well.)
  for (const key in attributes) {
    const slot = SLOT_OF_KEY.get(key);
    if (slot !== undefined) {
      genai = true;
      (slots ??= EMPTY_SLOTS.slice())[slot] = attributes[key];
      if (VERCEL_OTEL_SLOTS.has(slot)) vercelOtelMetrics = true;
    } else if (key.startsWith(GenAIExtra.PREFIX)) {
      genai = true;
      if (isGenAISettingOrVariable(key)) {
        (genaiExtraKeys ??= []).push(key);
        (genaiExtraValues ??= []).push(attributes[key]);
      } else if (isLegacyContent(key)) {
        legacyContent = true;
      }
    } else if (key.startsWith(OpenInference.LLM_PREFIX)) (llm ??= []).push(key);
    else if (key.startsWith(VercelAI.PREFIX)) (vercel ??= []).push(key);
    else if (key.startsWith(Langfuse.PREFIX)) (langfuse ??= []).push(key);
    else if (key.startsWith(OpenLLMetry.PREFIX)) (traceloop ??= []).push(key);
    else if (OPEN_INFERENCE_PLAIN_KEYS.has(key)) openInferenceValues = true;
  }
  return {
    genai,
    genaiSlots: slots ?? EMPTY_SLOTS,
    genaiExtraKeys: genaiExtraKeys ?? NONE,
    genaiExtraValues: genaiExtraValues ?? NO_VALUES,
    llm: llm ?? NONE,
    vercel: vercel ?? NONE,
    langfuse: langfuse ?? NONE,
    traceloop: traceloop ?? NONE,
    legacyContent,
    vercelOtelMetrics,
    openInferenceValues,
  };
}
