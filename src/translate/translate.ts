import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { GenerationData, GenerationType } from '../generation/schema.js';
import {
  GenAI,
  GenAIExtra,
  GenAIOperation,
  GenAIOperationExtra,
  Genspan,
  Langfuse,
  Logfire,
  OpenInference,
  OpenLLMetry,
  Otel,
  StatusCode,
  VercelAI,
} from '../semconv/keys.js';
import { readGenAI } from './conventions/genai.js';
import { readGenAIEvents } from './conventions/genai-events.js';
import { isGenspanEncoded, readGenspan } from './conventions/genspan.js';
import { isLangfuseCompletion, readLangfuse, readLangfuseContent } from './conventions/langfuse.js';
import { readLiteralProperties } from './conventions/literal.js';
import { isLogfireStreamRequest, readLogfire } from './conventions/logfire.js';
import { readOpenInference } from './conventions/openinference.js';
import { readOpenLLMetry } from './conventions/openllmetry.js';
import { readVercel } from './conventions/vercel.js';
import { emptyDraft, finish, finishedCost, type KeyFamilies, type ReadingNotes, type TranslationContext } from './draft.js';
import { keyFamilies } from './families.js';
import { isReadableLogRecord, isReadableSpan, normalizeReadableLogRecord, normalizeReadableSpan } from './normalize.js';
import { type Attributes, capText } from './read.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult, TranslationSource } from './types.js';

/** The convention that marks a span as one LLM call; the exact `source` is settled once its keys are read. */
type Family = 'genspan' | 'langfuse' | 'openinference' | 'genai' | 'vercel-ai' | 'openllmetry-legacy';

interface Detection {
  family: Family;
  type: GenerationType;
}

const CHAT_OPERATIONS: ReadonlySet<unknown> = new Set([
  GenAIOperation.CHAT,
  GenAIOperationExtra.GENERATE_CONTENT,
  GenAIOperationExtra.GENERATE,
]);
const COMPLETION_OPERATIONS: ReadonlySet<unknown> = new Set([GenAIOperation.TEXT_COMPLETION, GenAIOperationExtra.COMPLETION]);
const VERCEL_CALLS: ReadonlySet<unknown> = new Set(VercelAI.CALL_OPERATIONS);
const VERCEL_OTEL_SCOPES: ReadonlySet<string> = new Set(VercelAI.OTEL_SCOPES);

function has(attributes: Attributes, key: string): boolean {
  return attributes[key] !== undefined && attributes[key] !== null;
}

function endsWith(value: unknown, suffix: string): boolean {
  return typeof value === 'string' && value.endsWith(suffix);
}

/** OpenInference writes completions-API calls as `llm.prompts` / `llm.choices`, or (JS OpenAI) as plain-text `input.value`. */
function openInferenceType(attributes: Attributes): GenerationType {
  let messages = false;
  for (const key in attributes) {
    if (key.startsWith(OpenInference.PROMPTS_PREFIX) || key.startsWith(OpenInference.CHOICES_PREFIX) || key === OpenInference.PROMPTS)
      return 'COMPLETION';
    if (key.startsWith(OpenInference.INPUT_MESSAGES_PREFIX) || key.startsWith(OpenInference.OUTPUT_MESSAGES_PREFIX)) messages = true;
  }
  if (messages) return 'CHAT';
  const input = attributes[OpenInference.INPUT_VALUE];
  return typeof input === 'string' && attributes[OpenInference.INPUT_MIME_TYPE] !== OpenInference.MIME_JSON ? 'COMPLETION' : 'CHAT';
}

function vercelCall(attributes: Attributes): boolean {
  const id = attributes[VercelAI.OPERATION_ID];
  if (id !== undefined) return VERCEL_CALLS.has(id);
  // Before `ai.operationId` existed, `operation.name` was "<operationId> <functionId?>".
  const name = attributes[VercelAI.OPERATION_NAME];
  return typeof name === 'string' && VERCEL_CALLS.has(name.split(' ', 1)[0]);
}

/**
 * Whether a span is one LLM call, following span-conventions.md §9 "Which spans are generations": the first
 * convention that classifies the span decides, so aggregate spans (`ai.generateText`, `invoke_agent`, agent
 * steps, OpenInference AGENT/CHAIN) are not generations even when they carry a model and usage. Looks at a
 * handful of keys only, so a span of any other kind costs a few lookups.
 */
