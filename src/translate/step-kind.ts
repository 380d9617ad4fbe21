import { STEP_TYPES, type StepType } from '../generation/step-record.js';
import {
  AssociationProperty,
  GenAI,
  GenAIStepOperation,
  Genspan,
  Langfuse,
  LangfuseObservationType,
  Literal,
  OpenInference,
  OpenInferenceSpanKind,
  OpenLLMetry,
  OpenLLMetryRequestType,
  OpenLLMetrySpanKind,
  Otel,
  StatusCode,
  VercelAI,
  VercelAIMetadata,
  VercelAIOperation,
} from '../semconv/keys.js';
import { mayHoldSecret, redactSecrets } from '../semconv/redact.js';
import { type Attributes, appended, clean, isRecord, isSafeKey, jsonValue, stringify, stringListValue } from './read.js';
import { isGenerationSpan } from './translate.js';
import type { NormalizedSpan } from './types.js';

/**
 * What any span is as a Chainlit step (README "Steps from any instrumentation"): whether it carries AI work, its step
 * type, and what the conventions say of its name, input, output, tags, metadata, thread and user. Pure, and cheap for
 * the spans that carry no AI work (a few lookups and one pass over their keys): it runs on every span an app exports.
 */

export type { StepType };

/** The conversation a span says it belongs to. */
export interface StepThread {
  id: string;
  /** A name the app gave the thread (genspan's `step({ thread: { id, name } })`), else null. */
  name: string | null;
}

export interface StepDescription {
  /** True when the span carries AI work: an LLM call, a genspan step, or another convention's AI span (agent, tool...). */
  ai: boolean;
  type: StepType;
  name: string;
  /** As Chainlit records them: text as it is, anything else as JSON; null when the span has none. */
  input: string | null;
  output: string | null;
  /** The failure's message when the span failed, else null. */
  error: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  thread: StepThread | null;
  userId: string | null;
  /**
   * Set when reading the span threw (a hostile attribute getter, a bug): what failed. The description is then that of
   * a span with no AI work, named as far as its name could be read; the caller reports the failure.
   */
  failure?: string;
}

/** A frozen, prototype-free table from a convention's value to a step type, so no inherited key can match. */
function stepTypes(entries: Record<string, StepType>): Readonly<Record<string, StepType>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, StepType>, entries));
}

/**
 * Each convention's kinds of AI work as step types. Agents, chains and workflows are runs (as Chainlit makes a
 * LangChain chain or agent a `run` step); guardrails, evaluators and prompt formatting have no Chainlit type and stay
 * `undefined`, though they are AI work.
 */
const OPEN_INFERENCE_TYPES = stepTypes({
  [OpenInferenceSpanKind.LLM]: 'llm',
  [OpenInferenceSpanKind.CHAIN]: 'run',
  [OpenInferenceSpanKind.AGENT]: 'run',
  [OpenInferenceSpanKind.TOOL]: 'tool',
  [OpenInferenceSpanKind.RETRIEVER]: 'retrieval',
  [OpenInferenceSpanKind.RERANKER]: 'rerank',
  [OpenInferenceSpanKind.EMBEDDING]: 'embedding',
  [OpenInferenceSpanKind.GUARDRAIL]: 'undefined',
  [OpenInferenceSpanKind.EVALUATOR]: 'undefined',
  [OpenInferenceSpanKind.PROMPT]: 'undefined',
});

/** `gen_ai.operation.name`; the LLM-call operations (`chat`...) are LLM spans, found by `isGenerationSpan` first. */
const GENAI_TYPES = stepTypes({
  [GenAIStepOperation.INVOKE_AGENT]: 'run',
  [GenAIStepOperation.CREATE_AGENT]: 'run',
  [GenAIStepOperation.INVOKE_WORKFLOW]: 'run',
  [GenAIStepOperation.AGENT_STEP]: 'run',
  [GenAIStepOperation.PLAN]: 'run',
  [GenAIStepOperation.EXECUTE_TOOL]: 'tool',
  [GenAIStepOperation.EMBEDDINGS]: 'embedding',
  [GenAIStepOperation.RETRIEVAL]: 'retrieval',
  [GenAIStepOperation.RERANK]: 'rerank',
});

