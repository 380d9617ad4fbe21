import { hash } from 'node:crypto';
import { z } from 'zod';
import { generationWireJSON } from '../generation/generation.js';
import type { GenerationRecord, TranslationSource } from '../generation/record.js';
import { GenerationWireSchema } from '../generation/schema.js';
import { StatusCode } from '../generation/status.js';
import { STEP_TYPES, type StepRecord, type StepType, type TraceThread } from '../generation/step-record.js';

/**
 * Literal AI and Chainlit step dictionaries ⇄ genspan's steps, generation records and trace threads. Pure: no I/O.
 *
 * Shapes (generation-model-and-playgrounds.md §2, §6; fixtures in test/ingest/fixtures/literal/README.md):
 * - Literal AI `Step.to_dict()` (literalai `observability/step.py`): `id, name, type, threadId, parentId, rootRunId,
 *   startTime, endTime, error, input/output` as `{content}` objects, `metadata, tags, generation, scores, attachments`;
 *   `Thread.to_dict()` (`observability/thread.py`): `id, name, metadata, tags, createdAt, participant{id, identifier},
 *   steps`.
 * - Chainlit `Step.to_dict()` (chainlit `backend/chainlit/step.py`): `input`/`output` strings, `start`/`end`,
 *   `isError`, `createdAt`, `generation`, plus UI fields (`streaming`, `showInput`, `language`...).
 *
 * Ids: a Literal step's id (a UUID of its own) stays the genspan step id, and is the id of its generation record.
 * OpenTelemetry ids are derived from it: the span id is the first 16 hex digits of SHA-256(`literal-step:<id>`); the
 * trace id the first 32 of SHA-256(`literal-trace:<root id>`), where the root is the step reached by following
 * `parentId` through the steps read (a Chainlit turn's user message, a Literal run). A step exported by genspan carries
 * its real ids in `metadata.otel` (`{traceId, spanId}`), read back instead.
 */

/** Metadata key of a step's OpenTelemetry ids when they are not derived from its id (steps that came from spans). */
export const OTEL_IDS_METADATA_KEY = 'otel';
/** Metadata key keeping a Literal or Chainlit step type genspan has not (`user_message`, `assistant_message`...). */
export const FOREIGN_STEP_TYPE_METADATA_KEY = 'literalStepType';

const jsonObject = z.record(z.string(), z.unknown());
const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not an ISO-8601 time');

/** A Literal AI step dictionary, read leniently: only `id` is required; Literal writes null for what is unset. */
export const LiteralStepSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  type: z.string().nullish(),
  threadId: z.string().nullish(),
  parentId: z.string().nullish(),
  rootRunId: z.string().nullish(),
  startTime: isoTime.nullish(),
  endTime: isoTime.nullish(),
  createdAt: isoTime.nullish(),
  // A string in Python; the TypeScript client may send an object (`step.ts` serializes it as JSON).
  error: z.union([z.string(), jsonObject]).nullish(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  metadata: jsonObject.nullish(),
  tags: z.array(z.string()).nullish(),
  generation: jsonObject.nullish(),
});

export type LiteralStep = z.infer<typeof LiteralStepSchema>;

/** A Literal AI thread dictionary with its steps. */
export const LiteralThreadSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  metadata: jsonObject.nullish(),
  tags: z.array(z.string()).nullish(),
  createdAt: isoTime.nullish(),
  participant: z.looseObject({ id: z.string().nullish(), identifier: z.string().nullish() }).nullish(),
  steps: z.array(z.unknown()).nullish(),
});

export type LiteralThread = z.infer<typeof LiteralThreadSchema>;

/** A Chainlit `Step.to_dict()` dictionary. */
export const ChainlitStepSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  type: z.string().nullish(),
  threadId: z.string().nullish(),
  parentId: z.string().nullish(),
  input: z.string().nullish(),
  output: z.string().nullish(),
  isError: z.boolean().nullish(),
  createdAt: isoTime.nullish(),
  start: isoTime.nullish(),
  end: isoTime.nullish(),
  metadata: jsonObject.nullish(),
  tags: z.array(z.string()).nullish(),
  generation: jsonObject.nullish(),
});

export type ChainlitStep = z.infer<typeof ChainlitStepSchema>;

