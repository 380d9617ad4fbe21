/**
 * A large SQLite store for the benchmarks that measure queries at scale (issues 11 and 13): N generations (default
 * 1,000,000) with ~2.5 KB of varied message text each, deterministic from a seed. Each LLM call sits under a `run`
 * step with a `tool` step beside it; several models, providers, services, tags and users, ~2% errors, a 30-day spread,
 * about 40% of traces in threads. It also holds the probes the query benchmarks read: one trace of 500 steps and one
 * thread of 200 traces, a word found in one record only and a tag on a few records.
 *
 * Written through the store's own write path (`SqliteStore.writeWithSpans` with steps, large batches), and kept in
 * `.bench-cache/` (gitignored; `GENSPAN_BENCH_CACHE` moves it): reused while its manifest matches the generation
 * count, the seed, this builder's version and the store's schema version, rebuilt otherwise.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { shippedPriceTable } from '../src/generation/prices.js';
import type { GenerationRecord } from '../src/generation/record.js';
import type { ChatGenerationData } from '../src/generation/schema.js';
import type { StepRecord, TraceThread } from '../src/generation/step-record.js';
import type { IngestStore, StepBatch } from '../src/ingest/contract.js';
import { recordId, toGenerationRecord } from '../src/ingest/record.js';
import { SQLITE_SCHEMA_VERSION, SqliteStore } from '../src/store/sqlite.js';
import { inPartition } from '../src/store/sqlite-partitions.js';
import type { NormalizedSpan } from '../src/translate/types.js';

/**
 * Bumped whenever what the builder writes changes, so a cached store of the old shape is rebuilt. 2: SQLite's time
 * partitions opened as the data's days go by (`ReplayClock`).
 */
const BUILDER_VERSION = 2;
export const LARGE_STORE_DEFAULT_GENERATIONS = 1_000_000;
export const LARGE_STORE_DEFAULT_SEED = 11;
/** Generations per write: large batches, as a busy server's are. */
const BATCH = 2_000;
/** Writes handed to the store before the first one is awaited: the next batch is built while the writer inserts. */
const IN_FLIGHT = 2;
const DAY_MS = 86_400_000;
const SPAN_DAYS = 30;
/** The 30 days end here (fixed, so a rebuild is byte for byte the same store). */
const END_MS = Date.UTC(2026, 10, 30);
const START_MS = END_MS - SPAN_DAYS * DAY_MS;

/** What the query benchmarks look up in the store. */
export const LARGE_STORE_PROBES = {
  /** A trace of 500 steps (a `run` root, then 166 turns of `run` ⟶ `llm` + `tool`, and one last tool step). */
  bigTraceId: 'b16b16b16b16b16b16b16b16b16b16b1',
  bigTraceSteps: 500,
  /** A thread of 200 traces, each a `run` with an `llm` and a `tool` step. */
  longThreadId: 'bench-long-thread',
  longThreadTraces: 200,
  /** A word in the messages of exactly one generation (the middle one). */
  uniqueWord: 'quetzalcoatlite',
  /** A word in no generation. */
  absentWord: 'zyxwvutsrqponm',
  /** A word in most generations. */
  commonWord: 'the',
  /** A tag on one generation in 10,000. */
  rareTag: 'audit-sample',
} as const;

/** A seeded pseudo-random source (mulberry32): the same seed gives the same store. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A number in [0, 1). */
  unit(): number {
    return this.next() / 4_294_967_296;
  }

  below(n: number): number {
    return Math.floor(this.unit() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.next().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }
}

