import type { GenerationRecord } from '../generation/record.js';
import type { StepRecord, StepType, TraceThread } from '../generation/step-record.js';
import { Genspan, Otel } from '../semconv/keys.js';
import type { StepDescription } from '../translate/step-kind.js';
import type { NormalizedSpan } from '../translate/types.js';
import type { StepLink } from './contract.js';
import { isoFromUnixNano, recordId } from './record.js';

/**
 * Which spans of a trace with AI work are kept as steps (README, "Steps, traces and threads"): `ai` keeps the AI
 * spans and their ancestors up to the root (a non-AI ancestor becomes a `run` step); `all` also keeps the trace's
 * other spans (type `undefined`, a non-AI root `run`). Spans of traces without AI work are never kept.
 */
export const KEEP_SPANS = ['ai', 'all'] as const;

export type KeepSpans = (typeof KEEP_SPANS)[number];

export const DEFAULT_KEEP_SPANS: KeepSpans = 'ai';

export function isKeepSpans(value: unknown): value is KeepSpans {
  return (KEEP_SPANS as readonly unknown[]).includes(value);
}

export interface DescribedSpan {
  span: NormalizedSpan;
  description: StepDescription;
}

export interface KeptSpan extends DescribedSpan {
  type: StepType;
}

export interface KeepDecision {
  /** The spans to store as steps, in the order given. */
  kept: KeptSpan[];
  /** Spans that may still be kept once more of their trace is seen: held in memory meanwhile. */
  held: NormalizedSpan[];
}

/**
 * Which spans of a batch are steps, given the steps already stored in their traces (`stored`, by trace id). AI spans
 * always are; a non-AI span is when a step (of the batch or stored) descends from it, and with `all` when its trace
 * has AI work. The rest is held: it may be an ancestor whose descendants come later, or (with `all`) its trace's AI
 * work may come later. Pure.
 */
export function decideKeep(
  spans: readonly DescribedSpan[],
  stored: ReadonlyMap<string, readonly StepLink[]>,
  policy: KeepSpans,
): KeepDecision {
  const traces = new Map<string, DescribedSpan[]>();
  for (const described of spans) {
    const group = traces.get(described.span.traceId);
    if (group) group.push(described);
    else traces.set(described.span.traceId, [described]);
  }
  const types = new Map<DescribedSpan, StepType>();
  const held: NormalizedSpan[] = [];
  for (const [traceId, group] of traces) {
    const links = stored.get(traceId) ?? [];
    const others = new Map<string, DescribedSpan>();
    const named = new Set<string>();
    for (const link of links) {
      named.add(link.spanId);
      if (link.parentSpanId) named.add(link.parentSpanId);
    }
    for (const described of group) {
      if (described.description.ai) {
        types.set(described, described.description.type);
        if (described.span.parentSpanId) named.add(described.span.parentSpanId);
      } else {
        others.set(described.span.spanId, described);
      }
    }
    // Ancestors: walk up from every span a step names as parent, through the batch's other spans.
    for (const spanId of named) {
      let ancestor = others.get(spanId);
      while (ancestor && !types.has(ancestor)) {
        types.set(ancestor, 'run');
        const parent = ancestor.span.parentSpanId;
        ancestor = parent ? others.get(parent) : undefined;
      }
    }
    const hasAi = links.length > 0 || group.some((described) => described.description.ai);
    for (const described of others.values()) {
      if (types.has(described)) continue;
      if (hasAi && policy === 'all') types.set(described, described.span.parentSpanId ? 'undefined' : 'run');
      else held.push(described.span);
    }
  }
  const kept: KeptSpan[] = [];
  for (const described of spans) {
    const type = types.get(described);
    if (type) kept.push({ ...described, type });
  }
  return { kept, held };
}

/**
 * A step's own input or output: for an LLM call with a generation record, only what genspan's `step()` was given
 * (`genspan.step.input`/`output`), since the conventions' input and output of a call are its generation's messages
 * and completion, kept once, in the generation.
 */
function ownContent(span: NormalizedSpan, key: string, value: string | null, generationId: string | null): string | null {
  return generationId === null || typeof span.attributes[key] === 'string' ? value : null;
}

/** The step of a kept span; `generation` its own generation record when it has one (its id and times are reused). */
export function toStepRecord(kept: KeptSpan, generation?: GenerationRecord): StepRecord {
  const { span, description, type } = kept;
  const serviceName = span.resource[Otel.SERVICE_NAME];
  const generationId = generation?.id ?? null;
  return {
    id: generationId ?? recordId(span.traceId, span.spanId),
    traceId: span.traceId,
    spanId: span.spanId,
    parentId: span.parentSpanId ? recordId(span.traceId, span.parentSpanId) : null,
    parentSpanId: span.parentSpanId ?? null,
    name: description.name,
    type,
    input: ownContent(span, Genspan.STEP_INPUT, description.input, generationId),
    output: ownContent(span, Genspan.STEP_OUTPUT, description.output, generationId),
    startTime: generation?.startTime ?? isoFromUnixNano(span.startTimeUnixNano),
    endTime: generation?.endTime ?? isoFromUnixNano(span.endTimeUnixNano),
    error: description.error,
    tags: description.tags,
    metadata: description.metadata,
    generationId,
    serviceName: typeof serviceName === 'string' ? serviceName : null,
  };
}

/** What the kept spans say of their traces' threads: one entry per trace that names a thread. */
export function traceThreads(kept: readonly DescribedSpan[]): TraceThread[] {
  const threads = new Map<string, TraceThread>();
  const users = new Map<string, string>();
  for (const { span, description } of kept) {
    if (description.userId && !users.has(span.traceId)) users.set(span.traceId, description.userId);
    const thread = description.thread;
    if (!thread) continue;
    const known = threads.get(span.traceId);
    if (!known) threads.set(span.traceId, { traceId: span.traceId, threadId: thread.id, threadName: thread.name, userId: null });
    else if (known.threadName === null && thread.name !== null && known.threadId === thread.id) known.threadName = thread.name;
  }
  for (const thread of threads.values()) thread.userId = users.get(thread.traceId) ?? null;
  return [...threads.values()];
}