function detect(attributes: Attributes, spanName: string): Detection | null {
  if (isGenspanEncoded(attributes))
    return { family: 'genspan', type: attributes[Genspan.GENERATION_TYPE] === 'COMPLETION' ? 'COMPLETION' : 'CHAT' };

  const observation = attributes[Langfuse.OBSERVATION_TYPE];
  if (observation !== undefined) {
    if (observation !== Langfuse.TYPE_GENERATION) return null;
    return { family: 'langfuse', type: isLangfuseCompletion(attributes[Langfuse.INPUT]) ? 'COMPLETION' : 'CHAT' };
  }
  const kind = attributes[OpenInference.SPAN_KIND];
  if (kind !== undefined)
    return kind === OpenInference.SPAN_KIND_LLM ? { family: 'openinference', type: openInferenceType(attributes) } : null;

  const operation = attributes[GenAI.OPERATION_NAME];
  if (operation !== undefined) {
    if (COMPLETION_OPERATIONS.has(operation)) return { family: 'genai', type: 'COMPLETION' };
    if (!CHAT_OPERATIONS.has(operation)) return null;
    return { family: 'genai', type: spanName === OpenLLMetry.COMPLETION_SPAN_NAME ? 'COMPLETION' : 'CHAT' };
  }
  const vercelOperation = attributes[VercelAI.OPERATION_NAME];
  if (has(attributes, VercelAI.OPERATION_ID) || (typeof vercelOperation === 'string' && vercelOperation.startsWith(VercelAI.PREFIX))) {
    if (!vercelCall(attributes)) return null;
    const completion =
      endsWith(attributes[VercelAI.MODEL_PROVIDER], VercelAI.COMPLETION_PROVIDER_SUFFIX) ||
      endsWith(attributes[GenAIExtra.SYSTEM], VercelAI.COMPLETION_PROVIDER_SUFFIX);
    return { family: 'vercel-ai', type: completion ? 'COMPLETION' : 'CHAT' };
  }
  const requestType = attributes[OpenLLMetry.REQUEST_TYPE];
  if (requestType !== undefined) {
    if (requestType === 'chat') return { family: 'openllmetry-legacy', type: 'CHAT' };
    return requestType === 'completion' ? { family: 'openllmetry-legacy', type: 'COMPLETION' } : null;
  }
  // Last resort (§6.1 step 10): a model name marks an LLM call.
  if (has(attributes, GenAI.REQUEST_MODEL) || has(attributes, GenAI.RESPONSE_MODEL)) {
    return { family: 'genai', type: spanName === OpenLLMetry.COMPLETION_SPAN_NAME ? 'COMPLETION' : 'CHAT' };
  }
  if (has(attributes, OpenInference.MODEL_NAME)) return { family: 'openinference', type: openInferenceType(attributes) };
  if (has(attributes, Langfuse.MODEL_NAME))
    return { family: 'langfuse', type: isLangfuseCompletion(attributes[Langfuse.INPUT]) ? 'COMPLETION' : 'CHAT' };
  return null;
}

/**
 * Whether `translateSpan` would give a generation for this span: the same classification, without reading any
 * content. What the exporters use to drop other spans before buffering them. Never throws.
 */
export function isGenerationSpan(span: NormalizedSpan): boolean {
  try {
    return detectSpan(span) !== null;
  } catch {
    return false;
  }
}

/** `detect` over a span of any shape: one whose attributes are not an object is no LLM call. */
function detectSpan(span: ReadableSpan | NormalizedSpan): Detection | null {
  const attributes = span?.attributes;
  if (typeof attributes !== 'object' || attributes === null) return null;
  const detection = detect(attributes, typeof span.name === 'string' ? span.name : '');
  // Logfire traces a stream twice; the log-type span that ends it holds the whole call (conventions/logfire.ts).
  if (detection?.family === 'genai' && attributes[Logfire.REQUEST_DATA] !== undefined && isLogfireStreamRequest(attributes, span.status))
    return null;
  return detection;
}

function exceptionMessage(span: NormalizedSpan): string | undefined {
  for (const event of span.events) {
    if (event.name !== Otel.EXCEPTION_EVENT) continue;
    const message = event.attributes?.[Otel.EXCEPTION_MESSAGE];
    const type = event.attributes?.[Otel.EXCEPTION_TYPE];
    if (typeof message === 'string' && message !== '') return message;
    if (typeof type === 'string' && type !== '') return type;
  }
  return undefined;
}