/** A step as Literal and Chainlit both have it, input and output already text: what the genspan side is built from. */
export interface ForeignStep {
  origin: 'literal' | 'chainlit';
  id: string;
  name: string;
  type: string;
  threadId: string | null;
  parentId: string | null;
  startTime: string | null;
  endTime: string | null;
  error: string | null;
  input: string | null;
  output: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  generation: Record<string, unknown> | null;
}

/** What a thread dictionary says of its thread beyond its steps. */
export interface ForeignThread {
  id: string;
  name: string | null;
  userId: string | null;
}

/** Data that cannot be read as a Literal or Chainlit step or thread; the message names the item and the field. */
export class ForeignDataError extends Error {
  override readonly name = 'ForeignDataError';
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new ForeignDataError(`${what}: ${issues.join('; ')}`);
}

/** Literal's `{content}` input or output as text: the content when it is text, else the JSON of what was given. */
function literalText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const content = (value as Record<string, unknown>).content;
    if (keys.length === 1 && typeof content === 'string') return content;
    if (keys.length === 0) return null;
  }
  return JSON.stringify(value);
}

function isoOrNull(value: string | null | undefined): string | null {
  return value == null ? null : new Date(value).toISOString();
}

export function fromLiteralStep(value: unknown, what = 'Literal step'): ForeignStep {
  const step = parseOrThrow(LiteralStepSchema, value, what);
  return {
    origin: 'literal',
    id: step.id,
    name: step.name ?? '',
    type: step.type ?? 'undefined',
    threadId: step.threadId ?? null,
    parentId: step.parentId ?? null,
    startTime: isoOrNull(step.startTime ?? step.createdAt ?? step.endTime),
    endTime: isoOrNull(step.endTime ?? step.startTime ?? step.createdAt),
    error: step.error == null ? null : typeof step.error === 'string' ? step.error : JSON.stringify(step.error),
    input: literalText(step.input),
    output: literalText(step.output),
    metadata: step.metadata ?? {},
    tags: step.tags ?? [],
    generation: step.generation ?? null,
  };
}

export function fromChainlitStep(value: unknown, what = 'Chainlit step'): ForeignStep {
  const step = parseOrThrow(ChainlitStepSchema, value, what);
  const output = step.output === '' ? null : (step.output ?? null);
  return {
    origin: 'chainlit',
    id: step.id,
    name: step.name ?? '',
    type: step.type ?? 'undefined',
    threadId: step.threadId ?? null,
    parentId: step.parentId ?? null,
    startTime: isoOrNull(step.start ?? step.createdAt ?? step.end),
    endTime: isoOrNull(step.end ?? step.start ?? step.createdAt),
    // Chainlit puts a failure's message in `output` and sets `isError` (step.py `__exit__`).
    error: step.isError ? (output ?? 'error') : null,
    input: step.input === '' ? null : (step.input ?? null),
    output,
    metadata: step.metadata ?? {},
    tags: step.tags ?? [],
    generation: step.generation ?? null,
  };
}

/** A Literal thread dictionary: the thread, and its steps read as Literal steps. */
export function fromLiteralThread(value: unknown, what = 'Literal thread'): { thread: ForeignThread; steps: ForeignStep[] } {
  const thread = parseOrThrow(LiteralThreadSchema, value, what);
  const steps = (thread.steps ?? []).map((step, index) => {
    const read = fromLiteralStep(step, `${what}, step ${index + 1}`);
    return read.threadId === null ? { ...read, threadId: thread.id } : read;
  });
  const userId = thread.participant?.identifier ?? thread.participant?.id ?? null;
  return { thread: { id: thread.id, name: thread.name ?? null, userId }, steps };
}

/** Which of Literal's or Chainlit's step dictionaries, or a thread dictionary, a JSON value looks like; null: neither. */
export function foreignKind(value: unknown): 'literal-thread' | 'literal-step' | 'chainlit-step' | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const item = value as Record<string, unknown>;
  // genspan's own lines (records with span ids, `{"kind": ...}` steps and threads) are neither.
  if (typeof item.id !== 'string' || typeof item.spanId === 'string' || 'kind' in item) return null;
  if (Array.isArray(item.steps) || 'participant' in item) return 'literal-thread';
  // Keys only Chainlit's `to_dict()` writes; Literal's has `startTime`/`endTime` and object input/output.
  if ('isError' in item || 'start' in item || 'showInput' in item || 'streaming' in item) return 'chainlit-step';
  if (typeof item.input === 'string' || typeof item.output === 'string') return 'chainlit-step';
  if ('startTime' in item || 'rootRunId' in item || 'threadId' in item || 'parentId' in item || 'generation' in item) return 'literal-step';
  return null;
}

