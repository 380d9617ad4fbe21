import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { shippedPriceTable } from '../../src/generation/prices.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { ChatGenerationData, CompletionGenerationData } from '../../src/generation/schema.js';
import type { StepRecord, StepType, TraceThread } from '../../src/generation/step-record.js';
import { recordId, toGenerationRecord } from '../../src/ingest/record.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationSource } from '../../src/translate/types.js';

/** 2026-01-01T00:00:00.000Z */
export const T0_MS = Date.UTC(2026, 0, 1);

export function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function spanIdOf(n: number): string {
  return (0xa000_0000 + n).toString(16).padStart(16, '0');
}

export interface SpanOptions {
  trace?: number;
  span: number;
  /** Start, in ms after T0. */
  atMs?: number;
  service?: string | null;
  statusCode?: number;
  attributes?: Record<string, unknown>;
}

export function normalizedSpan(options: SpanOptions): NormalizedSpan {
  const startNs = BigInt(T0_MS + (options.atMs ?? options.span * 1000)) * 1_000_000n + 123_456n;
  return {
    traceId: traceIdOf(options.trace ?? options.span),
    spanId: spanIdOf(options.span),
    parentSpanId: spanIdOf(options.span + 100_000),
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: startNs,
    endTimeUnixNano: startNs + 1_500_000_000n,
    attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12, ...options.attributes },
    events: [{ name: 'gen_ai.content.prompt', timeUnixNano: startNs + 5n, attributes: { 'gen_ai.prompt': 'hi' } }],
    status: { code: options.statusCode ?? 0 },
    resource: options.service === null ? {} : { 'service.name': options.service ?? 'checkout' },
    scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
  };
}

export function chatData(overrides: Partial<ChatGenerationData> = {}): ChatGenerationData {
  return {
    type: 'CHAT',
    provider: 'openai',
    model: 'gpt-4o',
    settings: { temperature: 0 },
    variables: {},
    tags: [],
    metadata: {},
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello' },
    ],
    messageCompletion: { role: 'assistant', content: 'Hello!' },
    inputTokenCount: 12,
    outputTokenCount: 3,
    ...overrides,
  };
}

export function completionData(overrides: Partial<CompletionGenerationData> = {}): CompletionGenerationData {
  return {
    type: 'COMPLETION',
    provider: 'openai',
    model: 'gpt-3.5-turbo-instruct',
    settings: {},
    variables: {},
    tags: [],
    metadata: {},
    prompt: 'Once upon a time',
    completion: 'there was a span.',
    ...overrides,
  };
}

export interface RecordOptions extends SpanOptions {
  generation?: ChatGenerationData | CompletionGenerationData;
  source?: TranslationSource;
  warnings?: string[];
}

/** The prices records are built with, as ingestion builds them. */
export const FIXTURE_PRICES = shippedPriceTable();

export function makeRecord(options: RecordOptions): GenerationRecord {
  return toGenerationRecord(
    normalizedSpan(options),
    {
      generation: options.generation ?? chatData(),
      source: options.source ?? 'genai',
      warnings: options.warnings ?? [],
    },
    FIXTURE_PRICES,
  );
}

/** `count` plain chat records on distinct spans, starting at span number `first`. */
export function manyRecords(count: number, first = 1, atMs?: (index: number) => number): GenerationRecord[] {
  return Array.from({ length: count }, (_, index) =>
    makeRecord({ span: first + index, atMs: atMs ? atMs(index) : index * 10, generation: chatData({ tags: [`batch-${index % 3}`] }) }),
  );
}

export function logRecord(options: { trace?: number; span?: number; atNs: bigint; text: string }): NormalizedLogRecord {
  return {
    traceId: options.span === undefined ? undefined : traceIdOf(options.trace ?? options.span),
    spanId: options.span === undefined ? undefined : spanIdOf(options.span),
    timeUnixNano: options.atNs,
    eventName: 'gen_ai.user.message',
    body: { content: options.text, nested: { parts: [1, 2] } },
    attributes: { 'gen_ai.system': 'openai' },
    resource: { 'service.name': 'checkout' },
    scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
  };
}

/** `count` records (as `manyRecords`) whose durations (0.5 to 5 s) and token counts (10 to 450) vary; every 4th has neither. */
export function measuredRecords(count: number): GenerationRecord[] {
  return manyRecords(count).map((record, index) => {
    const measured = index % 4 !== 3;
    record.generation = {
      ...record.generation,
      duration: measured ? 0.5 + (index % 10) / 2 : null,
      tokenCount: measured ? 10 * (1 + (index % 45)) : null,
    };
    return record;
  });
}

/** The order `list` must return: newest start first, then id descending. */
export function newestFirst(records: readonly GenerationRecord[]): GenerationRecord[] {
  return [...records].sort((a, b) => {
    const byTime = Date.parse(b.startTime) - Date.parse(a.startTime);
    if (byTime !== 0) return byTime;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

export interface StepOptions {
  trace: number;
  span: number;
  /** The parent's span number; none for a root. */
  parent?: number;
  /** Start, in ms after T0. */
  atMs: number;
  durationMs?: number;
  type?: StepType;
  name?: string;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  /** The generation record's id; an `llm` step's own by default. */
  generationId?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
  service?: string | null;
}

/** A step as the ingest builds it: ids derived from its span and its parent's. */
export function makeStep(options: StepOptions): StepRecord {
  const traceId = traceIdOf(options.trace);
  const spanId = spanIdOf(options.span);
  const parentSpanId = options.parent === undefined ? null : spanIdOf(options.parent);
  const type = options.type ?? 'run';
  return {
    id: recordId(traceId, spanId),
    traceId,
    spanId,
    parentId: parentSpanId === null ? null : recordId(traceId, parentSpanId),
    parentSpanId,
    name: options.name ?? `step ${options.span}`,
    type,
    input: options.input ?? null,
    output: options.output ?? null,
    startTime: new Date(T0_MS + options.atMs).toISOString(),
    endTime: new Date(T0_MS + options.atMs + (options.durationMs ?? 100)).toISOString(),
    error: options.error ?? null,
    tags: options.tags ?? [],
    metadata: options.metadata ?? {},
    generationId: options.generationId === undefined ? (type === 'llm' ? recordId(traceId, spanId) : null) : options.generationId,
    serviceName: options.service === undefined ? 'checkout' : options.service,
  };
}

export function traceThread(trace: number, threadId: string, threadName: string | null = null, userId: string | null = null): TraceThread {
  return { traceId: traceIdOf(trace), threadId, threadName, userId };
}

/**
 * A WAL database's WAL-index header, read from its `-shm` file: `mxFrame`, the frames the WAL holds (it drops only when
 * a writer restarts the WAL), and `nBackfill`, those copied into the database file so far
 * (https://www.sqlite.org/walformat.html, section 2.1: native byte order).
 */
export function walIndex(path: string): { frames: number; backfilled: number } {
  const header = readFileSync(`${path}-shm`).subarray(0, 136);
  const read = (offset: number) => (endianness() === 'LE' ? header.readUInt32LE(offset) : header.readUInt32BE(offset));
  return { frames: read(16), backfilled: read(96) };
}
