import { GenAI, GenAIExtra, Langfuse, OpenInference, OpenLLMetry, VercelAI } from '../semconv/keys.js';
import type { KeyFamilies } from './draft.js';

/**
 * What an attribute key is, worked out once per distinct key: its namespace and, for `gen_ai.request.*`-like
 * keys, the setting it names. Spans of one app repeat the same few dozen keys, so a bounded cache turns the
 * per-key prefix tests and string slicing of every span into one map lookup.
 */
export interface KeyKind {
  family: 'genai' | 'llm' | 'vercel' | 'langfuse' | 'traceloop' | 'openinference' | 'other';
  /** OpenLLMetry legacy indexed content (`gen_ai.prompt.{i}.*`, `gen_ai.completion.{i}.*`). */
  legacyContent: boolean;
  /** The setting a `gen_ai.request.<suffix>` / `gen_ai.openai.request.<suffix>` key holds. */
  setting: string | undefined;
  /** The variable a `gen_ai.prompt.variable.<name>` key holds. */
  variable: string | undefined;
  /** For the other `gen_ai.*` keys the GenAI reader reads: the index of its slot (see `GENAI_SLOTS`). */
  slot: number | undefined;
  /** A metric name written as a span attribute, which only `@ai-sdk/otel` does (span-conventions.md §5.2). */
  vercelOtel: boolean;
}

/** The single `gen_ai.*` keys the GenAI reader reads, by the name of the slot that holds their value. */
export const GENAI_FIELDS = {
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
} as const;

export type GenAIField = keyof typeof GENAI_FIELDS;

const FIELDS = Object.keys(GENAI_FIELDS) as GenAIField[];

/** Each field's slot in the array the GenAI reader fills (an array store is cheaper than a keyed object store). */
export const GENAI_SLOTS = Object.fromEntries(FIELDS.map((field, index) => [field, index])) as Readonly<Record<GenAIField, number>>;
export const GENAI_SLOT_COUNT = FIELDS.length;

const SLOT_OF_KEY: ReadonlyMap<string, number> = new Map(FIELDS.map((field, index) => [GENAI_FIELDS[field], index]));

/** `gen_ai.request.<suffix>` → the setting name, where it differs from the suffix (OpenAI's request names). */
const REQUEST_SETTING_NAMES: ReadonlyMap<string, string> = new Map([
  ['stop_sequences', 'stop'],
  ['choice.count', 'n'],
]);

const OPEN_INFERENCE_PLAIN_KEYS: ReadonlySet<string> = new Set([
  OpenInference.INPUT_VALUE,
  OpenInference.OUTPUT_VALUE,
  OpenInference.METADATA,
  OpenInference.TAGS,
  OpenInference.PROMPT_ID,
  OpenInference.METADATA_MS_TO_FIRST_CHUNK,
]);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Every kind has every field, so code reading kinds sees one object shape. */
function kindFor(family: KeyKind['family']): KeyKind {
  return { family, legacyContent: false, setting: undefined, variable: undefined, slot: undefined, vercelOtel: false };
}

function genAIKind(key: string): KeyKind {
  const kind = kindFor('genai');
  const slot = SLOT_OF_KEY.get(key);
  if (slot !== undefined) {
    kind.slot = slot;
    if (key === GenAIExtra.CLIENT_OPERATION_DURATION || key === GenAIExtra.CLIENT_TIME_TO_FIRST_CHUNK) kind.vercelOtel = true;
  } else if (key.startsWith(GenAI.REQUEST_PREFIX)) {
    const suffix = key.slice(GenAI.REQUEST_PREFIX.length);
    if (suffix !== 'model' && suffix !== '') kind.setting = REQUEST_SETTING_NAMES.get(suffix) ?? suffix.replaceAll('.', '_');
  } else if (key.startsWith(GenAIExtra.OPENAI_REQUEST_PREFIX)) {
    const suffix = key.slice(GenAIExtra.OPENAI_REQUEST_PREFIX.length);
    if (suffix !== '') kind.setting = suffix;
  } else if (key.startsWith(GenAI.PROMPT_VARIABLE_PREFIX)) {
    const name = key.slice(GenAI.PROMPT_VARIABLE_PREFIX.length);
    if (name !== '') kind.variable = name;
  } else if (
    (key.startsWith(OpenLLMetry.PROMPT_PREFIX) && isDigit(key.charCodeAt(OpenLLMetry.PROMPT_PREFIX.length))) ||
    (key.startsWith(OpenLLMetry.COMPLETION_PREFIX) && isDigit(key.charCodeAt(OpenLLMetry.COMPLETION_PREFIX.length)))
  ) {
    kind.legacyContent = true;
  }
  return kind;
}