/** `ai.operationId`; the wrappers (`ai.generateText`...) are runs around their per-call LLM spans. */
const VERCEL_TYPES = stepTypes({
  [VercelAIOperation.GENERATE_TEXT]: 'run',
  [VercelAIOperation.STREAM_TEXT]: 'run',
  [VercelAIOperation.GENERATE_OBJECT]: 'run',
  [VercelAIOperation.STREAM_OBJECT]: 'run',
  [VercelAIOperation.TOOL_CALL]: 'tool',
  [VercelAIOperation.EMBED]: 'embedding',
  [VercelAIOperation.EMBED_DO_EMBED]: 'embedding',
  [VercelAIOperation.EMBED_MANY]: 'embedding',
  [VercelAIOperation.EMBED_MANY_DO_EMBED]: 'embedding',
  [VercelAIOperation.RERANK]: 'rerank',
  [VercelAIOperation.RERANK_DO_RERANK]: 'rerank',
});

const OPENLLMETRY_TYPES = stepTypes({
  [OpenLLMetrySpanKind.WORKFLOW]: 'run',
  [OpenLLMetrySpanKind.TASK]: 'run',
  [OpenLLMetrySpanKind.AGENT]: 'run',
  [OpenLLMetrySpanKind.SESSION]: 'run',
  [OpenLLMetrySpanKind.TOOL]: 'tool',
});

/** `llm.request.type` of OpenLLMetry's client instrumentations; `chat` and `completion` are LLM spans. */
const OPENLLMETRY_REQUEST_TYPES = stepTypes({ [OpenLLMetryRequestType.RERANK]: 'rerank' });

/** `span` and `event` are Langfuse's observations of no particular kind: AI work (the app recorded them) of type `undefined`. */
const LANGFUSE_TYPES = stepTypes({
  [LangfuseObservationType.GENERATION]: 'llm',
  [LangfuseObservationType.AGENT]: 'run',
  [LangfuseObservationType.CHAIN]: 'run',
  [LangfuseObservationType.TOOL]: 'tool',
  [LangfuseObservationType.RETRIEVER]: 'retrieval',
  [LangfuseObservationType.EMBEDDING]: 'embedding',
});

const GENSPAN_TYPES = stepTypes(Object.fromEntries(STEP_TYPES.map((type) => [type, type])));

const association = (name: string) => `${OpenLLMetry.ASSOCIATION_PROPERTIES_PREFIX}${name}`;
const vercelMetadata = (name: string) => `${VercelAI.METADATA_PREFIX}${name}`;

/** The first key present names the step; the span's own name otherwise. */
const NAME_KEYS: readonly string[] = Object.freeze([
  Genspan.STEP_NAME,
  VercelAI.TOOL_CALL_NAME,
  GenAI.TOOL_NAME,
  OpenInference.TOOL_NAME,
  OpenLLMetry.ENTITY_NAME,
]);

/** The first key holding a value is the input; a span carries one convention's keys, so the order matters little. */
const INPUT_KEYS: readonly string[] = Object.freeze([
  Genspan.STEP_INPUT,
  Langfuse.INPUT,
  OpenInference.INPUT_VALUE,
  GenAI.TOOL_CALL_ARGUMENTS,
  VercelAI.TOOL_CALL_ARGS,
  OpenLLMetry.ENTITY_INPUT,
  VercelAI.PROMPT,
  VercelAI.PROMPT_MESSAGES,
  VercelAI.EMBED_VALUE,
  VercelAI.EMBED_VALUES,
  VercelAI.RERANK_DOCUMENTS,
  GenAI.INPUT_MESSAGES,
]);