const MODELS: readonly { provider: string; model: string; weight: number }[] = [
  { provider: 'openai', model: 'gpt-4o', weight: 30 },
  { provider: 'openai', model: 'gpt-4o-mini', weight: 25 },
  { provider: 'openai', model: 'o3-mini', weight: 5 },
  { provider: 'anthropic', model: 'claude-3-5-sonnet-20241022', weight: 15 },
  { provider: 'anthropic', model: 'claude-3-5-haiku-20241022', weight: 8 },
  { provider: 'gcp.gemini', model: 'gemini-1.5-pro', weight: 7 },
  { provider: 'mistral_ai', model: 'mistral-large-latest', weight: 5 },
  { provider: 'aws.bedrock', model: 'meta.llama3-1-70b-instruct-v1:0', weight: 5 },
];
const MODEL_WHEEL = MODELS.flatMap((entry) => Array.from({ length: entry.weight }, () => entry));
const SCOPES: Record<string, { name: string; version: string }> = {
  openai: { name: '@opentelemetry/instrumentation-openai', version: '0.4.0' },
  anthropic: { name: 'opentelemetry.instrumentation.anthropic', version: '0.33.9' },
  'gcp.gemini': { name: 'openinference.instrumentation.vertexai', version: '0.1.6' },
  mistral_ai: { name: 'opentelemetry.instrumentation.mistralai', version: '0.33.9' },
  'aws.bedrock': { name: 'opentelemetry.instrumentation.bedrock', version: '0.33.9' },
};
const SERVICES = ['checkout', 'support-bot', 'search', 'onboarding', 'billing-assistant', 'docs-qa', 'code-review', 'travel-planner'];
const WORKFLOWS = ['answer-question', 'triage-ticket', 'summarize-thread', 'plan-trip', 'review-diff', 'draft-reply', 'classify-intent'];
const TOOLS = ['search_docs', 'lookup_order', 'get_weather', 'run_sql', 'fetch_url', 'create_ticket', 'get_balance'];
const TAGS = ['prod', 'staging', 'experiment-a', 'experiment-b', 'vip', 'eu', 'us', 'mobile', 'web', 'batch', 'retry', 'beta'];
const ERRORS = [
  '429 Rate limit reached for requests per min. Please try again in 20s.',
  '500 The server had an error while processing your request.',
  'Request timed out after 60000 ms',
  'overloaded_error: Overloaded',
  '400 This model maximum context length is 128000 tokens.',
];
const TOPICS = [
  'refund policy order shipment invoice warehouse carrier delay parcel tracking customer address payment card receipt',
  'kubernetes pod deployment container memory limit restart crash loop namespace ingress service node cluster volume',
  'flight hotel itinerary museum train station booking weekend budget luggage visa airport breakfast neighbourhood',
  'function variable refactor test coverage pull request review branch merge conflict type error compile module',
  'account balance transfer interest mortgage loan statement budget savings fee currency exchange deposit',
  'patient appointment symptom prescription clinic insurance referral schedule dosage allergy follow-up visit',
  'latency throughput span trace token prompt completion model temperature embedding vector index retrieval',
  'contract clause liability termination notice party agreement renewal signature amendment jurisdiction',
  'recipe oven flour butter sugar minutes temperature dough whisk simmer garlic onion season serve',
  'marketing campaign audience conversion landing page newsletter budget channel funnel retention churn',
];
const GLUE = [
  ...'the a an of to in for with on and but or so that this it is are was be can will should could'.split(' '),
  ...'would please thanks also then when if'.split(' '),
];
const TOPIC_WORDS = TOPICS.map((topic) => topic.split(' '));
const SYSTEM_PROMPTS = [
  'You are a helpful assistant for an online shop. Answer briefly, cite the policy section you used, and never invent order data.',
  'You are an expert site reliability engineer. Explain the likely cause first, then the commands to check it, then the fix.',
  'You are a travel planner. Propose a day-by-day plan with times, walking distances and a budget estimate in euros.',
  'You are a senior code reviewer. Point out bugs, then risky patterns, then style; quote the lines you mean.',
  'You are a careful financial assistant. State assumptions, show the arithmetic, and add a short disclaimer at the end.',
  'You are a clinic receptionist assistant. Be warm and concise, and never give medical advice beyond scheduling.',
];

/** Sentences of one topic's words glued with common words, capitalised and ended, to about `length` characters. */
function prose(random: Random, topic: readonly string[], length: number): string {
  let out = '';
  let sentence = 0;
  while (out.length < length) {
    const words = 6 + random.below(14);
    let text = '';
    for (let index = 0; index < words; index++) {
      const word = random.below(3) === 0 ? random.pick(GLUE) : random.pick(topic);
      text += index === 0 ? word[0].toUpperCase() + word.slice(1) : ` ${word}`;
    }
    out += `${sentence++ > 0 ? ' ' : ''}${text}${random.below(6) === 0 ? '?' : '.'}`;
  }
  return out;
}

const NS_PER_MS = 1_000_000n;

function span(options: {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startMs: number;
  endMs: number;
  error: string | null;
  service: string;
  scope: { name: string; version: string };
}): NormalizedSpan {
  return {
    traceId: options.traceId,
    spanId: options.spanId,
    parentSpanId: options.parentSpanId,
    name: options.name,
    kind: 3,
    startTimeUnixNano: BigInt(options.startMs) * NS_PER_MS,
    endTimeUnixNano: BigInt(options.endMs) * NS_PER_MS,
    attributes: {},
    events: [],
    status: options.error ? { code: 2, message: options.error } : { code: 0 },
    resource: { 'service.name': options.service },
    scope: options.scope,
  };
}