function hexDigest(text: string, length: number): string {
  return hash('sha256', text, 'hex').slice(0, length);
}

/** The span id of a Literal or Chainlit step without OpenTelemetry ids of its own. */
export function derivedSpanId(stepId: string): string {
  return hexDigest(`literal-step:${stepId}`, 16);
}

/** The trace id of the steps under a root step without OpenTelemetry ids of its own. */
export function derivedTraceId(rootStepId: string): string {
  return hexDigest(`literal-trace:${rootStepId}`, 32);
}

const HEX = (length: number) => new RegExp(`^[0-9a-f]{${length}}$`);
const TRACE_ID = HEX(32);
const SPAN_ID = HEX(16);

/** The OpenTelemetry ids a step exported by genspan carries, when valid. */
function carriedIds(metadata: Record<string, unknown>): { traceId: string; spanId: string } | null {
  const ids = metadata[OTEL_IDS_METADATA_KEY];
  if (typeof ids !== 'object' || ids === null) return null;
  const { traceId, spanId } = ids as Record<string, unknown>;
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) return null;
  return { traceId, spanId };
}

function withoutKeys(metadata: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (!keys.some((key) => Object.hasOwn(metadata, key))) return metadata;
  const copy = { ...metadata };
  for (const key of keys) delete copy[key];
  return copy;
}

function isStepType(type: string): type is StepType {
  return (STEP_TYPES as readonly string[]).includes(type);
}

/** What importing steps gives: genspan's three kinds of line. */
export interface ImportedSteps {
  records: GenerationRecord[];
  steps: StepRecord[];
  threads: TraceThread[];
}

/**
 * Builds genspan steps, generation records (one per step with a generation, its id the step's) and trace threads
 * from Literal or Chainlit steps read together (a file), so each step's trace is found through its parents.
 * Throws `ForeignDataError` for a step whose times are missing or whose generation is not valid wire JSON.
 */
export function importForeignSteps(foreign: readonly ForeignStep[], threads: readonly ForeignThread[] = []): ImportedSteps {
  const byId = new Map<string, ForeignStep>();
  for (const step of foreign) byId.set(step.id, step);
  const idsOf = new Map<string, { traceId: string; spanId: string }>();
  const rootOf = (step: ForeignStep): ForeignStep => {
    const seen = new Set<string>([step.id]);
    let current = step;
    for (let parent = current.parentId ? byId.get(current.parentId) : undefined; parent && !seen.has(parent.id); ) {
      seen.add(parent.id);
      current = parent;
      parent = current.parentId ? byId.get(current.parentId) : undefined;
    }
    return current;
  };
  const ids = (step: ForeignStep): { traceId: string; spanId: string } => {
    let found = idsOf.get(step.id);
    if (!found) {
      found = carriedIds(step.metadata) ?? { traceId: derivedTraceId(rootOf(step).id), spanId: derivedSpanId(step.id) };
      idsOf.set(step.id, found);
    }
    return found;
  };

  // A thread may come on several lines (one per trace, as `genspan export --format literal` writes it): merged here.
  const threadInfo = new Map<string, ForeignThread>();
  for (const thread of threads) {
    const known = threadInfo.get(thread.id);
    threadInfo.set(thread.id, { id: thread.id, name: known?.name ?? thread.name, userId: known?.userId ?? thread.userId });
  }

  const result: ImportedSteps = { records: [], steps: [], threads: [] };
  const threadOfTrace = new Map<string, string>();
  for (const step of byId.values()) {
    const what = `${step.origin === 'literal' ? 'Literal' : 'Chainlit'} step ${step.id}`;
    if (step.startTime === null || step.endTime === null) throw new ForeignDataError(`${what}: no startTime, endTime or createdAt`);
    const { traceId, spanId } = ids(step);
    const parent = step.parentId ? byId.get(step.parentId) : undefined;
    const parentSpanId = parent ? ids(parent).spanId : step.parentId ? derivedSpanId(step.parentId) : null;
    const type: StepType = isStepType(step.type) ? step.type : 'undefined';
    let metadata = withoutKeys(step.metadata, [OTEL_IDS_METADATA_KEY]);
    if (type !== step.type) metadata = { ...metadata, [FOREIGN_STEP_TYPE_METADATA_KEY]: step.type };

    let generationId: string | null = null;
    if (step.generation !== null) {
      const parsed = GenerationWireSchema.safeParse(step.generation);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `generation.${issue.path.map(String).join('.')}: ${issue.message}`);
        throw new ForeignDataError(`${what}: ${issues.join('; ')}`);
      }
      generationId = step.id;
      result.records.push(
        generationRecord(step, { traceId, spanId, parentSpanId }, generationWireJSON(parsed.data, { checked: true }), step.origin),
      );
    }
    result.steps.push({
      id: step.id,
      traceId,
      spanId,
      parentId: step.parentId,
      parentSpanId,
      name: step.name,
      type,
      input: step.input,
      output: step.output,
      startTime: step.startTime,
      endTime: step.endTime,
      error: step.error,
      tags: step.tags,
      metadata,
      generationId,
      serviceName: null,
    });
    if (step.threadId !== null && !threadOfTrace.has(traceId)) threadOfTrace.set(traceId, step.threadId);
  }
  for (const [traceId, threadId] of threadOfTrace) {
    const info = threadInfo.get(threadId);
    result.threads.push({ traceId, threadId, threadName: info?.name ?? null, userId: info?.userId ?? null });
  }
  return result;
}

