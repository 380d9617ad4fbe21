import { ChatGeneration, type Generation } from '../../src/generation/index.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord, StepType, TraceThread } from '../../src/generation/step-record.js';
import type { IngestStore, StepBatch } from '../../src/ingest/contract.js';
import { recordId } from '../../src/ingest/record.js';
import { SqliteStore } from '../../src/store/sqlite.js';

/**
 * Traces of steps (and their threads) the traces' and threads' tests seed straight into a store, as ingestion would
 * have written them: a step per span, an `llm` step's generation record with the step's id.
 */

export interface StepSpec {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  type: StepType;
  /** Milliseconds after the trace's start. */
  startMs: number;
  endMs: number;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
  /** An `llm` step's generation: stored as a record with the step's id. */
  generation?: Generation;
}

export interface TraceSeed {
  traceId: string;
  serviceName: string;
  /** ISO-8601 UTC. */
  start: string;
  steps: StepSpec[];
  thread?: { id: string; name?: string | null; userId?: string | null };
}

export interface SeedBatch extends StepBatch {
  records: GenerationRecord[];
}

const at = (start: string, ms: number) => new Date(Date.parse(start) + ms).toISOString();

/** The records, steps and thread links of traces, in the shapes the stores write. */
export function traceBatch(seeds: readonly TraceSeed[]): SeedBatch {
  const batch: SeedBatch = { records: [], steps: [], threads: [] };
  for (const seed of seeds) {
    for (const spec of seed.steps) {
      const id = recordId(seed.traceId, spec.spanId);
      const startTime = at(seed.start, spec.startMs);
      const endTime = at(seed.start, spec.endMs);
      const step: StepRecord = {
        id,
        traceId: seed.traceId,
        spanId: spec.spanId,
        parentId: spec.parentSpanId === null ? null : recordId(seed.traceId, spec.parentSpanId),
        parentSpanId: spec.parentSpanId,
        name: spec.name,
        type: spec.type,
        input: spec.input ?? null,
        output: spec.output ?? null,
        startTime,
        endTime,
        error: spec.error ?? null,
        tags: spec.tags ?? [],
        metadata: spec.metadata ?? {},
        generationId: spec.generation ? id : null,
        serviceName: seed.serviceName,
      };
      batch.steps.push(step);
      if (spec.generation) {
        batch.records.push({
          id,
          traceId: seed.traceId,
          spanId: spec.spanId,
          parentSpanId: spec.parentSpanId,
          serviceName: seed.serviceName,
          scope: { name: 'genspan', version: null },
          source: 'genspan',
          startTime,
          endTime,
          status: { code: spec.error ? 2 : 0, message: spec.error ?? null },
          cost: null,
          warnings: [],
          generation: spec.generation.toJSON() as Record<string, unknown>,
        });
      }
    }
    if (seed.thread) {
      const thread: TraceThread = {
        traceId: seed.traceId,
        threadId: seed.thread.id,
        threadName: seed.thread.name ?? null,
        userId: seed.thread.userId ?? null,
      };
      batch.threads.push(thread);
    }
  }
  return batch;
}

/** Writes the traces into a store, in one batch as ingestion writes a request's spans. */
export async function seedTraces(store: IngestStore, seeds: readonly TraceSeed[]): Promise<SeedBatch> {
  const batch = traceBatch(seeds);
  await store.writeWithSpans(batch.records, new Map(), { steps: batch.steps, threads: batch.threads });
  return batch;
}

/** Writes the traces into a SQLite file (created when new) and closes it, for a server started on it afterwards. */
export async function seedTraceFile(path: string, seeds: readonly TraceSeed[]): Promise<SeedBatch> {
  const store = new SqliteStore({ path });
  try {
    return await seedTraces(store, seeds);
  } finally {
    await store.close();
  }
}

/** A chat an `llm` step made. */
export function stepChat(question: string, answer: string, model = 'gpt-4o-mini'): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model,
    messages: [
      { role: 'system', content: 'You are a support assistant.' },
      { role: 'user', content: question },
    ],
    messageCompletion: { role: 'assistant', content: answer },
    inputTokenCount: 20,
    outputTokenCount: 8,
    tokenCount: 28,
  });
}

/** A document pasted into a step's input: far longer than the page shows unfolded. */
export const LONG_INPUT = JSON.stringify({
  document: 'The committee reviewed the quarterly figures line by line. '.repeat(200),
  pages: 12,
});

export const LONG_NAME = `summarise-${'very-long-step-name-'.repeat(20)}end`;
export const MARKUP_NAME = '<img src=x onerror="window.__xss = 3">';

/** Tool calls before the last step of the batch trace: more than the tree's box shows at once beside a generation. */
export const BATCH_TOOL_CALLS = 60;

/** Hex ids from a short label, so each seed's ids are fixed and readable in failures. */
export function hexId(label: string, length: 16 | 32): string {
  const hex = Buffer.from(label).toString('hex');
  return hex.padEnd(length, '0').slice(0, length);
}

export const SUPPORT_THREAD = 'thread-support-1';
/** A thread without a given name, whose first input is a long document. */
export const DOCS_THREAD = 'thread-docs';
export const FIRST_QUESTION = 'Where is my order 1234?';
export const SECOND_QUESTION = 'Can I change the delivery address?';

/**
 * Two turns of a support conversation (one thread, a user; the second fails in a tool call), a trace of a long
 * pasted document with a long step name and markup, alone in an unnamed thread, and an older batch trace of many
 * tool calls before its `llm` step, and the trace of a lone LLM call, both in no thread.
 */