function step(options: Omit<StepRecord, 'id' | 'parentId' | 'startTime' | 'endTime'> & { startMs: number; endMs: number }): StepRecord {
  const { startMs, endMs, ...rest } = options;
  return {
    ...rest,
    id: recordId(options.traceId, options.spanId),
    parentId: options.parentSpanId === null ? null : recordId(options.traceId, options.parentSpanId),
    startTime: new Date(startMs).toISOString(),
    endTime: new Date(endMs).toISOString(),
  };
}

/** One trace's writes: its generation record(s), its steps, and its thread when it has one. */
export interface TraceWrite {
  records: GenerationRecord[];
  steps: StepRecord[];
  threads: TraceThread[];
}

const PRICES = shippedPriceTable();

/**
 * One LLM call (~2.5 KB of message text) under `parentSpanId`, with its `llm` step, and a `tool` step beside it;
 * `extraWords` go into the user message (the unique search probe), `extraTags` onto the generation.
 */
function callWithTool(
  random: Random,
  at: { traceId: string; parentSpanId: string; startMs: number; service: string },
  extra: { words?: string; tags?: string[] } = {},
): { record: GenerationRecord; steps: StepRecord[]; question: string; answer: string; endMs: number } {
  const { provider, model } = random.pick(MODEL_WHEEL);
  const topicIndex = random.below(TOPIC_WORDS.length);
  const topic = TOPIC_WORDS[topicIndex];
  const system = `${SYSTEM_PROMPTS[topicIndex % SYSTEM_PROMPTS.length]} ${prose(random, topic, 150 + random.below(250))}`;
  const question = prose(random, topic, 700 + random.below(900)) + (extra.words ? ` ${extra.words}` : '');
  const answer = prose(random, topic, 500 + random.below(700));
  const error = random.below(50) === 0 ? random.pick(ERRORS) : null;
  const tags = [random.pick(TAGS), ...(random.below(3) === 0 ? [random.pick(TAGS)] : []), ...(extra.tags ?? [])];
  const llmSpanId = random.hex(16);
  const llmStart = at.startMs + 5 + random.below(40);
  const llmEnd = llmStart + 300 + random.below(6_000);
  const inputTokens = Math.round((system.length + question.length) / 4);
  const generation: ChatGenerationData = {
    type: 'CHAT',
    provider,
    model,
    settings: { temperature: random.pick([0, 0.2, 0.7, 1]), max_tokens: random.pick([256, 512, 1024, 4096]) },
    variables: {},
    tags: [...new Set(tags)],
    metadata: { user_tier: random.pick(['free', 'pro', 'team']), region: random.pick(['eu-west-1', 'us-east-1', 'ap-south-1']) },
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: question },
    ],
    ...(error ? {} : { messageCompletion: { role: 'assistant' as const, content: answer } }),
    inputTokenCount: inputTokens,
    outputTokenCount: error ? 0 : Math.round(answer.length / 4),
  };
  const llmSpan = span({
    traceId: at.traceId,
    spanId: llmSpanId,
    parentSpanId: at.parentSpanId,
    name: `chat ${model}`,
    startMs: llmStart,
    endMs: llmEnd,
    error,
    service: at.service,
    scope: SCOPES[provider],
  });
  const record = toGenerationRecord(llmSpan, { generation, source: 'genai', warnings: [] }, PRICES);
  const toolSpanId = random.hex(16);
  const toolStart = llmEnd + 2 + random.below(20);
  const toolEnd = toolStart + 20 + random.below(800);
  const tool = random.pick(TOOLS);
  const toolError = random.below(100) === 0 ? `${tool} failed: connection reset by peer` : null;
  const steps = [
    step({
      traceId: at.traceId,
      spanId: llmSpanId,
      parentSpanId: at.parentSpanId,
      name: `chat ${model}`,
      type: 'llm',
      input: null,
      output: null,
      startMs: llmStart,
      endMs: llmEnd,
      error,
      tags: generation.tags,
      metadata: {},
      generationId: record.id,
      serviceName: at.service,
    }),
    step({
      traceId: at.traceId,
      spanId: toolSpanId,
      parentSpanId: at.parentSpanId,
      name: tool,
      type: 'tool',
      input: JSON.stringify({ query: prose(random, topic, 40 + random.below(80)), limit: 5 }),
      output: toolError ? null : JSON.stringify({ results: [prose(random, topic, 80 + random.below(200))] }),
      startMs: toolStart,
      endMs: toolEnd,
      error: toolError,
      tags: [],
      metadata: { attempt: 1 },
      generationId: null,
      serviceName: at.service,
    }),
  ];
  return { record, steps, question, answer: error ? '' : answer, endMs: toolEnd };
}