/** The call's error (§9 `error`): span status, then the `exception` event, then `error.type`. */
function readError(context: TranslationContext): void {
  const { span, attributes, warnings, draft } = context;
  if (draft.error !== undefined) return;
  const declared = attributes[Otel.ERROR_TYPE];
  const errorType = typeof declared === 'string' && declared !== '' ? declared : undefined;
  const failed = span.status?.code === StatusCode.ERROR;
  if (!failed && errorType === undefined && !span.events.some((event) => event.name === Otel.EXCEPTION_EVENT)) return;
  const statusMessage = typeof span.status?.message === 'string' && span.status.message !== '' ? span.status.message : undefined;
  const message = statusMessage ?? exceptionMessage(span) ?? errorType ?? 'error';
  draft.error = capText(message, 'error', warnings);
}

/** The source label of a span read as GenAI attributes (§9 legend): which emitter wrote this flavour. */
function genAISource(span: NormalizedSpan, found: KeyFamilies, contentFromEvents: boolean): TranslationSource {
  if (found.vercelOtelMetrics || VERCEL_OTEL_SCOPES.has(span.scope?.name)) return 'vercel-ai-otel';
  if (found.legacyContent) return 'openllmetry-legacy';
  if (found.traceloop.length > 0 || span.scope?.name?.startsWith(OpenLLMetry.SCOPE_PREFIX)) return 'openllmetry';
  return contentFromEvents ? 'genai-events' : 'genai';
}

/** A thrown value as one line of text; never throws itself (a hostile error may have a throwing `message` getter). */
function errorText(error: unknown): string {
  try {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return text.slice(0, 200);
  } catch {
    return 'an error that cannot be printed';
  }
}

/** Notes a failure: as a warning, and in the list `TranslationResult.failure` is made of. */
function fail(notes: ReadingNotes, what: string, error: unknown): void {
  const text = errorText(error);
  notes.warnings.push(`${what}: could not be read (${text})`);
  const failure = `${what} threw ${text}`;
  notes.failure = notes.failure === undefined ? failure : `${notes.failure}; ${failure}`;
}

/** Runs one convention reader; one that throws costs its own fields only, the other readers' are kept. */
function run<T>(context: TranslationContext, name: string, reader: (context: TranslationContext) => T): T | undefined {
  try {
    return reader(context);
  } catch (error) {
    fail(context, name, error);
    return undefined;
  }
}

function result(context: TranslationContext, generation: GenerationData, source: TranslationSource, checked: boolean): TranslationResult {
  const out: TranslationResult = { generation, source, warnings: context.warnings };
  if (checked) out.checked = true;
  if (context.failure !== undefined) out.failure = context.failure;
  const cost = finishedCost(context.draft.cost, context.warnings);
  if (cost) out.cost = cost;
  return out;
}

function translateNormalized(
  span: NormalizedSpan,
  records: readonly NormalizedLogRecord[],
  detection: Detection,
  notes: ReadingNotes = { warnings: [], failure: undefined },
): TranslationResult {
  const attributes = span.attributes;
  const keys = keyFamilies(attributes);
  const context: TranslationContext = {
    span,
    attributes,
    keys,
    records,
    type: detection.type,
    warnings: notes.warnings,
    failure: notes.failure,
    draft: emptyDraft(),
  };
  if (detection.family === 'genspan') {
    const decoded = run(context, 'genspan', readGenspan);
    if (decoded) return result(context, decoded.generation, 'genspan', decoded.checked);
    // Read it as the GenAI attributes the encoder also writes.
  }

  if (keys.langfuse.length > 0) run(context, 'langfuse', readLangfuse);
  if (keys.genai) run(context, 'genai', readGenAI);
  if (keys.logfire) run(context, 'logfire', readLogfire);
  const contentFromEvents = span.events.length > 0 || records.length > 0 ? run(context, 'genai-events', readGenAIEvents) === true : false;
  if (keys.llm.length > 0 || keys.traceloop.length > 0 || keys.legacyContent) run(context, 'openllmetry', readOpenLLMetry);
  if (keys.llm.length > 0 || keys.openInferenceValues) run(context, 'openinference', readOpenInference);
  if (keys.vercel.length > 0) run(context, 'vercel-ai', readVercel);
  if (keys.langfuse.length > 0) run(context, 'langfuse', readLangfuseContent);
  run(context, 'literal', readLiteralProperties);
  run(context, 'error', readError);

  const source: TranslationSource = detection.family === 'genai' ? genAISource(span, keys, contentFromEvents) : detection.family;
  return result(context, finish(context.draft, context.type, span), source, false);
}

