import { isCostFigure } from '../generation/record.js';
import type { GenerationData, GenerationMessage, GenerationType, Tool } from '../generation/schema.js';
import { detectTemplateFormat } from '../generation/template.js';
import { mayHoldSecret, redactSecrets } from '../semconv/redact.js';
import { textOf, withInstructions } from './messages.js';
import { type Attributes, isSafeKey } from './read.js';
import type { NormalizedLogRecord, NormalizedSpan } from './types.js';

/**
 * The generation as the convention readers assemble it. Readers run in the priority order of span-conventions.md
 * §9 and only fill what is still missing (`draft.field ??= ...`, which also skips reading keys that can no longer
 * matter), except settings and metadata, which gather keys from every reader (the first reader to give a key wins).
 */
export interface Draft {
  provider?: string;
  model?: string;
  messages?: GenerationMessage[];
  /** System instructions kept apart (`gen_ai.system_instructions`), put first unless the messages start with one. */
  instructions?: GenerationMessage;
  messageCompletion?: GenerationMessage | null;
  prompt?: string;
  completion?: string;
  /** A completion-style template string (chat templates are genspan's own and decoded elsewhere). */
  template?: string;
  tools?: Tool[];
  settings: Gathered;
  variables?: Record<string, unknown>;
  metadata: Gathered;
  tags?: string[];
  promptId?: string;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** What the span says the call cost (USD), filled part by part. */
  cost: SpanCost;
  /** Milliseconds. */
  ttFirstToken?: number;
  /** Tokens per second. */
  throughput?: number;
  /** Seconds; used only when the span has no usable start and end times. */
  duration?: number;
  error?: string;
}

/**
 * A draft with every field present from the start (undefined until read): one object shape for every span keeps
 * the readers' many field accesses monomorphic, which measurably speeds them up.
 */
export function emptyDraft(): Draft {
  return {
    provider: undefined,
    model: undefined,
    messages: undefined,
    instructions: undefined,
    messageCompletion: undefined,
    prompt: undefined,
    completion: undefined,
    template: undefined,
    tools: undefined,
    settings: { values: {}, sensitive: false },
    variables: undefined,
    metadata: { values: {}, sensitive: false },
    tags: undefined,
    promptId: undefined,
    inputTokens: undefined,
    outputTokens: undefined,
    totalTokens: undefined,
    cost: { input: undefined, output: undefined, total: undefined },
    ttFirstToken: undefined,
    throughput: undefined,
    duration: undefined,
    error: undefined,
  };
}

/** A cost an instrumentation recorded on the span, in USD. */
export interface SpanCost {
  input: number | undefined;
  output: number | undefined;
  total: number | undefined;
}

/**
 * The span's cost when it gave a total, or both parts of one; undefined otherwise, and undefined (with a warning) when
 * any figure, or the sum of the parts, is not a cost a record may hold (`isCostFigure`: infinite, NaN or negative).
 */
export function finishedCost(cost: SpanCost, warnings: string[]): SpanCost | undefined {
  const total = cost.total ?? (cost.input !== undefined && cost.output !== undefined ? cost.input + cost.output : undefined);
  if (total === undefined) return undefined;
  const figures = [cost.input, cost.output, total].filter((figure) => figure !== undefined);
  if (!figures.every(isCostFigure)) {
    warnings.push('cost: not a finite, non-negative amount; the span is kept without its cost');
    return undefined;
  }
  return { input: cost.input, output: cost.output, total };
}

/** Attribute keys by namespace (see families.ts `keyFamilies`). */
export interface KeyFamilies {
  /** Whether any `gen_ai.*` key is present. */
  genai: boolean;
  /** The values of the single `gen_ai.*` keys the GenAI reader reads, by slot (see families.ts `GENAI_SLOTS`). */
  genaiSlots: readonly unknown[];
  /** The `gen_ai.*` keys that are settings or template variables, with their values at the same index. */
  genaiExtraKeys: readonly string[];
  genaiExtraValues: readonly unknown[];
  /** `llm.*` (OpenInference and legacy OpenLLMetry) */
  llm: readonly string[];
  /** `ai.*` (Vercel) */
  vercel: readonly string[];
  /** `langfuse.*` */
  langfuse: readonly string[];
  /** `traceloop.*` */
  traceloop: readonly string[];
  /** Whether legacy OpenLLMetry indexed content keys (`gen_ai.prompt.{i}.*`, `gen_ai.completion.{i}.*`) are present. */
  legacyContent: boolean;
  /** Whether `@ai-sdk/otel`'s metric-named timing attributes are present. */
  vercelOtelMetrics: boolean;
  /** Whether OpenInference keys outside `llm.*` (`input.value`, `metadata`...) are present. */
  openInferenceValues: boolean;
  /** Whether Logfire's `request_data` / `response_data` are present. */
  logfire: boolean;
}

/** What reading a span notes besides the draft. */
export interface ReadingNotes {
  warnings: string[];
  /** What threw while reading, if anything (see `TranslationResult.failure`); each failure is also a warning. */
  failure: string | undefined;
}

/** Everything a convention reader sees. */
export interface TranslationContext extends ReadingNotes {
  span: NormalizedSpan;
  attributes: Attributes;
  /** The attribute keys, sorted by namespace in one pass, so readers scan only their own. */
  keys: KeyFamilies;
  /** The log records joined to this span. */
  records: readonly NormalizedLogRecord[];
  type: GenerationType;
  draft: Draft;
}

/** True once a reader has found the call's input (as messages or a prompt string). */
export function hasInput(draft: Draft): boolean {
  return draft.messages !== undefined || draft.prompt !== undefined;
}

/** True once a reader has found the call's output (as a message or a completion string). */
export function hasOutput(draft: Draft): boolean {
  return draft.messageCompletion !== undefined || draft.completion !== undefined;
}