export function supportTraces(): TraceSeed[] {
  const turn1 = hexId('turn-one', 32);
  const turn2 = hexId('turn-two', 32);
  const long = hexId('long-doc', 32);
  return [
    {
      traceId: turn1,
      serviceName: 'support-bot',
      start: '2026-05-01T10:00:00.000Z',
      thread: { id: SUPPORT_THREAD, userId: 'user-42' },
      steps: [
        {
          spanId: hexId('t1-run', 16),
          parentSpanId: null,
          name: 'answer-question',
          type: 'run',
          startMs: 0,
          endMs: 2400,
          input: FIRST_QUESTION,
          output: 'Order 1234 ships tomorrow.',
          tags: ['support'],
        },
        {
          spanId: hexId('t1-search', 16),
          parentSpanId: hexId('t1-run', 16),
          name: 'search-orders',
          type: 'retrieval',
          startMs: 100,
          endMs: 600,
          input: '{"query":"order 1234","limit":3}',
          output: '[{"order":1234,"status":"packed"}]',
          metadata: { index: 'orders' },
        },
        {
          spanId: hexId('t1-llm', 16),
          parentSpanId: hexId('t1-run', 16),
          name: 'chat gpt-4o-mini',
          type: 'llm',
          startMs: 650,
          endMs: 2300,
          input: FIRST_QUESTION,
          output: 'Order 1234 ships tomorrow.',
          generation: stepChat(FIRST_QUESTION, 'Order 1234 ships tomorrow.'),
        },
      ],
    },
    {
      traceId: turn2,
      serviceName: 'support-bot',
      start: '2026-05-01T10:05:00.000Z',
      thread: { id: SUPPORT_THREAD, userId: 'user-42' },
      steps: [
        {
          spanId: hexId('t2-run', 16),
          parentSpanId: null,
          name: 'answer-question',
          type: 'run',
          startMs: 0,
          endMs: 1800,
          input: SECOND_QUESTION,
          output: 'I could not change it: the address service is down.',
          error: 'Address service unavailable',
        },
        {
          spanId: hexId('t2-llm', 16),
          parentSpanId: hexId('t2-run', 16),
          name: 'chat gpt-4o-mini',
          type: 'llm',
          startMs: 50,
          endMs: 900,
          input: SECOND_QUESTION,
          output: 'Calling update_address.',
          generation: stepChat(SECOND_QUESTION, 'Calling update_address.'),
        },
        {
          spanId: hexId('t2-tool', 16),
          parentSpanId: hexId('t2-run', 16),
          name: 'update_address',
          type: 'tool',
          startMs: 950,
          endMs: 1700,
          input: '{"order":1234,"address":"1 Rue de Rivoli"}',
          output: null,
          error: 'Address service unavailable',
        },
      ],
    },
    {
      traceId: long,
      serviceName: 'docs-app',
      start: '2026-05-01T11:00:00.000Z',
      thread: { id: DOCS_THREAD },
      steps: [
        {
          spanId: hexId('long-run', 16),
          parentSpanId: null,
          name: LONG_NAME,
          type: 'run',
          startMs: 0,
          endMs: 5000,
          input: LONG_INPUT,
          output: 'A one-line summary.',
        },
        {
          spanId: hexId('long-xss', 16),
          parentSpanId: hexId('long-run', 16),
          name: MARKUP_NAME,
          type: 'tool',
          startMs: 10,
          endMs: 20,
          input: MARKUP_NAME,
          output: '<script>window.__xss = 4</script>',
        },
        {
          spanId: hexId('long-llm', 16),
          parentSpanId: hexId('long-run', 16),
          name: 'summarise with gpt-4o',
          type: 'llm',
          startMs: 100,
          endMs: 4900,
          input: LONG_INPUT,
          output: 'A one-line summary.',
          generation: stepChat('Summarise the document.', 'A one-line summary.', 'gpt-4o'),
        },
      ],
    },
    {
      traceId: hexId('lone', 32),
      serviceName: 'batch-app',
      start: '2026-03-01T08:00:00.000Z',
      steps: [
        {
          spanId: hexId('lone-llm', 16),
          parentSpanId: null,
          name: 'chat gpt-4o-mini',
          type: 'llm',
          startMs: 0,
          endMs: 700,
          generation: stepChat('Just one call.', 'Just one answer.'),
        },
      ],
    },
    {
      traceId: hexId('batch', 32),
      serviceName: 'batch-app',
      start: '2026-04-01T08:00:00.000Z',
      steps: [
        { spanId: hexId('b-run', 16), parentSpanId: null, name: 'batch-run', type: 'run', startMs: 0, endMs: 10_000 },
        ...Array.from(
          { length: BATCH_TOOL_CALLS },
          (_, index): StepSpec => ({
            spanId: hexId(`bt${index}`, 16),
            parentSpanId: hexId('b-run', 16),
            name: `fetch-page-${index}`,
            type: 'tool',
            startMs: index * 100,
            endMs: index * 100 + 90,
          }),
        ),
        {
          spanId: hexId('b-llm', 16),
          parentSpanId: hexId('b-run', 16),
          name: 'summarise the pages',
          type: 'llm',
          startMs: 9000,
          endMs: 9900,
          generation: stepChat('Summarise the pages.', 'They agree.'),
        },
      ],
    },
  ];
}