function kindOf(key: string): KeyKind {
  if (key.startsWith(GenAIExtra.PREFIX)) return genAIKind(key);
  if (key.startsWith(OpenInference.LLM_PREFIX)) return kindFor('llm');
  if (key.startsWith(VercelAI.PREFIX)) return kindFor('vercel');
  if (key.startsWith(Langfuse.PREFIX)) return kindFor('langfuse');
  if (key.startsWith(OpenLLMetry.PREFIX)) return kindFor('traceloop');
  if (OPEN_INFERENCE_PLAIN_KEYS.has(key)) return kindFor('openinference');
  return kindFor('other');
}

const cache = new Map<string, KeyKind>();
/** Enough for every key of many instrumentations; a flood of distinct keys only resets it. */
const CACHE_LIMIT = 4096;
/** Longer keys are worked out each time rather than kept. */
const CACHED_KEY_LENGTH = 200;

export function keyKind(key: string): KeyKind {
  let kind = cache.get(key);
  if (kind === undefined) {
    kind = kindOf(key);
    if (key.length <= CACHED_KEY_LENGTH) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, kind);
    }
  }
  return kind;
}

/** Shared by every family a span has no key of, so most spans allocate one or two lists, not five. */
const NONE: string[] = [];
Object.freeze(NONE);
const NO_KINDS: KeyKind[] = [];
Object.freeze(NO_KINDS);
const NO_VALUES: unknown[] = [];
Object.freeze(NO_VALUES);

/**
 * The GenAI slots, reused from span to span (allocating them per span measured as a large share of the cost).
 * Valid from one `keyFamilies` call until the next; the translator reads them in between, synchronously.
 */
const slots: unknown[] = [];
for (let slot = 0; slot < GENAI_SLOT_COUNT; slot++) slots.push(undefined);

/**
 * Sorts a span's attribute keys by namespace in one pass, so readers with nothing to read are not run; on the
 * way, puts the value of every single `gen_ai.*` key the GenAI reader reads in its slot, and lists the
 * `gen_ai.*` keys that are settings or variables.
 */
export function keyFamilies(attributes: Readonly<Record<string, unknown>>): KeyFamilies {
  for (let slot = 0; slot < GENAI_SLOT_COUNT; slot++) slots[slot] = undefined;
  const families: KeyFamilies = {
    genai: false,
    genaiSlots: slots,
    genaiExtraKeys: NONE,
    genaiExtraKinds: NO_KINDS,
    genaiExtraValues: NO_VALUES,
    llm: NONE,
    vercel: NONE,
    langfuse: NONE,
    traceloop: NONE,
    legacyContent: false,
    vercelOtelMetrics: false,
    openInferenceValues: false,
  };
  // for...in, whose `attributes[key]` reads V8 serves from the enumeration cache rather than a lookup by name.
  // (It would also visit enumerable keys inherited from a polluted Object.prototype, which every direct
  // attribute read sees as well.)
  for (const key in attributes) {
    const kind = keyKind(key);
    switch (kind.family) {
      case 'genai':
        families.genai = true;
        if (kind.slot !== undefined) {
          slots[kind.slot] = attributes[key];
          if (kind.vercelOtel) families.vercelOtelMetrics = true;
        } else if (kind.setting !== undefined || kind.variable !== undefined) {
          if (families.genaiExtraKeys === NONE) {
            families.genaiExtraKeys = [];
            families.genaiExtraKinds = [];
            families.genaiExtraValues = [];
          }
          families.genaiExtraKeys.push(key);
          families.genaiExtraKinds.push(kind);
          families.genaiExtraValues.push(attributes[key]);
        } else if (kind.legacyContent) {
          families.legacyContent = true;
        }
        break;
      case 'llm':
        (families.llm === NONE ? (families.llm = []) : families.llm).push(key);
        break;
      case 'vercel':
        (families.vercel === NONE ? (families.vercel = []) : families.vercel).push(key);
        break;
      case 'langfuse':
        (families.langfuse === NONE ? (families.langfuse = []) : families.langfuse).push(key);
        break;
      case 'traceloop':
        (families.traceloop === NONE ? (families.traceloop = []) : families.traceloop).push(key);
        break;
      case 'openinference':
        families.openInferenceValues = true;
        break;
    }
  }
  return families;
}