/** A `run` root with one call and one tool under it: the shape of almost every trace in the store. */
function runTrace(
  random: Random,
  traceId: string,
  startMs: number,
  service: string,
  extra: { words?: string; tags?: string[] } = {},
): Omit<TraceWrite, 'threads'> {
  const rootSpanId = random.hex(16);
  const workflow = random.pick(WORKFLOWS);
  const call = callWithTool(random, { traceId, parentSpanId: rootSpanId, startMs, service }, extra);
  const endMs = call.endMs + 1 + random.below(30);
  const root = step({
    traceId,
    spanId: rootSpanId,
    parentSpanId: null,
    name: workflow,
    type: 'run',
    input: call.question.slice(0, 160 + random.below(240)),
    output: call.answer.slice(0, 200 + random.below(300)) || null,
    startMs,
    endMs,
    error: call.record.status.code === 2 ? (call.record.status.message ?? null) : null,
    tags: [],
    metadata: { workflow },
    generationId: null,
    serviceName: service,
  });
  return { records: [call.record], steps: [root, ...call.steps] };
}

/** Traces near each other in time share threads: a window of 50 traces holds 3 threads, ~40% of traces in one. */
const THREAD_WINDOW = 50;
const THREADS_PER_WINDOW = 3;
const THREADED_SHARE = 0.4;
const USERS = 5_000;

/** Trace `index` of `count` (in time order), generated from its own seed so any trace can be made alone. */
function storeTrace(seed: number, index: number, count: number): TraceWrite {
  const random = new Random((seed * 1_000_003 + index) >>> 0);
  const traceId = random.hex(32);
  const startMs = storeTraceStartMs(index, count) + random.below(1_000);
  const service = random.pick(SERVICES);
  const middle = index === Math.floor(count / 2);
  const trace = runTrace(random, traceId, startMs, service, {
    words: middle ? LARGE_STORE_PROBES.uniqueWord : undefined,
    tags: index % 10_000 === 7 ? [LARGE_STORE_PROBES.rareTag] : undefined,
  });
  const threads: TraceThread[] = [];
  if (random.unit() < THREADED_SHARE) {
    const thread = Math.floor(index / THREAD_WINDOW) * THREADS_PER_WINDOW + random.below(THREADS_PER_WINDOW);
    const threadRandom = new Random((seed * 7_919 + thread) >>> 0);
    threads.push({
      traceId,
      threadId: `thread-${thread.toString(36)}`,
      threadName: threadRandom.below(10) < 3 ? `Conversation ${thread}` : null,
      userId: `user-${threadRandom.below(USERS)}`,
    });
  }
  return { ...trace, threads };
}

/** The trace of `LARGE_STORE_PROBES.bigTraceSteps` steps: a `run` root, turns of `run` ⟶ `llm` + `tool`, one closing tool. */
export function bigTrace(seed = LARGE_STORE_DEFAULT_SEED): TraceWrite {
  const random = new Random(seed ^ 0xb16);
  const traceId = LARGE_STORE_PROBES.bigTraceId;
  const rootSpanId = random.hex(16);
  const service = 'support-bot';
  const startMs = START_MS + 15 * DAY_MS;
  const records: GenerationRecord[] = [];
  const steps: StepRecord[] = [];
  let atMs = startMs + 10;
  const turns = Math.floor((LARGE_STORE_PROBES.bigTraceSteps - 2) / 3);
  for (let turn = 0; turn < turns; turn++) {
    const turnSpanId = random.hex(16);
    const call = callWithTool(random, { traceId, parentSpanId: turnSpanId, startMs: atMs, service });
    records.push(call.record);
    steps.push(
      step({
        traceId,
        spanId: turnSpanId,
        parentSpanId: rootSpanId,
        name: `agent turn ${turn + 1}`,
        type: 'run',
        input: call.question.slice(0, 200),
        output: call.answer.slice(0, 300) || null,
        startMs: atMs,
        endMs: call.endMs + 1,
        error: null,
        tags: [],
        metadata: { turn: turn + 1 },
        generationId: null,
        serviceName: service,
      }),
      ...call.steps,
    );
    atMs = call.endMs + 5;
  }
  steps.push(
    step({
      traceId,
      spanId: random.hex(16),
      parentSpanId: rootSpanId,
      name: 'send_reply',
      type: 'tool',
      input: JSON.stringify({ channel: 'email' }),
      output: JSON.stringify({ sent: true }),
      startMs: atMs,
      endMs: atMs + 40,
      error: null,
      tags: [],
      metadata: {},
      generationId: null,
      serviceName: service,
    }),
  );
  const root = step({
    traceId,
    spanId: rootSpanId,
    parentSpanId: null,
    name: 'agent run',
    type: 'run',
    input: 'Investigate the failed payouts of last week and reply to every affected customer.',
    output: 'Replied to 166 customers.',
    startMs,
    endMs: atMs + 50,
    error: null,
    tags: ['agent'],
    metadata: {},
    generationId: null,
    serviceName: service,
  });
  return { records, steps: [root, ...steps], threads: [] };
}

