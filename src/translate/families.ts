import { GenAI, GenAIExtra, Genspan, Langfuse, OpenInference, OpenLLMetry, Otel, VercelAI } from '../semconv/keys.js';
import { REQUEST_SETTINGS } from '../semconv/settings.js';
import type { KeyFamilies } from './draft.js';
import { appended } from './read.js';

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
  serverTimeToFirstToken: GenAIExtra.SERVER_TIME_TO_FIRST_TOKEN,
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
  cost: GenAIExtra.USAGE_COST,
  inputCost: GenAIExtra.USAGE_INPUT_COST,
  outputCost: GenAIExtra.USAGE_OUTPUT_COST,
  outputType: GenAI.OUTPUT_TYPE,
} as const);

export type GenAIField = keyof typeof GENAI_FIELDS;

const FIELDS = Object.keys(GENAI_FIELDS) as GenAIField[];

/** Each field's slot in the array the GenAI reader fills (an array store is cheaper than a keyed object store). */
export const GENAI_SLOTS = Object.freeze(Object.fromEntries(FIELDS.map((field, index) => [field, index]))) as Readonly<
  Record<GenAIField, number>
>;

const OPEN_INFERENCE_PLAIN_KEYS: ReadonlySet<string> = new Set([
  OpenInference.INPUT_VALUE,
  OpenInference.OUTPUT_VALUE,
  OpenInference.METADATA,
  OpenInference.TAGS,
  OpenInference.PROMPT_ID,
  OpenInference.METADATA_MS_TO_FIRST_CHUNK,
]);

/** Prefixes of the `gen_ai.*` keys that are settings or template variables, each followed by the name. */
const GENAI_NAMED_PREFIXES = [GenAI.REQUEST_PREFIX, GenAIExtra.OPENAI_REQUEST_PREFIX, GenAI.PROMPT_VARIABLE_PREFIX] as const;

/** What a key is to `keyFamilies`, besides a GenAI slot (which is its slot number, 0 and up). */
const Kind = {
  /** A `gen_ai.*` key no reader reads by itself (`gen_ai.operation.name`). */
  GENAI: -1,
  /** A `gen_ai.*` setting or template variable (see `isGenAISettingOrVariable`). */
  GENAI_NAMED: -2,
  /** OpenLLMetry legacy indexed content. */
  GENAI_LEGACY: -3,
  LLM: -4,
  VERCEL: -5,
  LANGFUSE: -6,
  TRACELOOP: -7,
  OPEN_INFERENCE: -8,
  OTHER: -9,
} as const;

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

/** The kind of a key that is no slot, by its namespace. */
function kindByPrefix(key: string): number {
  if (key.startsWith(GenAIExtra.PREFIX)) {
    if (isGenAISettingOrVariable(key)) return Kind.GENAI_NAMED;
    return isLegacyContent(key) ? Kind.GENAI_LEGACY : Kind.GENAI;
  }
  if (key.startsWith(OpenInference.LLM_PREFIX)) return Kind.LLM;
  if (key.startsWith(VercelAI.PREFIX)) return Kind.VERCEL;
  if (key.startsWith(Langfuse.PREFIX)) return Kind.LANGFUSE;
  if (key.startsWith(OpenLLMetry.PREFIX)) return Kind.TRACELOOP;
  return OPEN_INFERENCE_PLAIN_KEYS.has(key) ? Kind.OPEN_INFERENCE : Kind.OTHER;
}

/**
 * The kind of every key genspan knows by name (keys.ts, the settings table), worked out once at load: most keys of
 * a span are among them, and one lookup costs less than the prefix tests. Other keys are classified as they come.
 */
const KIND_OF_KNOWN_KEY: ReadonlyMap<string, number> = new Map([
  ...[GenAI, GenAIExtra, OpenLLMetry, OpenInference, VercelAI, Langfuse, Genspan, Otel]
    .flatMap((group) => Object.values(group))
    .filter((key): key is string => typeof key === 'string' && !key.endsWith('.'))
    .map((key) => [key, kindByPrefix(key)] as const),
  ...REQUEST_SETTINGS.map((setting) => [setting.key, kindByPrefix(setting.key)] as const),
  ...FIELDS.map((field, slot) => [GENAI_FIELDS[field], slot] as const),
]);

/** Shared by every family a span has no key of, so most spans allocate one or two lists, not five. */
const NONE: readonly string[] = Object.freeze([]);
const NO_VALUES: readonly unknown[] = Object.freeze([]);
/** Every slot empty: what the GenAI reader sees of a span without a slot key. */
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
    const kind = KIND_OF_KNOWN_KEY.get(key) ?? kindByPrefix(key);
    if (kind >= 0) {
      genai = true;
      // A spread copy of the frozen array: its `slice()` takes a slow path, measured at thirty times the cost.
      if (slots === undefined) slots = [...EMPTY_SLOTS];
      slots[kind] = attributes[key];
      // Metric names that only `@ai-sdk/otel` writes as span attributes (span-conventions.md §5.2).
      if (kind === GENAI_SLOTS.clientDuration || kind === GENAI_SLOTS.clientTimeToFirstChunk) vercelOtelMetrics = true;
      continue;
    }
    switch (kind) {
      case Kind.GENAI:
        genai = true;
        break;
      case Kind.GENAI_NAMED:
        genai = true;
        genaiExtraKeys = appended(genaiExtraKeys, key);
        genaiExtraValues = appended(genaiExtraValues, attributes[key]);
        break;
      case Kind.GENAI_LEGACY:
        genai = true;
        legacyContent = true;
        break;
      case Kind.LLM:
        llm = appended(llm, key);
        break;
      case Kind.VERCEL:
        vercel = appended(vercel, key);
        break;
      case Kind.LANGFUSE:
        langfuse = appended(langfuse, key);
        break;
      case Kind.TRACELOOP:
        traceloop = appended(traceloop, key);
        break;
      case Kind.OPEN_INFERENCE:
        openInferenceValues = true;
        break;
    }
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