/** Embedding vectors (`ai.embedding(s)`) are not kept as an output: numbers no reader of a step wants. */
const OUTPUT_KEYS: readonly string[] = Object.freeze([
  Genspan.STEP_OUTPUT,
  Langfuse.OUTPUT,
  OpenInference.OUTPUT_VALUE,
  GenAI.TOOL_CALL_RESULT,
  VercelAI.TOOL_CALL_RESULT,
  OpenLLMetry.ENTITY_OUTPUT,
  VercelAI.RESPONSE_TEXT,
  VercelAI.RESPONSE_OBJECT,
  VercelAI.RESPONSE_TOOL_CALLS,
  VercelAI.RESULT_TEXT,
  VercelAI.RESULT_OBJECT,
  VercelAI.RESULT_TOOL_CALLS,
  VercelAI.RERANK_RANKING,
  GenAI.OUTPUT_MESSAGES,
]);

/** Tag lists, joined in this order without repeats. */
const TAG_KEYS: readonly string[] = Object.freeze([
  Genspan.STEP_TAGS,
  OpenInference.TAGS,
  Langfuse.TRACE_TAGS,
  Langfuse.TAGS,
  vercelMetadata(VercelAIMetadata.TAGS),
  association(AssociationProperty.LITERAL_TAGS),
]);

/** The conversation id, first found wins: genspan's and the GenAI key, then each convention's session or thread. */
const THREAD_KEYS: readonly string[] = Object.freeze([
  GenAI.CONVERSATION_ID,
  OpenInference.SESSION_ID,
  Langfuse.SESSION_ID,
  association(AssociationProperty.LITERAL_THREAD_ID),
  association(AssociationProperty.THREAD_ID),
  association(AssociationProperty.SESSION_ID),
  Literal.THREAD_ID,
  vercelMetadata(VercelAIMetadata.SESSION_ID),
]);

const USER_KEYS: readonly string[] = Object.freeze([
  OpenInference.USER_ID,
  Langfuse.USER_ID,
  Otel.ENDUSER_ID,
  association(AssociationProperty.USER_ID),
  vercelMetadata(VercelAIMetadata.USER_ID),
]);

/** Families of flattened metadata, merged in this order (a later one wins a key); JSON metadata objects come after. */
const METADATA_PREFIXES: readonly string[] = Object.freeze([
  VercelAI.METADATA_PREFIX,
  OpenLLMetry.ASSOCIATION_PROPERTIES_PREFIX,
  Langfuse.TRACE_METADATA_PREFIX,
  Langfuse.METADATA_PREFIX,
]);
const METADATA_JSON_KEYS: readonly string[] = Object.freeze([OpenInference.METADATA, Genspan.STEP_METADATA]);

/** Every key read by name, each with its slot in the array that one pass over a span's keys fills. */
const READ_KEYS: readonly string[] = Object.freeze([
  ...new Set([
    ...NAME_KEYS,
    ...INPUT_KEYS,
    ...OUTPUT_KEYS,
    ...TAG_KEYS,
    ...THREAD_KEYS,
    ...USER_KEYS,
    ...METADATA_JSON_KEYS,
    Genspan.THREAD_NAME,
    Otel.ERROR_TYPE,
    Langfuse.LEVEL,
    Langfuse.STATUS_MESSAGE,
  ]),
]);
const SLOT_OF: ReadonlyMap<string, number> = new Map(READ_KEYS.map((key, slot) => [key, slot]));
const slots = (keys: readonly string[]): readonly number[] => Object.freeze(keys.map((key) => READ_KEYS.indexOf(key)));
const NAME_SLOTS = slots(NAME_KEYS);
const INPUT_SLOTS = slots(INPUT_KEYS);
const OUTPUT_SLOTS = slots(OUTPUT_KEYS);
const TAG_SLOTS = slots(TAG_KEYS);
const THREAD_SLOTS = slots(THREAD_KEYS);
const USER_SLOTS = slots(USER_KEYS);
const METADATA_JSON_SLOTS = slots(METADATA_JSON_KEYS);
const THREAD_NAME_SLOT = READ_KEYS.indexOf(Genspan.THREAD_NAME);
const ERROR_TYPE_SLOT = READ_KEYS.indexOf(Otel.ERROR_TYPE);
const LEVEL_SLOT = READ_KEYS.indexOf(Langfuse.LEVEL);
const STATUS_MESSAGE_SLOT = READ_KEYS.indexOf(Langfuse.STATUS_MESSAGE);

