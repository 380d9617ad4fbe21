/**
 * Steps, traces and threads as both stores keep them: the step row, the per-batch trace and thread upserts, tree
 * order, the rows the trace and thread queries read, and their cursors.
 */
import type { GenerationRecord } from '../generation/record.js';
import type { ThreadSummary, ThreadTurn, TraceSummary } from '../generation/rest.js';
import type { StepRecord, StepType, TraceThread } from '../generation/step-record.js';
import type { StepLink } from '../ingest/contract.js';
import { storedRecord, storedStep, storedThread } from '../ingest/stored-values.js';
import { InvalidListFilterError, InvalidRecordError } from './errors.js';

/** A step as both stores persist it; times as the generations table keeps them, plus the end in ms for the trace's span. */
export interface StepRow {
  trace_id: string;
  span_id: string;
  id: string;
  parent_id: string | null;
  parent_span_id: string | null;
  name: string;
  type: string;
  input: string | null;
  output: string | null;
  start_time: string;
  end_time: string;
  start_ms: number;
  end_ms: number;
  error: string | null;
  /** JSON array. */
  tags: string;
  /** JSON object. */
  metadata: string;
  generation_id: string | null;
  service_name: string | null;
}

/** Insert order of the step columns, shared by both stores' DDL and statements (`merged_generation` is set by merges only). */
export const STEP_COLUMNS = [
  'trace_id',
  'span_id',
  'id',
  'parent_id',
  'parent_span_id',
  'name',
  'type',
  'input',
  'output',
  'start_time',
  'end_time',
  'start_ms',
  'end_ms',
  'error',
  'tags',
  'metadata',
  'generation_id',
  'service_name',
] as const satisfies readonly (keyof StepRow)[];

/** Step columns holding JSON text (written as they are; the other text columns are plain). */
export const STEP_JSON_COLUMNS: ReadonlySet<keyof StepRow> = new Set(['tags', 'metadata']);

function millis(time: string, what: string): number {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not an ISO-8601 time: ${JSON.stringify(time)}`);
  return ms;
}

/** The row of a step, its strings bounded (`storedStep`); a step that cannot be stored is rejected with `InvalidRecordError`. */
export function toStepRow(given: StepRecord): StepRow {
  try {
    const step = storedStep(given);
    return {
      trace_id: step.traceId.toLowerCase(),
      span_id: step.spanId.toLowerCase(),
      id: step.id,
      parent_id: step.parentId,
      parent_span_id: step.parentSpanId ? step.parentSpanId.toLowerCase() : null,
      name: step.name,
      type: step.type,
      input: step.input,
      output: step.output,
      start_time: step.startTime,
      end_time: step.endTime,
      start_ms: millis(step.startTime, 'startTime'),
      end_ms: millis(step.endTime, 'endTime'),
      error: step.error,
      tags: JSON.stringify(step.tags),
      metadata: JSON.stringify(step.metadata),
      generation_id: step.generationId,
      service_name: step.serviceName,
    };
  } catch (error) {
    const id = typeof given?.id === 'string' ? ` ${given.id}` : '';
    throw new InvalidRecordError(`step${id} cannot be stored: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export type StoredStepRow = Omit<StepRow, 'start_ms' | 'end_ms'> & { start_ms: number | string; end_ms: number | string };

export function fromStepRow(row: StoredStepRow): StepRecord {
  return {
    id: row.id,
    traceId: row.trace_id,
    spanId: row.span_id,
    parentId: row.parent_id,
    parentSpanId: row.parent_span_id,
    name: row.name,
    type: row.type as StepType,
    input: row.input,
    output: row.output,
    startTime: row.start_time,
    endTime: row.end_time,
    error: row.error,
    tags: JSON.parse(row.tags) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    generationId: row.generation_id,
    serviceName: row.service_name,
  };
}

/** What a batch's steps say of their traces: each trace's first start and last end among them, by trace id. */
export interface TraceTimes {
  traceId: string;
  startMs: number;
  endMs: number;
}

export function batchTraceTimes(rows: readonly StepRow[]): TraceTimes[] {
  const traces = new Map<string, TraceTimes>();
  for (const row of rows) {
    const seen = traces.get(row.trace_id);
    if (!seen) traces.set(row.trace_id, { traceId: row.trace_id, startMs: row.start_ms, endMs: row.end_ms });
    else {
      seen.startMs = Math.min(seen.startMs, row.start_ms);
      seen.endMs = Math.max(seen.endMs, row.end_ms);
    }
  }
  // In id order, so concurrent writers (PostgreSQL) lock the rows they share in the same order and never deadlock.
  return [...traces.values()].sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
}

/** A batch's trace threads, bounded, trace ids lowercased, one per trace (the first said wins, as a stored one does). */
export function batchThreads(threads: readonly TraceThread[]): TraceThread[] {
  const byTrace = new Map<string, TraceThread>();
  for (const given of threads) {
    const thread = storedThread(given);
    const traceId = thread.traceId.toLowerCase();
    if (!byTrace.has(traceId)) byTrace.set(traceId, { ...thread, traceId });
  }
  return [...byTrace.values()];
}

/** A merged record as its step row keeps it (bounded as a generation row is). */
export function mergedGenerationJson(record: GenerationRecord): string {
  return JSON.stringify(storedRecord(record));
}

/** The columns a step link is read from. */
export interface StepLinkRow {
  span_id: string;
  parent_span_id: string | null;
  type: string;
  generation_id: string | null;
}

export function stepLinkFromRow(row: StepLinkRow): StepLink {
  return { spanId: row.span_id, parentSpanId: row.parent_span_id, type: row.type as StepType, generationId: row.generation_id };
}

/**
 * A trace's steps in tree order: depth first, siblings by start time (then span id); a step whose parent is not stored
 * is a root. `steps` come sorted by start time then span id. Steps caught in a parent cycle (only hand-made data has
 * them) follow, so none is lost.
 */
export function treeOrder(steps: readonly StepRecord[]): StepRecord[] {
  const bySpan = new Map(steps.map((step) => [step.spanId, step]));
  const children = new Map<string, StepRecord[]>();
  const roots: StepRecord[] = [];
  for (const step of steps) {
    const parent = step.parentSpanId === null ? undefined : bySpan.get(step.parentSpanId);
    if (!parent || parent === step) roots.push(step);
    else {
      const siblings = children.get(parent.spanId);
      if (siblings) siblings.push(step);
      else children.set(parent.spanId, [step]);
    }
  }
  const ordered: StepRecord[] = [];
  const visited = new Set<string>();
  const visit = (root: StepRecord) => {
    // An explicit stack: a trace may nest deeper than the call stack allows.
    const stack = [root];
    while (stack.length > 0) {
      const step = stack.pop() as StepRecord;
      if (visited.has(step.spanId)) continue;
      visited.add(step.spanId);
      ordered.push(step);
      const below = children.get(step.spanId);
      if (below) for (let index = below.length - 1; index >= 0; index--) stack.push(below[index]);
    }
  };
  for (const root of roots) visit(root);
  for (const step of steps) if (!visited.has(step.spanId)) visit(step);
  return ordered;
}

function iso(ms: number | string): string {
  return new Date(Number(ms)).toISOString();
}

/** A row of the traces list query. */
export interface TraceSummaryRow {
  trace_id: string;
  thread_id: string | null;
  start_ms: number | string;
  end_ms: number | string;
  name: string | null;
  service_name: string | null;
  steps: number | string;
  generations: number | string;
  tokens: number | string | null;
  /** Steps that failed, and generations that did (by their status or their own error). */
  step_errors: number | string;
  generation_errors: number | string;
}

export function traceSummaryFromRow(row: TraceSummaryRow): TraceSummary {
  return {
    traceId: row.trace_id,
    threadId: row.thread_id,
    name: row.name,
    serviceName: row.service_name,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    durationMs: Number(row.end_ms) - Number(row.start_ms),
    steps: Number(row.steps),
    generations: Number(row.generations),
    tokens: row.tokens === null ? null : Number(row.tokens),
    error: Number(row.step_errors) + Number(row.generation_errors) > 0,
  };
}

/** A row of the threads list query. */
export interface ThreadSummaryRow {
  id: string;
  name: string | null;
  user_id: string | null;
  start_ms: number | string;
  end_ms: number | string;
  traces: number | string;
}

export function threadSummaryFromRow(row: ThreadSummaryRow): ThreadSummary {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    traces: Number(row.traces),
  };
}