/**
 * A map gathered from every reader (settings, metadata): the first reader to give a key wins. `sensitive` notes
 * whether anything in it may need redaction, so the common case skips the redaction walk.
 */
export interface Gathered {
  values: Record<string, unknown>;
  sensitive: boolean;
}

/** Adds one entry to a gathered map unless present. */
export function put(target: Gathered, key: string, value: unknown): void {
  if (value === undefined || Object.hasOwn(target.values, key)) return;
  target.values[key] = value;
  if (!target.sensitive && mayHoldSecret(key, value)) target.sensitive = true;
}

/** Adds entries to a gathered map without overwriting keys already there. */
export function gather(target: Gathered, entries: Record<string, unknown> | undefined, label: string, warnings: string[]): void {
  if (!entries) return;
  for (const key of Object.keys(entries)) {
    if (isSafeKey(key, label, warnings)) put(target, key, entries[key]);
  }
}

/**
 * Redacts credentials exactly as the encoder does (`redactSecrets`). A map none of whose entries may hold a secret is
 * what `redactSecrets` would copy unchanged; the draft's maps are the translator's own, so it is kept.
 */
function redacted(map: Gathered): Record<string, unknown> {
  return map.sensitive ? redactSecrets(map.values) : map.values;
}

/** Variables are redacted as settings are: a variable named like a credential may well hold one. */
function redactedVariables(variables: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!variables) return {};
  for (const key of Object.keys(variables)) if (mayHoldSecret(key, variables[key])) return redactSecrets(variables);
  return variables;
}

function promptFromMessages(messages: readonly GenerationMessage[] | undefined): string | undefined {
  if (!messages) return undefined;
  const texts = messages.map(textOf).filter((text): text is string => text !== undefined);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

const NANOS_PER_SECOND = 1e9;

/** The span's own duration in seconds, or undefined when its times are missing or reversed. */
export function spanDuration(span: NormalizedSpan): number | undefined {
  const start = span.startTimeUnixNano;
  const end = span.endTimeUnixNano;
  if (typeof start !== 'bigint' || typeof end !== 'bigint' || start <= 0n || end < start) return undefined;
  return Number(end - start) / NANOS_PER_SECOND;
}

const NANOS_PER_MS = 1_000_000n;

/**
 * Milliseconds from the span's start to its first event named `name`: where an instrumentation marks the first token
 * of a stream with an event rather than a duration.
 */
export function msToFirstEvent(span: NormalizedSpan, name: string): number | undefined {
  const start = span.startTimeUnixNano;
  if (typeof start !== 'bigint' || start <= 0n) return undefined;
  for (const event of span.events) {
    if (event.name !== name) continue;
    if (typeof event.timeUnixNano !== 'bigint' || event.timeUnixNano < start) return undefined;
    const nanos = event.timeUnixNano - start;
    return Number(nanos / NANOS_PER_MS) + Number(nanos % NANOS_PER_MS) / 1e6;
  }
  return undefined;
}

/**
 * Turns the draft into generation data in the model's units: `tokenCount` is the source's total or input plus
 * output; `duration` is the span's own (a source's value only when the span has no times); throughput is derived
 * from output tokens and duration when the source gave none. Settings, metadata and variables are redacted as the encoder redacts them.
 */
export function finish(draft: Draft, type: GenerationType, span: NormalizedSpan): GenerationData {
  const own = spanDuration(span);
  // A zero-length span is a point in time (Logfire's log-type span that ends a stream): its source may say how long the call took.
  const duration = own === undefined || own === 0 ? (draft.duration ?? own) : own;
  const { inputTokens, outputTokens } = draft;
  const tokenCount =
    draft.totalTokens ?? (inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined);
  const throughput =
    draft.throughput ?? (outputTokens !== undefined && duration !== undefined && duration > 0 ? outputTokens / duration : undefined);
  // One object literal: spreading a shared base object into the result was an order of magnitude slower.
  const generation: Record<string, unknown> = {
    type,
    promptId: draft.promptId ?? null,
    provider: draft.provider ?? null,
    model: draft.model ?? null,
    error: draft.error ?? null,
    settings: redacted(draft.settings),
    variables: redactedVariables(draft.variables),
    tags: draft.tags ?? [],
    metadata: redacted(draft.metadata),
    tools: draft.tools && draft.tools.length > 0 ? draft.tools : null,
    tokenCount: tokenCount ?? null,
    inputTokenCount: inputTokens ?? null,
    outputTokenCount: outputTokens ?? null,
    ttFirstToken: draft.ttFirstToken ?? null,
    tokenThroughputInSeconds: throughput ?? null,
    duration: duration ?? null,
    template: null,
  };
  if (type === 'COMPLETION') {
    generation.template = draft.template ?? null;
    // OpenInference's and OpenLLMetry's templates come in either format (LangChain's f-string, Langfuse's Mustache).
    if (draft.template !== undefined && detectTemplateFormat(draft.template, draft.variables ?? {}) === 'mustache') {
      generation.templateFormat = 'mustache';
    }
    generation.prompt = draft.prompt ?? promptFromMessages(draft.messages) ?? null;
    generation.completion = draft.completion ?? textOf(draft.messageCompletion) ?? null;
    return generation as GenerationData;
  }
  let messages = draft.messages;
  if (messages === undefined && draft.prompt !== undefined) messages = [{ role: 'user', content: draft.prompt }];
  if (messages !== undefined) messages = withInstructions(messages, draft.instructions);
  let completion = draft.messageCompletion;
  if (completion === undefined && draft.completion !== undefined) completion = { role: 'assistant', content: draft.completion };
  generation.messages = messages ?? [];
  generation.messageCompletion = completion ?? null;
  return generation as GenerationData;
}
