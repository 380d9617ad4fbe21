import type { GenerationRecord } from '../generation/record.js';
import type { StepLink } from './contract.js';

/**
 * One LLM call traced by two layers (README, "One generation per LLM call"): the outer span's additions, the
 * inner span's call. Fields the outer layer adds to the call: its own value wins when it has one.
 */
const OUTER_ADDITIONS = ['template', 'variables', 'promptId'] as const;

/** Fields whose shape depends on the generation's type: taken from the other side only when both types agree. */
const TYPED_FIELDS = new Set(['template', 'messages', 'messageCompletion', 'prompt', 'completion']);

/** Not filled from the other side: the type is the inner's; tags and metadata are joined. */
const JOINED_FIELDS = new Set(['type', 'tags', 'metadata']);

/** A value that says nothing: absent, null, an empty list or an empty object. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function union(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second])];
}

/**
 * The generation of one LLM call seen by two spans, `inner` nearest the provider, `outer` its parent LLM span (a
 * genspan `llm` step around an instrumented client, a framework span over a client span). The inner owns the call:
 * its record (id, span, times, status, source) and its messages, completion, usage, settings, model, provider,
 * timings and error win. The outer adds its template, variables and prompt id, its tags (union) and metadata (the
 * inner's keys win), and fills every field the inner lacks. Pure and idempotent: merging the result with the same
 * outer again gives the same result, so whichever side arrives second may merge.
 */
export function mergeGeneration(inner: GenerationRecord, outer: GenerationRecord): GenerationRecord {
  const own = inner.generation;
  const added = outer.generation;
  const sameType = own.type === added.type;
  const generation: Record<string, unknown> = { ...own };
  for (const [key, value] of Object.entries(added)) {
    if (JOINED_FIELDS.has(key) || (TYPED_FIELDS.has(key) && !sameType) || isEmpty(value)) continue;
    if (isEmpty(generation[key]) || (OUTER_ADDITIONS as readonly string[]).includes(key)) generation[key] = value;
  }
  generation.tags = union(stringList(own.tags), stringList(added.tags));
  generation.metadata = { ...objectOf(added.metadata), ...objectOf(own.metadata) };
  return {
    ...inner,
    cost: inner.cost ?? outer.cost,
    warnings: union(inner.warnings, outer.warnings),
    generation,
  };
}

/**
 * The generation of a call traced by a chain of layers: `outers` from the inner span's parent outwards. Each layer
 * adds to what the layers inside it gave: the innermost owns the call, and of the additions (template, variables,
 * prompt id) the outermost layer's win, as that is usually the app's own `llm` step around a framework.
 */
export function mergeLayers(inner: GenerationRecord, outers: readonly GenerationRecord[]): GenerationRecord {
  return outers.reduce(mergeGeneration, inner);
}

/** A stored step that is an LLM call with a generation record of its own or merged into another. */
function isCall(link: StepLink): boolean {
  return link.type === 'llm' && link.generationId !== null;
}

/**
 * The LLM calls of one trace traced by more than one layer: for each call step with a call step as parent and none
 * as child, its span id followed by those of the call steps above it, nearest first. Several inner calls under one
 * outer each get their own chain (each is its own generation with the outer's additions).
 */
export function callChains(links: readonly StepLink[]): string[][] {
  const calls = new Map<string, StepLink>();
  for (const link of links) if (isCall(link)) calls.set(link.spanId, link);
  const outers = new Set<string>();
  for (const call of calls.values()) if (call.parentSpanId && calls.has(call.parentSpanId)) outers.add(call.parentSpanId);
  const chains: string[][] = [];
  for (const call of calls.values()) {
    if (outers.has(call.spanId) || !call.parentSpanId || !calls.has(call.parentSpanId)) continue;
    const chain = [call.spanId];
    for (let parent = calls.get(call.parentSpanId); parent && !chain.includes(parent.spanId); ) {
      chain.push(parent.spanId);
      parent = parent.parentSpanId ? calls.get(parent.parentSpanId) : undefined;
    }
    chains.push(chain);
  }
  return chains;
}
