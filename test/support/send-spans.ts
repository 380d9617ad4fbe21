/**
 * A separate process that sends spans to `genspan serve` with the official OTLP exporters, as an app would.
 * Usage: node dist/test/support/send-spans.js --endpoint URL --protocol json|protobuf --scenario steps|openai
 *        [--token T] [--times N] [--label TEXT] [--grpc-endpoint URL]
 * With `--grpc-endpoint` (a gRPC receiver, `http://127.0.0.1:PORT`), the same spans and log records also go there
 * with the official OTLP/gRPC trace and logs exporters.
 * Prints one JSON line: { traceId, spanCount, logCount, failures }.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Metadata } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPGrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, type ReadableLogRecord, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { CompletionGeneration, step } from '../../src/index.js';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    protocol: { type: 'string', default: 'json' },
    scenario: { type: 'string', default: 'steps' },
    token: { type: 'string' },
    times: { type: 'string', default: '1' },
    label: { type: 'string', default: 'e2e' },
    'grpc-endpoint': { type: 'string' },
  },
});
const endpoint = values.endpoint!;
const headers: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};

const spanExporter = new InMemorySpanExporter();
const logExporter = new InMemoryLogRecordExporter();
const resource = resourceFromAttributes({ 'service.name': `sender-${values.scenario}` });
const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
tracerProvider.register();
const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });

async function stepsScenario(): Promise<string> {
  return step({ name: 'e2e run', type: 'run' }, async (run) => {
    await step({ name: 'e2e llm', type: 'llm', tags: ['e2e'] }, async (current) => {
      current.generation = new CompletionGeneration({
        provider: 'openai',
        model: 'e2e-model',
        template: 'Say {what}',
        variables: { what: values.label },
        settings: { temperature: 0.5 },
        prompt: `Say ${values.label}`,
        completion: `${values.label}!`,
        tags: ['e2e'],
        inputTokenCount: 3,
        outputTokenCount: 2,
      });
    });
    await step({ name: 'not an llm call', type: 'tool' }, () => undefined);
    return run.traceId;
  });
}

/** Real `@opentelemetry/instrumentation-openai` spans and log records, from the real `openai` client against a fake API. */
async function openaiScenario(): Promise<string> {
  const fakeApi = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-e2e',
          object: 'chat.completion',
          created: 1795554714,
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: `${values.label} from the fake API` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => fakeApi.listen(0, '127.0.0.1', resolve));
  registerInstrumentations({
    instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
    tracerProvider,
    loggerProvider,
  });
  // Required after the instrumentation is registered, so require-in-the-middle patches it.
  const { default: OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${(fakeApi.address() as AddressInfo).port}/v1` });
  await client.chat.completions.create({
    model: 'gpt-4o-mini',
    temperature: 0.2,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: `Say ${values.label}` },
    ],
  });
  await new Promise<void>((resolve) => fakeApi.close(() => resolve()));
  const llmSpan = spanExporter.getFinishedSpans().find((span) => span.attributes['gen_ai.request.model'] !== undefined);
  if (!llmSpan) throw new Error('the instrumentation made no span');
  return llmSpan.spanContext().traceId;
}

function hrTimeNanos(time: [number, number]): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function anyValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value && typeof value === 'object') {
    return { kvlistValue: { values: Object.entries(value).map(([key, inner]) => ({ key, value: anyValue(inner) })) } };
  }
  return {};
}

/** OTLP/JSON for log records (this project has no official OTLP logs exporter dependency). */
function logsRequest(records: readonly ReadableLogRecord[]): string {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: `sender-${values.scenario}` } }] },
        scopeLogs: records.map((record) => ({
          scope: { name: record.instrumentationScope.name, version: record.instrumentationScope.version },
          logRecords: [
            {
              timeUnixNano: hrTimeNanos(record.hrTime),
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

type Exporter = {
  export(items: never[], done: (result: { code: ExportResultCode; error?: Error }) => void): void;
  shutdown(): Promise<void>;
};

async function exportWith<Item>(exporter: Exporter, items: Item[]): Promise<string | undefined> {
  const failure = await new Promise<string | undefined>((resolve) =>
    exporter.export(items as never[], (result) =>
      resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error?.message ?? 'failed')),
    ),
  );
  await exporter.shutdown();
  return failure;
}

async function exportSpans(spans: ReadableSpan[]): Promise<string | undefined> {
  const url = `${endpoint}/v1/traces`;
  const exporter =
    values.protocol === 'protobuf' ? new OTLPProtoTraceExporter({ url, headers }) : new OTLPJsonTraceExporter({ url, headers });
  return exportWith(exporter, spans);
}

/** The same spans and log records again, to a gRPC receiver with the official OTLP/gRPC exporters. */
async function exportOverGrpc(url: string, spans: ReadableSpan[], logs: ReadableLogRecord[]): Promise<string[]> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const failures: string[] = [];
  const spanFailure = await exportWith(new OTLPGrpcTraceExporter({ url, metadata }), spans);
  if (spanFailure) failures.push(`gRPC spans: ${spanFailure}`);
  if (logs.length > 0) {
    const logFailure = await exportWith(new OTLPGrpcLogExporter({ url, metadata }), logs);
    if (logFailure) failures.push(`gRPC logs: ${logFailure}`);
  }
  return failures;
}

async function main(): Promise<void> {
  const traceId = values.scenario === 'openai' ? await openaiScenario() : await stepsScenario();
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  const spans = spanExporter.getFinishedSpans();
  const logs = logExporter.getFinishedLogRecords();
  const failures: string[] = [];
  for (let time = 0; time < Number(values.times); time++) {
    const failure = await exportSpans(spans);
    if (failure) failures.push(failure);
  }
  if (logs.length > 0) {
    const response = await fetch(`${endpoint}/v1/logs`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: logsRequest(logs),
    });
    if (!response.ok) failures.push(`logs: HTTP ${response.status} ${await response.text()}`);
  }
  if (values['grpc-endpoint']) failures.push(...(await exportOverGrpc(values['grpc-endpoint'], spans, logs)));
  process.stdout.write(`${JSON.stringify({ traceId, spanCount: spans.length, logCount: logs.length, failures })}\n`);
  await tracerProvider.shutdown();
  await loggerProvider.shutdown();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
