import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type OpenAIClient from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatGeneration } from '../../src/generation/index.js';
import type { GenerationItem, GenerationList, TraceDetail } from '../../src/generation/rest.js';
import { recordId } from '../../src/ingest/record.js';
import { step } from '../../src/step/index.js';
import { type CliServer, startCliServer } from '../support/cli.js';
import { type FakeOpenAI, replyTo, startFakeOpenAI } from '../support/fake-openai.js';
import { captureExportBody } from '../support/otlp-bodies.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { treeLines } from '../support/step-trees.js';

/**
 * Several `genspan serve` processes on one PostgreSQL: the real `@opentelemetry/instrumentation-openai` (content only
 * in log records) against a fake OpenAI on 127.0.0.1, each call's span and each of its log records sent to a
 * different server at the same moment (all released by one barrier), plus a retried span and a repeated log record.
 * Every third call runs inside genspan `run` and `llm` steps, so its instrumented span and the `llm` step's span are
 * one call traced twice (the overlap merge), also sent to different servers at once.
 */
const spanMemory = new InMemorySpanExporter();
const logMemory = new InMemoryLogRecordExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanMemory)] });
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logMemory })] });
const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setLoggerProvider(loggerProvider);
instrumentation.enable();
// Loaded through require so the instrumentation's require hook patches it.
const OpenAI = createRequire(import.meta.url)('openai') as typeof OpenAIClient;

const SERVERS = 3;
const SENDERS = 4;
const CALLS_PER_SENDER = 12;

interface Call {
  question: string;
  traceId: string;
  /** The instrumented span's generation id: the one generation of the call. */
  id: string;
  /** Wrapped in genspan steps (`run` > `llm` > the instrumented span). */
  stepped: boolean;
  spans: ReadableSpan[];
  logs: ReadableLogRecord[];
}

let fake: FakeOpenAI;
let counter = 0;

async function chatCall(stepped: boolean): Promise<Call> {
  spanMemory.reset();
  logMemory.reset();
  const question = `What is ${++counter} + ${counter}?`;
  const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL, maxRetries: 0 });
  const tracer = tracerProvider.getTracer('scale-out-app');
  const messages = [
    { role: 'system' as const, content: 'Answer with a number.' },
    { role: 'user' as const, content: question },
  ];
  const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', temperature: 0.2, messages });
  if (stepped) {
    await step({ name: `turn ${counter}`, type: 'run', input: question, tracer }, () =>
      step({ name: 'answer', type: 'llm', tracer, tags: ['outer-layer'] }, async (llm) => {
        llm.generation = new ChatGeneration({ model: 'gpt-4o-mini', provider: 'openai', messages, tags: ['outer-layer'] });
        await ask();
      }),
    );
  } else {
    await ask();
  }
  await loggerProvider.forceFlush();
  const spans = [...spanMemory.getFinishedSpans()];
  const inner = spans.find((span) => span.instrumentationScope.name.includes('openai')) as ReadableSpan;
  const { traceId, spanId } = inner.spanContext();
  return { question, traceId, id: recordId(traceId, spanId), stepped, spans, logs: [...logMemory.getFinishedLogRecords()] };
}

function anyValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value && typeof value === 'object') {
    return { kvlistValue: { values: Object.entries(value).map(([key, inner]) => ({ key, value: anyValue(inner) })) } };
  }
  return {};
}

/** OTLP/JSON of log records as the instrumentation emitted them (no official OTLP logs exporter is a dependency). */
function logsBody(records: readonly ReadableLogRecord[]): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'scale-out-app' } }] },
        scopeLogs: records.map((record) => ({
          scope: { name: record.instrumentationScope.name, version: record.instrumentationScope.version },
          logRecords: [
            {
              timeUnixNano: (BigInt(record.hrTime[0]) * 1_000_000_000n + BigInt(record.hrTime[1])).toString(),
              eventName: record.eventName,
              traceId: record.spanContext?.traceId,
              spanId: record.spanContext?.spanId,
              body: anyValue(record.body),
              attributes: Object.entries(record.attributes).map(([key, value]) => ({ key, value: anyValue(value) })),
            },
          ],
        })),
      },
    ],
  });
}

interface Part {
  path: '/v1/traces' | '/v1/logs';
  contentType: string;
  body: Uint8Array | string;
}

/**
 * One call's requests: each span alone, its input-message log records, its choice log record, the instrumented span
 * again (a retry) and all its log records again (a duplicate), so no two parts of one generation come as one request.
 */
