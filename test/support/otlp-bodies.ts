import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';

/**
 * Request bodies exactly as the official OTLP exporters send them: the exporter posts to a capturing
 * server on 127.0.0.1 and the body it sent is returned.
 */
export async function captureExportBody(spans: ReadableSpan[], protocol: 'json' | 'protobuf'): Promise<Buffer> {
  let captured: Buffer | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      captured = Buffer.concat(chunks);
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' });
      response.end(protocol === 'json' ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const exporter = protocol === 'json' ? new OTLPJsonTraceExporter({ url }) : new OTLPProtoTraceExporter({ url });
  try {
    await new Promise<void>((resolve, reject) =>
      exporter.export(spans, (result) =>
        result.code === ExportResultCode.SUCCESS ? resolve() : reject(result.error ?? new Error('export failed')),
      ),
    );
  } finally {
    await exporter.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (!captured) throw new Error('the exporter sent nothing');
  return captured;
}

/** A log record for the test-side protobuf writer below. */
export interface TestLogRecord {
  traceId?: Buffer;
  spanId?: Buffer;
  timeUnixNano: bigint;
  eventName?: string;
  body?: string;
  attributes?: Record<string, string>;
}

/** One string `KeyValue` in field `field` of the message being written (attributes are field 9 of a span, 6 of a log record). */
export function writeKeyValue(writer: protobuf.Writer, field: number, key: string, value: string): void {
  writer.uint32((field << 3) | 2).fork();
  writer.uint32((1 << 3) | 2).string(key);
  writer
    .uint32((2 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(value)
    .ldelim();
  writer.ldelim();
}

/**
 * An `ExportLogsServiceRequest` in protobuf, written field by field from the OTLP logs field map
 * (no official logs exporter is a dependency of this project).
 */
export function encodeLogsRequest(records: TestLogRecord[], serviceName = 'test-service'): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).fork(); // resource_logs
  writer.uint32((1 << 3) | 2).fork(); // resource
  writeKeyValue(writer, 1, 'service.name', serviceName);
  writer.ldelim();
  writer.uint32((2 << 3) | 2).fork(); // scope_logs
  writer
    .uint32((1 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string('test-scope')
    .ldelim();
  for (const record of records) {
    writer.uint32((2 << 3) | 2).fork(); // log_records
    writer.uint32((1 << 3) | 1).fixed64(record.timeUnixNano.toString());
    if (record.body !== undefined)
      writer
        .uint32((5 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string(record.body)
        .ldelim();
    for (const [key, value] of Object.entries(record.attributes ?? {})) writeKeyValue(writer, 6, key, value);
    if (record.traceId) writer.uint32((9 << 3) | 2).bytes(record.traceId);
    if (record.spanId) writer.uint32((10 << 3) | 2).bytes(record.spanId);
    if (record.eventName) writer.uint32((12 << 3) | 2).string(record.eventName);
    writer.ldelim();
  }
  writer.ldelim();
  writer.ldelim();
  return Buffer.from(writer.finish());
}