/** The `LARGE_STORE_PROBES.longThreadTraces` traces of the long thread, one turn a minute. */
export function longThread(seed = LARGE_STORE_DEFAULT_SEED): TraceWrite[] {
  const random = new Random(seed ^ 0x7ead);
  const startMs = START_MS + 20 * DAY_MS;
  return Array.from({ length: LARGE_STORE_PROBES.longThreadTraces }, (_, turn) => {
    const traceId = random.hex(32);
    const trace = runTrace(random, traceId, startMs + turn * 60_000, 'support-bot');
    return {
      ...trace,
      threads: [{ traceId, threadId: LARGE_STORE_PROBES.longThreadId, threadName: null, userId: 'user-long-thread' }],
    };
  });
}

/**
 * The clock of a store replaying the benchmark's dated traces as if they arrived as they started: the newest start
 * it has seen. SQLite opens a time partition at its store's clock, so with the real one (days after the data's) it
 * would file every trace into one old partition, unlike a server that took them as they came.
 */
export class ReplayClock {
  private newestMs = Number.MIN_SAFE_INTEGER;
  readonly now = (): number => this.newestMs;

  /** Passes the traces on, moving the clock to each one's start as it goes. */
  *replay<T extends TraceWrite>(traces: Iterable<T>): Generator<T> {
    for (const trace of traces) {
      for (const record of trace.records) this.newestMs = Math.max(this.newestMs, Date.parse(record.startTime));
      yield trace;
    }
  }
}

/** What the builder writes through: a store's own write path (SQLite's or PostgreSQL's). */
export type WriteTarget = Pick<IngestStore, 'writeWithSpans'>;

/** Writes traces through the store's own write path, `BATCH` generations per write, `IN_FLIGHT` writes at a time. */
export async function writeTraces(
  store: WriteTarget,
  traces: Iterable<TraceWrite>,
  onBatch?: (generations: number) => void,
): Promise<void> {
  const pending: Promise<unknown>[] = [];
  let batch: TraceWrite[] = [];
  let generations = 0;
  let written = 0;
  const flush = async () => {
    const records = batch.flatMap((trace) => trace.records);
    const steps: StepBatch = { steps: batch.flatMap((trace) => trace.steps), threads: batch.flatMap((trace) => trace.threads) };
    batch = [];
    pending.push(store.writeWithSpans(records, new Map(), steps));
    if (pending.length >= IN_FLIGHT) await pending.shift();
    written += records.length;
    onBatch?.(written);
  };
  for (const trace of traces) {
    batch.push(trace);
    generations += trace.records.length;
    if (generations >= BATCH) {
      generations = 0;
      await flush();
    }
  }
  if (batch.length > 0) await flush();
  await Promise.all(pending);
}

/** Where trace `index` of a store of `count` starts, to within a second: spread evenly over the 30 days, oldest first. */
export function storeTraceStartMs(index: number, count: number): number {
  return START_MS + Math.floor((index / count) * SPAN_DAYS * DAY_MS);
}

/** The store's ordinary traces, in time order (the probes are written after them); the oldest `first` of them if given. */
export function* storeTraces(seed: number, count: number, first = count): Generator<TraceWrite> {
  for (let index = 0; index < first; index++) yield storeTrace(seed, index, count);
}