function generationRecord(
  step: ForeignStep,
  ids: { traceId: string; spanId: string; parentSpanId: string | null },
  generation: Record<string, unknown>,
  source: TranslationSource,
): GenerationRecord {
  const error = step.error ?? (typeof generation.error === 'string' ? generation.error : null);
  return {
    id: step.id,
    traceId: ids.traceId,
    spanId: ids.spanId,
    parentSpanId: ids.parentSpanId,
    serviceName: null,
    scope: { name: source, version: null },
    source,
    startTime: step.startTime as string,
    endTime: step.endTime as string,
    status: error === null ? { code: StatusCode.UNSET, message: null } : { code: StatusCode.ERROR, message: error },
    cost: null,
    warnings: [],
    generation,
  };
}

/** genspan data to write as Literal AI dictionaries. */
export interface GenspanPage {
  records: readonly GenerationRecord[];
  steps: readonly StepRecord[];
  threads: readonly TraceThread[];
}

/**
 * genspan data as Literal AI dictionaries: a thread dictionary (without steps: `name`, `participant`) per thread, and
 * a step dictionary per step, naming its thread (`threadId`), its trace's root step (`rootRunId`) and holding its own
 * generation. A generation record without a step (data stored before steps were) becomes an `llm` step of its own.
 * Steps keep their OpenTelemetry ids in `metadata.otel` unless they are the ids `importForeignSteps` derives, so an
 * export imports back to the same traces. The CLI writes the same dictionaries a trace at a time (`literalTraceSteps`).
 */
export function toLiteral(page: GenspanPage): (LiteralThreadDict | LiteralStepDict)[] {
  const recordsById = new Map(page.records.map((record) => [record.id, record]));
  const threadOf = new Map(page.threads.map((thread) => [thread.traceId, thread.threadId]));
  const stepsByTrace = new Map<string, StepRecord[]>();
  const stepIds = new Set<string>();
  for (const step of page.steps) {
    stepIds.add(step.id);
    const list = stepsByTrace.get(step.traceId);
    if (list) list.push(step);
    else stepsByTrace.set(step.traceId, [step]);
  }
  const out: (LiteralThreadDict | LiteralStepDict)[] = literalThreads(page.threads);
  for (const [traceId, steps] of stepsByTrace) out.push(...literalTraceSteps(steps, recordsById, threadOf.get(traceId) ?? null));
  for (const record of page.records) if (!stepIds.has(record.id)) out.push(literalStepOfRecord(record));
  return out;
}

