import { context, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ChatGeneration } from '../../src/generation/index.js';
import type { TraceDetail } from '../../src/generation/rest.js';
import { step } from '../../src/step/index.js';
import { inMemoryTracing } from './tracing.js';

/** The traces of one run of `appTraces`, by what they are. */
export interface AppTraces {
  /** Ended spans, in the order the SDK ended them (children before their parents). */
  spans: ReadableSpan[];
  /** Two runs of one thread (`thread-<tag>`) made in parallel, each a `run` with an `llm` and a `tool` step. */
  turns: [string, string];
  /** An HTTP server span around a database query and a run. */
  http: string;
  /** An HTTP server span and a database query: no AI work. */
  plain: string;
}

let tracing: ReturnType<typeof inMemoryTracing> | undefined;

function generation(question: string): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: question }],
    messageCompletion: { role: 'assistant', content: `Answer to ${question}` },
    inputTokenCount: 5,
    outputTokenCount: 4,
  });
}

/** A `run` with an `llm` step and a `tool` step, as an app writes it with genspan's `step()`. */
function run(name: string, question: string, thread?: string): Promise<string> {
  return step({ name, type: 'run', input: question, thread }, async (current) => {
    await step({ name: 'answer', type: 'llm' }, async (llm) => {
      llm.generation = generation(question);
    });
    const found = await step({ name: 'lookup', type: 'tool', input: { question } }, async () => 'found it');
    current.output = found;
    return current.traceId;
  });
}

/**
 * Real spans of an app (the SDK with AsyncLocalStorage context, registered globally): genspan's nested steps in
 * parallel runs of one thread, an HTTP server span around a database query and a run, and a trace with no AI work.
 * `tag` keeps each call's names apart.
 */
export async function appTraces(tag: string): Promise<AppTraces> {
  tracing ??= inMemoryTracing();
  tracing.exporter.reset();
  const turns = (await Promise.all([run('turn-1', `first ${tag}`, `thread-${tag}`), run('turn-2', `second ${tag}`, `thread-${tag}`)])) as [
    string,
    string,
  ];
  const tracer = trace.getTracer('http-server');
  const http = await tracer.startActiveSpan(
    'POST /chat',
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' } },
    async (root) => {
      tracer.startSpan('SELECT users', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }).end();
      await run('handle', `third ${tag}`);
      root.end();
      return root.spanContext().traceId;
    },
  );
  const plain = tracer.startActiveSpan('GET /health', { kind: SpanKind.SERVER }, (root) => {
    tracer.startSpan('SELECT 1', {}, context.active()).end();
    root.end();
    return root.spanContext().traceId;
  });
  const spans = [...tracing.spans()];
  tracing.exporter.reset();
  return { spans, turns, http, plain };
}

/** A run of `count` pseudo-random numbers in [0, 1), the same for the same seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export const ORDERS = ['children first', 'parents first', 'shuffled'] as const;
export type Order = (typeof ORDERS)[number];

/** The spans in an order: as the SDK ended them (children first), reversed (parents first), or shuffled. */
export function ordered<T>(spans: readonly T[], order: Order, seed = 7): T[] {
  if (order === 'children first') return [...spans];
  if (order === 'parents first') return [...spans].reverse();
  const next = random(seed);
  const out = [...spans];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The spans split into batches of `size` (0: one batch). */
export function batches<T>(spans: readonly T[], size: number): T[][] {
  if (size <= 0) return [[...spans]];
  const out: T[][] = [];
  for (let i = 0; i < spans.length; i += size) out.push(spans.slice(i, i + size));
  return out;
}

/** A trace's steps as `name:type<-parent name` lines, sorted: the tree whole, in a form a test can compare. */
export function treeLines(detail: TraceDetail | undefined): string[] {
  if (!detail) return [];
  const names = new Map(detail.steps.map((step) => [step.id, step.name]));
  return detail.steps.map((step) => `${step.name}:${step.type}<-${step.parentId ? (names.get(step.parentId) ?? '?') : ''}`).sort();
}

export const TURN_TREE = (name: string) => [`${name}:run<-`, `answer:llm<-${name}`, `lookup:tool<-${name}`].sort();

/** The HTTP trace's tree: with keepSpans `all`, the database query too. */
export function httpTree(keepSpans: 'ai' | 'all'): string[] {
  const tree = ['POST /chat:run<-', 'handle:run<-POST /chat', 'answer:llm<-handle', 'lookup:tool<-handle'];
  if (keepSpans === 'all') tree.push('SELECT users:undefined<-POST /chat');
  return tree.sort();
}