/** Every slot empty: what a span with none of the keys read by name has, and what a span's values start from. */
const NO_VALUES: readonly unknown[] = Object.freeze(READ_KEYS.map(() => undefined));
const NO_KEYS: readonly string[] = Object.freeze([]);

interface Kind {
  ai: boolean;
  type: StepType;
}

const NOT_AI: Kind = Object.freeze({ ai: false, type: 'undefined' });

function kindOf(table: Readonly<Record<string, StepType>>, value: unknown): Kind {
  return { ai: true, type: (typeof value === 'string' && table[value]) || 'undefined' };
}

/** The AI SDK's operation: `ai.operationId`, or before it existed the first word of `operation.name`. */
function vercelOperation(attributes: Attributes): string | undefined {
  const id = attributes[VercelAI.OPERATION_ID];
  if (typeof id === 'string') return id;
  const name = attributes[VercelAI.OPERATION_NAME];
  return typeof name === 'string' && name.startsWith(VercelAI.PREFIX) ? name.split(' ', 1)[0] : undefined;
}

/**
 * The step type, by the first convention that marks the span (in the translator's order, span-conventions.md §9):
 * an LLM call is an `llm` step whatever else it carries.
 */
function classify(span: NormalizedSpan, attributes: Attributes): Kind {
  if (isGenerationSpan(span)) return { ai: true, type: 'llm' };
  const genspan = attributes[Genspan.STEP_TYPE];
  if (genspan !== undefined || attributes[Genspan.STEP_NAME] !== undefined) return kindOf(GENSPAN_TYPES, genspan);
  const observation = attributes[Langfuse.OBSERVATION_TYPE];
  if (observation !== undefined) return kindOf(LANGFUSE_TYPES, observation);
  const openInference = attributes[OpenInference.SPAN_KIND];
  if (openInference !== undefined) return kindOf(OPEN_INFERENCE_TYPES, openInference);
  const operation = attributes[GenAI.OPERATION_NAME];
  // An operation the GenAI table does not name (OpenLLMetry writes `workflow` and `task` there too) leaves the type to
  // the conventions below, and is AI work whatever they say.
  if (typeof operation === 'string' && GENAI_TYPES[operation]) return kindOf(GENAI_TYPES, operation);
  const vercel = vercelOperation(attributes);
  if (vercel !== undefined) return kindOf(VERCEL_TYPES, vercel);
  const openLLMetry = attributes[OpenLLMetry.SPAN_KIND];
  if (openLLMetry !== undefined) return kindOf(OPENLLMETRY_TYPES, openLLMetry);
  if (operation !== undefined) return kindOf(GENAI_TYPES, operation);
  const requestType = attributes[OpenLLMetry.REQUEST_TYPE];
  if (requestType !== undefined) return kindOf(OPENLLMETRY_REQUEST_TYPES, requestType);
  // Langfuse reads a tool name alone as a tool observation (span-conventions.md §6.1, rule 7).
  if (attributes[GenAI.TOOL_NAME] !== undefined || attributes[GenAI.TOOL_CALL_ID] !== undefined) return { ai: true, type: 'tool' };
  return NOT_AI;
}

/** Text as it is, anything else as JSON; null for nothing, an empty string, or a value JSON cannot print. */
function stepText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  return stringify(value) ?? null;
}

function firstText(values: readonly unknown[], slots: readonly number[]): string | null {
  for (let index = 0; index < slots.length; index++) {
    const text = stepText(values[slots[index]]);
    if (text !== null) return text;
  }
  return null;
}

/** An id: a non-empty string (not the Literal SDK's "None"), or a finite number as text. */
function idValue(value: unknown): string | null {
  if (typeof value === 'string') return value === '' || value === Literal.NONE ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return null;
}

function firstId(values: readonly unknown[], slots: readonly number[]): string | null {
  for (let index = 0; index < slots.length; index++) {
    const id = idValue(values[slots[index]]);
    if (id !== null) return id;
  }
  return null;
}

