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
 * Steps an LLM call's layers may be nested through: wrappers such as the Vercel AI SDK's `ai.generateText` (a run)
 * between a genspan `llm` step and `ai.generateText.doGenerate`, or an `llm` step without a generation of its own.
 * A tool, retrieval, embedding or rerank step between two calls makes them separate calls.
 */
function isWrapper(link: StepLink): boolean {
  return link.type === 'run' || link.type === 'undefined' || link.type === 'llm';
}

/** One LLM call traced by several layers: their span ids innermost first, and every step from the inner to the outermost. */
export interface CallChain {
  calls: string[];
  path: string[];
}

/** The LLM calls of one trace as its structure shows them. */
export interface TraceCalls {
  /** Calls traced by several layers nested in one another (through wrappers, see `isWrapper`). */
  chains: CallChain[];
  /** Calls no chain holds: each traced by one layer, or by layers that are not nested (see `joinDetached`). */
  detached: string[];
}

/**
 * The LLM calls of one trace traced by more than one layer: each call step with no call step below it (inside
 * wrappers) and a call step above it, with the call steps above it, nearest first. Several inner calls under one
 * outer each get their own chain (each is its own generation with the outer's additions).
 */
export function traceCalls(links: readonly StepLink[]): TraceCalls {
  const steps = new Map<string, StepLink>();
  for (const link of links) steps.set(link.spanId, link);
  /** The path from a call up to, and with, the nearest call step above it; undefined when there is none. */
  const up = (call: StepLink): StepLink[] | undefined => {
    const path: StepLink[] = [];
    for (let step = call.parentSpanId ? steps.get(call.parentSpanId) : undefined; step; ) {
      if (path.includes(step)) return undefined;
      path.push(step);
      if (isCall(step)) return path;
      if (!isWrapper(step)) return undefined;
      step = step.parentSpanId ? steps.get(step.parentSpanId) : undefined;
    }
    return undefined;
  };
  const outerOf = new Map<StepLink, StepLink[]>();
  const calls: StepLink[] = [];
  for (const link of links) {
    if (!isCall(link)) continue;
    calls.push(link);
    const path = up(link);
    if (path) outerOf.set(link, path);
  }
  const outers = new Set([...outerOf.values()].map((path) => path[path.length - 1]));
  const chains: CallChain[] = [];
  for (const [inner, first] of outerOf) {
    if (outers.has(inner)) continue;
    const chain: CallChain = { calls: [inner.spanId], path: [inner.spanId] };
    for (let path: StepLink[] | undefined = first; path; ) {
      const outer = path[path.length - 1];
      if (chain.calls.includes(outer.spanId)) break;
      chain.calls.push(outer.spanId);
      chain.path.push(...path.map((step) => step.spanId));
      path = outerOf.get(outer);
    }
    chains.push(chain);
  }
  const detached = calls.filter((call) => !outerOf.has(call) && !outers.has(call)).map((call) => call.spanId);
  return { chains, detached };
}

/** What joining detached calls reads of each call's generation record. */
export interface CallTiming {
  scope: string;
  /** ISO-8601 UTC, as records hold them. */
  startTime: string;
  endTime: string;
}

/**
 * The chains of a trace once detached layers are joined: a framework whose span is not the active context when it
 * calls the client (LangChain.js under OpenInference: its callbacks open spans beside the client call's) leaves the
 * client's span a cousin of the framework's LLM span. A detached call is the inner layer of the innermost call of
 * another instrumentation (`scope`) whose time holds its own, found below the detached call's parent (the tightest
 * one when several do). `timings` holds the detached calls and the chains' innermost calls, by span id.
 */
export function joinDetached(links: readonly StepLink[], calls: TraceCalls, timings: ReadonlyMap<string, CallTiming>): CallChain[] {
  const steps = new Map<string, StepLink>();
  for (const link of links) steps.set(link.spanId, link);
  const chainOf = new Map<string, CallChain>();
  for (const chain of calls.chains) chainOf.set(chain.calls[0], chain);
  const leaves = [...calls.detached, ...chainOf.keys()];
  /** The steps from `spanId` up to `ancestor` (both included), or undefined when `ancestor` is not above it. */
  const pathUp = (spanId: string, ancestor: string): string[] | undefined => {
    const path: string[] = [];
    for (let step = steps.get(spanId); step && !path.includes(step.spanId); ) {
      path.push(step.spanId);
      if (step.spanId === ancestor) return path;
      step = step.parentSpanId ? steps.get(step.parentSpanId) : undefined;
    }
    return undefined;
  };
  const joined = new Map<string, { outer: string; path: string[] }>();
  for (const inner of calls.detached) {
    const own = timings.get(inner);
    const parent = steps.get(inner)?.parentSpanId;
    if (!own || !parent) continue;
    let best: { outer: string; path: string[]; timing: CallTiming } | undefined;
    for (const outer of leaves) {
      const timing = timings.get(outer);
      if (outer === inner || !timing || timing.scope === own.scope) continue;
      if (timing.startTime > own.startTime || timing.endTime < own.endTime) continue;
      const path = pathUp(outer, parent);
      if (!path || path.includes(inner)) continue;
      if (
        !best ||
        timing.startTime > best.timing.startTime ||
        (timing.startTime === best.timing.startTime && timing.endTime < best.timing.endTime)
      ) {
        best = { outer, path, timing };
      }
    }
    if (best) joined.set(inner, { outer: best.outer, path: best.path });
  }
  const joinedOuters = new Set([...joined.values()].map(({ outer }) => outer));
  const replaced = new Set<CallChain>();
  const chains: CallChain[] = [];
  for (const inner of joined.keys()) {
    if (joinedOuters.has(inner)) continue;
    const chain: CallChain = { calls: [inner], path: [inner] };
    for (let link = joined.get(inner); link && !chain.calls.includes(link.outer); ) {
      const structural = chainOf.get(link.outer);
      chain.path.push(...link.path);
      if (structural) {
        replaced.add(structural);
        chain.calls.push(...structural.calls);
        chain.path.push(...structural.path);
        break;
      }
      chain.calls.push(link.outer);
      link = joined.get(link.outer);
    }
    chains.push(chain);
  }
  return [...calls.chains.filter((chain) => !replaced.has(chain)), ...chains];
}