/** A normalized span with its optional parts defaulted (as a copy when any is missing), so readers need no guards. */
function wellFormed(span: NormalizedSpan): NormalizedSpan {
  if (Array.isArray(span.events) && span.status && typeof span.status === 'object' && span.scope && typeof span.scope === 'object')
    return span;
  return {
    ...span,
    events: Array.isArray(span.events) ? span.events : [],
    status: span.status && typeof span.status === 'object' ? span.status : { code: StatusCode.UNSET },
    scope: span.scope && typeof span.scope === 'object' ? span.scope : { name: '' },
  };
}

function normalizeRecords(logs: readonly (ReadableLogRecord | NormalizedLogRecord)[] | undefined): NormalizedLogRecord[] {
  if (!Array.isArray(logs) || logs.length === 0) return [];
  const records: NormalizedLogRecord[] = [];
  for (const record of logs) {
    if (isReadableLogRecord(record)) records.push(normalizeReadableLogRecord(record));
    else if (typeof record === 'object' && record !== null) records.push(record);
  }
  return records;
}

/** `read()`, or `fallback` when reading throws. */
function guarded<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/**
 * What can be read of a span without anything throwing: its name, status and each attribute that reads (an attribute
 * that throws is left out with a warning); no events, times or log records. What translation falls back to after
 * a failure outside the readers.
 */
function readableParts(span: ReadableSpan | NormalizedSpan, notes: ReadingNotes): NormalizedSpan {
  const source = guarded(() => span.attributes as Attributes, {});
  const attributes: Record<string, unknown> = {};
  for (const key of guarded(() => Object.keys(source), [])) {
    try {
      attributes[key] = source[key];
    } catch (error) {
      fail(notes, key, error);
    }
  }
  const status = guarded(() => span.status, undefined);
  const code = guarded(() => status?.code, undefined);
  const message = guarded(() => status?.message, undefined);
  const name = guarded(() => span.name, '');
  return bareSpan(typeof name === 'string' ? name : '', attributes, {
    code: typeof code === 'number' ? code : StatusCode.UNSET,
    message: typeof message === 'string' ? message : undefined,
  });
}

/** A span of nothing but a name, attributes and a status. */
function bareSpan(name: string, attributes: Record<string, unknown>, status: NormalizedSpan['status']): NormalizedSpan {
  return {
    traceId: '',
    spanId: '',
    name,
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes,
    events: [],
    status,
    resource: {},
    scope: { name: '' },
  };
}

/**
 * After a failure outside the readers (a span object whose parts throw, a translator bug): the span is still an LLM
 * call, so the result holds what can be read, and names the failure. Reads the span's readable parts again; if that
 * fails too, the result is an empty generation of the span's type.
 */
function afterFailure(span: ReadableSpan | NormalizedSpan, detection: Detection, error: unknown): TranslationResult {
  const notes: ReadingNotes = { warnings: [], failure: undefined };
  fail(notes, 'span', error);
  try {
    return translateNormalized(readableParts(span, notes), [], detection, notes);
  } catch (again) {
    fail(notes, 'span', again);
    return {
      generation: finish(emptyDraft(), detection.type, bareSpan('', {}, { code: StatusCode.UNSET })),
      source: detection.family,
      warnings: notes.warnings,
      failure: notes.failure,
    };
  }
}

/**
 * Rebuilds the generation of one LLM call from its span (and the log records joined to it), or returns
 * `null` for a span that is not one LLM call. Accepts SDK spans and log records as they are, or the normalized
 * shapes of OTLP decoding. Never throws: unreadable values become warnings and missing fields; for an LLM span whose
 * reading throws, the result holds what could be read and says what failed in `failure`.
 */
export function translateSpan(
  span: ReadableSpan | NormalizedSpan,
  logs?: readonly (ReadableLogRecord | NormalizedLogRecord)[],
): TranslationResult | null {
  let detection: Detection | null;
  try {
    detection = detectSpan(span);
  } catch {
    // Classification reads a few keys only; a span whose keys cannot even be read is not taken for an LLM call.
    return null;
  }
  if (!detection) return null;
  try {
    const normalized = isReadableSpan(span) ? normalizeReadableSpan(span) : wellFormed(span);
    return translateNormalized(normalized, normalizeRecords(logs), detection);
  } catch (error) {
    return afterFailure(span, detection, error);
  }
}