function readThread(values: readonly unknown[]): StepThread | null {
  const id = firstId(values, THREAD_SLOTS);
  if (id === null) return null;
  return { id, name: nonEmpty(values[THREAD_NAME_SLOT]) ?? null };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function exceptionMessage(span: NormalizedSpan): string | undefined {
  if (!Array.isArray(span.events)) return undefined;
  for (const event of span.events) {
    if (event?.name !== Otel.EXCEPTION_EVENT) continue;
    const message = nonEmpty(event.attributes?.[Otel.EXCEPTION_MESSAGE]) ?? nonEmpty(event.attributes?.[Otel.EXCEPTION_TYPE]);
    if (message !== undefined) return message;
  }
  return undefined;
}

function hasException(span: NormalizedSpan): boolean {
  return Array.isArray(span.events) && span.events.some((event) => event?.name === Otel.EXCEPTION_EVENT);
}

/** As the translator reads a call's error: status ERROR, Langfuse's ERROR level, an `exception` event or `error.type`. */
function readError(span: NormalizedSpan, values: readonly unknown[]): string | null {
  const declared = nonEmpty(values[ERROR_TYPE_SLOT]);
  const failed = span.status?.code === StatusCode.ERROR;
  const level = values[LEVEL_SLOT] === Langfuse.LEVEL_ERROR;
  if (!failed && !level && declared === undefined && !hasException(span)) return null;
  return (
    (failed ? nonEmpty(span.status.message) : undefined) ??
    nonEmpty(values[STATUS_MESSAGE_SLOT]) ??
    exceptionMessage(span) ??
    declared ??
    'error'
  );
}

function readTags(values: readonly unknown[], ignored: string[]): string[] {
  let tags: string[] | undefined;
  for (const slot of TAG_SLOTS) {
    const list = stringListValue(values[slot], READ_KEYS[slot], ignored);
    if (list === undefined || list.length === 0) continue;
    tags = tags === undefined ? list : tags.concat(list);
  }
  return tags === undefined ? [] : [...new Set(tags)];
}

/** Which flattened metadata family a key is in (its index in `METADATA_PREFIXES`), or -1. */
function metadataFamily(key: string): number {
  for (let index = 0; index < METADATA_PREFIXES.length; index++) {
    const prefix = METADATA_PREFIXES[index];
    if (key.length > prefix.length && key.startsWith(prefix)) return index;
  }
  return -1;
}

/** What one pass over a span's keys found. */
interface Scan {
  /** The values of the keys read by name, by slot. */
  values: readonly unknown[];
  /** The keys of each flattened metadata family, by family; collected only for a span of AI work. */
  families: (string[] | undefined)[] | undefined;
}

/**
 * One pass over the span's keys (a map lookup each, as families.ts sorts keys), rather than a lookup of every key
 * read by name: most spans carry few of them. A key read by name (as a thread, a user or tags) is not metadata.
 */
function scan(attributes: Attributes, ai: boolean): Scan {
  let values: unknown[] | undefined;
  let families: (string[] | undefined)[] | undefined;
  for (const key in attributes) {
    const slot = SLOT_OF.get(key);
    if (slot !== undefined) {
      // A spread copy: packed (a holey array reads slower), and `slice()` of a frozen array takes a slow path.
      values ??= [...NO_VALUES];
      values[slot] = attributes[key];
      continue;
    }
    if (!ai) continue;
    const family = metadataFamily(key);
    if (family < 0) continue;
    families ??= [];
    families[family] = appended(families[family], key);
  }
  return { values: values ?? NO_VALUES, families };
}

/** The flattened metadata families, then the JSON metadata objects, a later one winning a key; credentials redacted. */
function readMetadata(attributes: Attributes, found: Scan, ignored: string[]): Record<string, unknown> {
  let metadata: Record<string, unknown> | undefined;
  for (let index = 0; index < METADATA_PREFIXES.length; index++) {
    const prefix = METADATA_PREFIXES[index];
    for (const key of found.families?.[index] ?? NO_KEYS) {
      const name = key.slice(prefix.length);
      if (!isSafeKey(name, key, ignored)) continue;
      metadata ??= {};
      metadata[name] = clean(attributes[key], key, ignored);
    }
  }
  for (const slot of METADATA_JSON_SLOTS) {
    const value = jsonValue(found.values[slot], READ_KEYS[slot], ignored);
    if (!isRecord(value)) continue;
    metadata ??= {};
    for (const name of Object.keys(value)) if (isSafeKey(name, READ_KEYS[slot], ignored)) metadata[name] = value[name];
  }
  if (metadata === undefined) return {};
  for (const key of Object.keys(metadata)) if (mayHoldSecret(key, metadata[key])) return redactSecrets(metadata);
  return metadata;
}

function spanName(span: NormalizedSpan): string {
  try {
    return typeof span?.name === 'string' ? span.name : '';
  } catch {
    return '';
  }
}

function failureText(error: unknown): string {
  try {
    return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 200);
  } catch {
    return 'an error that cannot be printed';
  }
}