/** One thread dictionary per thread of `threads` (trace threads name a thread once per trace). */
export function literalThreads(threads: readonly TraceThread[], seen = new Set<string>()): LiteralThreadDict[] {
  const out: LiteralThreadDict[] = [];
  for (const thread of threads) {
    if (seen.has(thread.threadId)) continue;
    seen.add(thread.threadId);
    out.push({
      id: thread.threadId,
      name: thread.threadName,
      metadata: {},
      tags: [],
      createdAt: null,
      participant: thread.userId === null ? {} : { identifier: thread.userId },
      steps: [],
    });
  }
  return out;
}

/**
 * The step dictionaries of one trace's steps (all of them, so its root is known), in start order. `records` holds
 * the steps' own generation records (those whose `generationId` is their id) by id.
 */
export function literalTraceSteps(
  steps: readonly StepRecord[],
  records: ReadonlyMap<string, GenerationRecord>,
  threadId: string | null,
): LiteralStepDict[] {
  const ids = new Set(steps.map((step) => step.id));
  const root = steps.find((step) => step.parentId === null || !ids.has(step.parentId));
  const rootRunId = root && root.parentId === null ? root.id : null;
  return steps
    .slice()
    .sort((a, b) => a.startTime.localeCompare(b.startTime))
    .map((step) => literalStepDict(step, records, threadId, rootRunId, root?.id ?? step.id));
}

/** A generation record stored without a step, as an `llm` step dictionary of its own. */
export function literalStepOfRecord(record: GenerationRecord): LiteralStepDict {
  return literalStepDict(stepOfRecord(record), new Map([[record.id, record]]), null, record.id, record.id);
}

export interface LiteralStepDict {
  id: string;
  name: string;
  type: string;
  threadId: string | null;
  parentId: string | null;
  rootRunId: string | null;
  startTime: string;
  endTime: string;
  error: string | null;
  input: { content: string } | null;
  output: { content: string } | null;
  metadata: Record<string, unknown>;
  tags: string[];
  generation: Record<string, unknown> | null;
  scores: [];
  attachments: [];
}

export interface LiteralThreadDict {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  createdAt: string | null;
  participant: { identifier?: string };
  steps: LiteralStepDict[];
}

function stepOfRecord(record: GenerationRecord): StepRecord {
  const model = record.generation.model;
  return {
    id: record.id,
    traceId: record.traceId,
    spanId: record.spanId,
    parentId: null,
    parentSpanId: record.parentSpanId,
    name: typeof model === 'string' && model !== '' ? model : 'llm',
    type: 'llm',
    input: null,
    output: null,
    startTime: record.startTime,
    endTime: record.endTime,
    error: record.status.code === StatusCode.ERROR ? (record.status.message ?? 'error') : null,
    tags: [],
    metadata: {},
    generationId: record.id,
    serviceName: record.serviceName,
  };
}

function literalStepDict(
  step: StepRecord,
  records: ReadonlyMap<string, GenerationRecord>,
  threadId: string | null,
  rootRunId: string | null,
  treeRootId: string,
): LiteralStepDict {
  const derived = step.spanId === derivedSpanId(step.id) && step.traceId === derivedTraceId(treeRootId);
  let metadata = withoutKeys(step.metadata, [FOREIGN_STEP_TYPE_METADATA_KEY, OTEL_IDS_METADATA_KEY]);
  if (!derived) metadata = { ...metadata, [OTEL_IDS_METADATA_KEY]: { traceId: step.traceId, spanId: step.spanId } };
  const foreignType = step.metadata[FOREIGN_STEP_TYPE_METADATA_KEY];
  // Only a step's own generation goes with it: one merged into another step's is that step's.
  const record = step.generationId === step.id ? records.get(step.id) : undefined;
  return {
    id: step.id,
    name: step.name,
    type: step.type === 'undefined' && typeof foreignType === 'string' ? foreignType : step.type,
    threadId,
    parentId: step.parentId,
    rootRunId,
    startTime: step.startTime,
    endTime: step.endTime,
    error: step.error,
    input: step.input === null ? null : { content: step.input },
    output: step.output === null ? null : { content: step.output },
    metadata,
    tags: step.tags,
    generation: record ? record.generation : null,
    scores: [],
    attachments: [],
  };
}