/** The probe traces every query benchmark reads, on the large store and on an empty one alike. */
export function probeTraces(seed = LARGE_STORE_DEFAULT_SEED): TraceWrite[] {
  return [bigTrace(seed), ...longThread(seed)];
}

/** `GENSPAN_BENCH_LARGE`'s say: undefined (use a cached 1,000,000 store only), or the generations to build when missing. */
export function largeStoreRequest(): { generations: number; build: boolean } {
  const value = process.env.GENSPAN_BENCH_LARGE;
  if (value === undefined || value === '' || value === '0') return { generations: LARGE_STORE_DEFAULT_GENERATIONS, build: false };
  const count = Number(value);
  if (value === '1' || value === 'true') return { generations: LARGE_STORE_DEFAULT_GENERATIONS, build: true };
  if (!Number.isInteger(count) || count < 1000)
    throw new Error(`GENSPAN_BENCH_LARGE must be 1 or a count of generations (>= 1000), got ${value}`);
  return { generations: count, build: true };
}

export interface LargeStoreOptions {
  /** Generations of the store's ordinary traces (the probes add 366 more). Default 1,000,000. */
  generations?: number;
  seed?: number;
  /** Where the store is kept; default `.bench-cache/` at the repository's root, or `GENSPAN_BENCH_CACHE`. */
  folder?: string;
  /** Builds when no matching store is cached; otherwise resolves undefined for a missing one. Default true. */
  build?: boolean;
  /** Progress lines while building. */
  log?: (line: string) => void;
}

export interface LargeStore {
  path: string;
  generations: number;
  /** Whether it was built now (else it was found in the cache). */
  built: boolean;
  /** How long the build took (now, or when it was cached). */
  buildSeconds: number;
  /** The CPU time the build took, all of the process's threads (on a shared machine, wall time says little alone). */
  buildCpuSeconds?: number;
  /** The database file's size (after a checkpoint). */
  bytes: number;
  /** Set when the store was built at an older schema and migrated to the current one (now, or earlier). */
  migration?: LargeStoreMigration;
}

/** A cached store opened by a newer genspan: how long its migration took, with a writer writing meanwhile. */
export interface LargeStoreMigration {
  fromSchema: number;
  toSchema: number;
  /** Opening the store (the schema change itself, in one transaction). */
  openMs: number;
  /** From opening until the background build of the new indexes was complete. */
  buildSeconds: number;
  buildCpuSeconds: number;
  /** The writes made meanwhile (one trace each, every `MIGRATION_WRITE_EVERY_MS`), and their latencies. */
  writes: number;
  writeMedianMs: number;
  writeP99Ms: number;
  /** The longest write stall while the build ran. */
  writeMaxMs: number;
}

interface Manifest {
  builder: number;
  schema: number;
  generations: number;
  seed: number;
  buildSeconds: number;
  buildCpuSeconds?: number;
  /** Present when the file was built at an older schema and migrated (the same rows, indexes built by the migration). */
  migration?: LargeStoreMigration;
}

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function largeStoreFolder(): string {
  return process.env.GENSPAN_BENCH_CACHE ? resolve(process.env.GENSPAN_BENCH_CACHE) : join(repositoryRoot, '.bench-cache');
}

type Wanted = Pick<Manifest, 'builder' | 'schema' | 'generations' | 'seed'>;

function cached(path: string, manifestPath: string, wanted: Wanted): Manifest | undefined {
  if (!existsSync(path) || !existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const matches = (Object.keys(wanted) as (keyof Wanted)[]).every((key) => manifest[key] === wanted[key]);
  if (!matches) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const schema = db.pragma('user_version', { simple: true }) as number;
    const count = countGenerations(db);
    const probes = bigTrace(wanted.seed).records.length + longThread(wanted.seed).length;
    return schema === wanted.schema && count === wanted.generations + probes ? manifest : undefined;
  } finally {
    db.close();
  }
}

/** A cached store of this builder at an older schema (same generations and seed), which opening migrates. */
function olderCache(path: string, manifestPath: string, wanted: Wanted): Manifest | undefined {
  if (!existsSync(manifestPath)) return undefined;
  const { schema } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  return schema < wanted.schema ? cached(path, manifestPath, { ...wanted, schema }) : undefined;
}

/** While a cached store migrates, a writer writes one trace this often (a busy server's pace, 20 traces a second). */
export const MIGRATION_WRITE_EVERY_MS = 50;
/** The seed of traces written into the large store by a benchmark: other trace ids, so they can be deleted again. */
const EXTRA_SEED = 0x3717;