async function partsOf(call: Call): Promise<Part[]> {
  const span = async (one: ReadableSpan): Promise<Part> => ({
    path: '/v1/traces',
    contentType: 'application/x-protobuf',
    body: new Uint8Array(await captureExportBody([one], 'protobuf')),
  });
  const logs = (records: readonly ReadableLogRecord[]): Part => ({
    path: '/v1/logs',
    contentType: 'application/json',
    body: logsBody(records),
  });
  const parts = await Promise.all(call.spans.map(span));
  // This instrumentation names its events in the `event.name` attribute.
  const isChoice = (log: ReadableLogRecord) => log.attributes['event.name'] === 'gen_ai.choice';
  const choice = call.logs.filter(isChoice);
  expect(choice).toHaveLength(1);
  parts.push(logs(call.logs.filter((log) => !isChoice(log))), logs(choice));
  const inner = call.spans.find((one) => recordId(one.spanContext().traceId, one.spanContext().spanId) === call.id) as ReadableSpan;
  parts.push(await span(inner), logs(call.logs));
  return parts;
}

/** POSTs a part, retrying on 429/503 as an OTLP exporter would; the answer must be 200 in the end. */
async function send(server: CliServer, part: Part): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${server.url}${part.path}`, {
      method: 'POST',
      headers: { 'content-type': part.contentType },
      body: part.body,
    });
    await response.arrayBuffer();
    if (response.status === 200) return;
    if ((response.status !== 429 && response.status !== 503) || attempt >= 20) throw new Error(`${part.path}: ${response.status}`);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

let postgres: PostgresServer;
let servers: CliServer[] = [];

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  [fake, postgres] = await Promise.all([startFakeOpenAI(), startPostgres()]);
  const url = await postgres.createDatabase('scaleout');
  // One first, so the schema is created once; the others start against it together.
  servers = [await startCliServer(['--postgres', url])];
  servers.push(...(await Promise.all(Array.from({ length: SERVERS - 1 }, () => startCliServer(['--postgres', url])))));
}, 120_000);

afterAll(async () => {
  instrumentation.disable();
  for (const server of servers) expect(await server.stop('SIGTERM')).toBe(0);
  await fake?.close();
  await postgres?.destroy();
});

describe('three genspan serve on one PostgreSQL', () => {
  it('stores every generation once and complete, whichever server got its span, its logs and its other layer, at once', async () => {
    const calls: Call[][] = [];
    for (let sender = 0; sender < SENDERS; sender++) {
      const mine: Call[] = [];
      for (let index = 0; index < CALLS_PER_SENDER; index++) mine.push(await chatCall(index % 2 === 0));
      calls.push(mine);
    }
    const parts = await Promise.all(calls.map((mine) => Promise.all(mine.map(partsOf))));

    // The barrier: every sender waits for one release, then sends each call's parts together, each to another server.
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => (release = resolve));
    const senders = parts.map(async (mine, sender) => {
      await barrier;
      await Promise.all(
        mine.flatMap((callParts, index) => callParts.map((part, k) => send(servers[(sender + index + k) % SERVERS], part))),
      );
    });
    release();
    await Promise.all(senders);

    const all = calls.flat();
    const list = await getJson<GenerationList>(`${servers[0].url}/api/generations?model=gpt-4o-mini&limit=500`);
    expect(list.items.map((item) => item.id).sort()).toEqual(all.map((call) => call.id).sort());
    for (const call of all) {
      const item = await getJson<GenerationItem>(`${servers[call.traceId.charCodeAt(0) % SERVERS].url}/api/generations/${call.id}`);
      const generation = item.generation as {
        messages?: { content: unknown }[];
        messageCompletion?: { content: unknown };
        tags?: string[];
      };
      expect(generation.messages?.map((message) => message.content)).toEqual(['Answer with a number.', call.question]);
      expect(generation.messageCompletion?.content).toBe(replyTo(call.question));
      if (call.stepped) {
        expect(generation.tags).toContain('outer-layer');
        const tree = await getJson<TraceDetail>(`${servers[1].url}/api/traces/${call.traceId}`);
        const [turn] = treeLines(tree).filter((line) => line.startsWith('turn '));
        const name = turn.slice(0, turn.indexOf(':'));
        expect(treeLines(tree)).toEqual([`${name}:run<-`, `answer:llm<-${name}`, `chat gpt-4o-mini:llm<-answer`].sort());
        expect(tree.steps.find((one) => one.name === 'answer')?.generationId).toBe(call.id);
      }
    }
  }, 120_000);
});