/** A row of a thread's turns query. */
export interface ThreadTurnRow {
  trace_id: string;
  start_ms: number | string;
  end_ms: number | string;
  name: string | null;
  input: string | null;
  output: string | null;
  error: string | null;
}

export function threadTurnFromRow(row: ThreadTurnRow): ThreadTurn {
  return {
    traceId: row.trace_id,
    name: row.name,
    startTime: iso(row.start_ms),
    endTime: iso(row.end_ms),
    input: row.input,
    output: row.output,
    error: row.error,
  };
}

/**
 * The traces whose steps begin in an export page (steps come trace by trace): their threads go with the page, after
 * its steps, so each step's thread is known as soon as the step is, and an import finds the trace stored.
 */
export function tracesBegun(rows: readonly { trace_id: string }[], previousTrace: string | undefined): string[] {
  const traces: string[] = [];
  for (const row of rows) if (row.trace_id !== previousTrace && row.trace_id !== traces.at(-1)) traces.push(row.trace_id);
  return traces;
}

/** A row of the trace threads export. */
export interface TraceThreadRow {
  trace_id: string;
  thread_id: string;
  name: string | null;
  user_id: string | null;
}

export function traceThreadFromRow(row: TraceThreadRow): TraceThread {
  return { traceId: row.trace_id, threadId: row.thread_id, threadName: row.name, userId: row.user_id };
}

/** Where a page of traces (newest first) or threads (most recently active first) continues: the last item's time and id. */
export interface PageKey {
  ms: number;
  id: string;
}

const CURSOR_KINDS = { traces: 't', threads: 'h' } as const;

export function encodePageCursor(kind: keyof typeof CURSOR_KINDS, key: PageKey): string {
  return Buffer.from(JSON.stringify([CURSOR_KINDS[kind], key.ms, key.id]), 'utf8').toString('base64url');
}

export function decodePageCursor(kind: keyof typeof CURSOR_KINDS, cursor: string): PageKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && value[0] === CURSOR_KINDS[kind] && Number.isSafeInteger(value[1])) {
      if (typeof value[2] === 'string') return { ms: value[1] as number, id: value[2] };
    }
  } catch {
    // Falls through to the one error below.
  }
  throw new InvalidListFilterError(`cursor is not one this store issued for ${kind} (pass nextCursor from the previous page)`);
}