/** Trace `index` of the benchmarks' extra traces: as the store's, without a thread (it would touch the store's threads). */
export function extraTrace(index: number): TraceWrite {
  return { ...storeTrace(EXTRA_SEED, index, LARGE_STORE_DEFAULT_GENERATIONS), threads: [] };
}

/** A SQLite store file's time partitions (before schema 11, its one set of tables: partition 0). */
function partitionIds(db: Database.Database): number[] {
  const catalog = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'genspan_partitions'").get();
  if (!catalog) return [0];
  return (db.prepare('SELECT id FROM genspan_partitions ORDER BY from_ms').all() as { id: number }[]).map((row) => row.id);
}

/** The generations a SQLite store file holds, in every partition. */
export function countGenerations(db: Database.Database): number {
  return partitionIds(db).reduce(
    (sum, id) => sum + (db.prepare(inPartition('SELECT count(*) AS count FROM genspan_generations', id)).get() as { count: number }).count,
    0,
  );
}

/**
 * A temporary view of every partition's generations, on a connection of its own, for the scans the indexes are
 * compared with (`ALL_GENERATIONS`): they read every row, whichever partition holds it.
 */
export function viewAllGenerations(db: Database.Database): void {
  const parts = partitionIds(db).map((id) => inPartition('SELECT * FROM genspan_generations', id));
  db.exec(`CREATE TEMP VIEW ${ALL_GENERATIONS} AS ${parts.join(' UNION ALL ')}`);
}
export const ALL_GENERATIONS = 'genspan_all_generations';

/** Deletes a benchmark's extra traces from the store file again (generations, steps, traces; the triggers unindex them). */
export function deleteTraces(path: string, traceIds: readonly string[]): void {
  const db = new Database(path);
  try {
    const ids = JSON.stringify(traceIds);
    for (const id of partitionIds(db))
      for (const table of ['genspan_generations', 'genspan_steps', 'genspan_traces'])
        db.prepare(inPartition(`DELETE FROM ${table} WHERE trace_id IN (SELECT value FROM json_each(?))`, id)).run(ids);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/**
 * Reads a file, or every file under a folder, through the page cache, so a measurement that follows finds them there
 * rather than waiting on the disk for what an earlier section's files pushed out of it.
 */
export async function readThrough(path: string): Promise<void> {
  const file = statSync(path);
  if (file.isDirectory()) {
    for (const entry of readdirSync(path)) await readThrough(join(path, entry));
    return;
  }
  if (!file.isFile()) return;
  for await (const _chunk of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 }));
}

export function quantile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
}

/** A store being migrated as it opens: what `timeMigration` writes through and waits for. */
export interface MigratingStore {
  writeWithSpans: IngestStore['writeWithSpans'];
  indexesBuilt(): Promise<void>;
  close(): Promise<void>;
}

/** What `timeMigration` measured, and the traces its writer wrote (for the caller to delete again). */
export type MigrationTiming = Omit<LargeStoreMigration, 'fromSchema' | 'toSchema'> & { traceIds: string[] };

/**
 * Times a migration: `open` opens the store (the schema change), then its background index build runs while a writer
 * writes a trace (its generation and steps, no thread) every `MIGRATION_WRITE_EVERY_MS`, each write timed; `progress`
 * says how far the build is, logged once a minute.
 */