function describe(span: NormalizedSpan): StepDescription {
  const given = span.attributes;
  const attributes: Attributes = typeof given === 'object' && given !== null ? given : {};
  const kind = classify(span, attributes);
  const found = scan(attributes, kind.ai);
  const { values } = found;
  const description: StepDescription = {
    ai: kind.ai,
    type: kind.type,
    name: spanName(span),
    input: null,
    output: null,
    error: readError(span, values),
    tags: [],
    metadata: {},
    thread: readThread(values),
    userId: firstId(values, USER_SLOTS),
  };
  if (!kind.ai) return description;
  // What a convention's value could not be read as (a tag list that is not one...) is left out: it is no failure.
  const ignored: string[] = [];
  for (const slot of NAME_SLOTS) {
    const name = nonEmpty(values[slot]);
    if (name === undefined) continue;
    description.name = name;
    break;
  }
  description.input = firstText(values, INPUT_SLOTS);
  description.output = firstText(values, OUTPUT_SLOTS);
  description.tags = readTags(values, ignored);
  description.metadata = readMetadata(attributes, found, ignored);
  if (kind.type === 'undefined' && attributes[OpenInference.SPAN_KIND] === OpenInferenceSpanKind.PROMPT)
    readPromptStep(attributes, description);
  return description;
}

/**
 * An OpenInference prompt span (a LangChain prompt template): its input is its variables (`input.value` holds only
 * one of them when there is one), and its template text is kept in its metadata, so the model call the template
 * fed can be given both (src/ingest/templates.ts).
 */
function readPromptStep(attributes: Attributes, description: StepDescription): void {
  const variables = nonEmpty(attributes[OpenInference.PROMPT_TEMPLATE_VARIABLES]);
  if (variables !== undefined) description.input = variables;
  const template = nonEmpty(attributes[OpenInference.PROMPT_TEMPLATE]);
  if (template !== undefined) description.metadata = { ...description.metadata, [OpenInference.PROMPT_TEMPLATE]: template };
}

/**
 * Says what a span is as a step (README "Steps from any instrumentation"). Never throws: when reading the span throws,
 * the result is a step of no AI work, of type `undefined`, with `failure` saying what failed.
 */
export function describeStep(span: NormalizedSpan): StepDescription {
  try {
    return describe(span);
  } catch (error) {
    return {
      ai: false,
      type: 'undefined',
      name: spanName(span),
      input: null,
      output: null,
      error: null,
      tags: [],
      metadata: {},
      thread: null,
      userId: null,
      failure: `describing the span threw ${failureText(error)}`,
    };
  }
}

/** Whether a span carries AI work, by its classification alone (no content read): the exporter's pre-filter. Never throws. */
export function isAiSpan(span: NormalizedSpan): boolean {
  try {
    const attributes = span.attributes;
    return classify(span, typeof attributes === 'object' && attributes !== null ? attributes : {}).ai;
  } catch {
    return false;
  }
}