export async function timeMigration<Store extends MigratingStore>(
  open: () => Promise<Store>,
  progress: (store: Store, seconds: number, writes: number) => Promise<string>,
  log: (line: string) => void,
): Promise<MigrationTiming> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const store = await open();
  const openMs = performance.now() - started;
  let complete = false;
  const building = store.indexesBuilt().then(() => {
    complete = true;
  });
  const latencies: number[] = [];
  const traceIds: string[] = [];
  let nextReport = performance.now() + 60_000;
  try {
    for (let index = 0; !complete; index++) {
      const trace = extraTrace(index);
      const writeStarted = performance.now();
      await store.writeWithSpans(trace.records, new Map(), { steps: trace.steps, threads: trace.threads });
      latencies.push(performance.now() - writeStarted);
      traceIds.push(trace.records[0].traceId);
      if (performance.now() >= nextReport) {
        nextReport += 60_000;
        log(`  ${await progress(store, (performance.now() - started) / 1000, latencies.length)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_WRITE_EVERY_MS));
    }
    await building;
  } finally {
    await store.close();
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  latencies.sort((a, b) => a - b);
  return {
    openMs,
    buildSeconds,
    buildCpuSeconds: (cpu.user + cpu.system) / 1e6,
    writes: latencies.length,
    writeMedianMs: quantile(latencies, 0.5),
    writeP99Ms: quantile(latencies, 0.99),
    writeMaxMs: latencies[latencies.length - 1],
    traceIds,
  };
}

/**
 * Opens a cached store of an older schema with the current `SqliteStore`, which migrates it, timed by
 * `timeMigration`; the writer's traces are deleted again afterwards (the triggers take them out of the indexes), so the
 * store holds the same rows the builder writes, as a rebuild would.
 */
async function migrate(path: string, fromSchema: number, log: (line: string) => void): Promise<LargeStoreMigration> {
  log(`  migrating the cached store from schema ${fromSchema} to ${SQLITE_SCHEMA_VERSION}, a write every ${MIGRATION_WRITE_EVERY_MS} ms`);
  const { traceIds, ...timing } = await timeMigration(
    async () => new SqliteStore({ path }),
    async (store, seconds) => {
      const build = await store.indexBuild();
      const rows = (done: number, total: number) => `${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows`;
      return (
        `${seconds.toFixed(0)} s: schema 6's indexes ${rows(build.doneRowids, build.totalRowids)}, ` +
        `schema 10's search index ${rows(build.searchIndex.doneRowids, build.searchIndex.totalRowids)}`
      );
    },
    log,
  );
  deleteTraces(path, traceIds);
  const migration: LargeStoreMigration = { fromSchema, toSchema: SQLITE_SCHEMA_VERSION, ...timing };
  log(`  migrated in ${migration.buildSeconds.toFixed(0)} s; longest write stall meanwhile ${migration.writeMaxMs.toFixed(0)} ms`);
  return migration;
}

/**
 * The large store: the cached file when it matches, else built now (through `SqliteStore`, then checkpointed so the
 * file holds everything). The manifest is written last, so an interrupted build is never taken for a finished one.
 */
export async function largeStore(options: LargeStoreOptions = {}): Promise<LargeStore | undefined> {
  const generations = options.generations ?? LARGE_STORE_DEFAULT_GENERATIONS;
  const seed = options.seed ?? LARGE_STORE_DEFAULT_SEED;
  const folder = options.folder ?? largeStoreFolder();
  const name = `large-${generations}-s${seed}`;
  const path = join(folder, `${name}.db`);
  const manifestPath = join(folder, `${name}.json`);
  const wanted: Wanted = {
    builder: BUILDER_VERSION,
    schema: SQLITE_SCHEMA_VERSION,
    generations,
    seed,
  };
  const found = cached(path, manifestPath, wanted);
  if (found) {
    const { buildSeconds, buildCpuSeconds, migration } = found;
    return { path, generations, built: false, buildSeconds, buildCpuSeconds, bytes: statSync(path).size, migration };
  }
  if (options.build === false) return undefined;
  const older = olderCache(path, manifestPath, wanted);
  if (older) {
    const migration = await migrate(path, older.schema, options.log ?? (() => {}));
    const manifest: Manifest = { ...older, schema: SQLITE_SCHEMA_VERSION, migration };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const { buildSeconds, buildCpuSeconds } = older;
    return { path, generations, built: false, buildSeconds, buildCpuSeconds, bytes: statSync(path).size, migration };
  }

  mkdirSync(folder, { recursive: true });
  for (const file of [manifestPath, path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
  const log = options.log ?? (() => {});
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const clock = new ReplayClock();
  const store = new SqliteStore({ path, busyTimeoutMs: 5_000, clock: clock.now });
  let nextReport = 0;
  try {
    await store.ready();
    await writeTraces(store, clock.replay(storeTraces(seed, generations)), (written) => {
      if (written < nextReport) return;
      nextReport += Math.max(BATCH, Math.floor(generations / 10));
      const seconds = (performance.now() - started) / 1000;
      log(`  ${written.toLocaleString('en')} generations written, ${seconds.toFixed(0)} s, ${(written / seconds).toFixed(0)}/s`);
    });
    await writeTraces(store, probeTraces(seed));
  } finally {
    await store.close();
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const manifest: Manifest = { ...wanted, buildSeconds, buildCpuSeconds };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, generations, built: true, buildSeconds, buildCpuSeconds, bytes: statSync(path).size };
}
