import { once } from 'node:events';
import { connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CompletionGeneration } from '../../src/generation/index.js';
import { RETRY_INFO_TYPE_URL } from '../../src/otlp/index.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { GRPC_METHODS } from '../../src/server/grpc.js';
import { type ServerOptions, startServer } from '../../src/server/server.js';
import { StoreClosedError, StoreUnavailableError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type CliServer, startCliServer } from '../support/cli.js';
import { encodeLogsRequest } from '../support/otlp-bodies.js';
import { tempDir } from '../support/playground-seeds.js';
import { makeSpans } from '../support/sdk-spans.js';
import { generationsOfTrace, sendSpans } from '../support/sender.js';

const dir = tempDir('genspan-grpc-');
afterAll(() => dir.remove());

let servers = 0;

/** `startServer` over a fresh SQLite file, with the gRPC receiver on a free port of 127.0.0.1. */
async function grpcServer(options: Partial<ServerOptions> = {}) {
  const store = new SqliteStore({ path: dir.file(`grpc-${++servers}.db`) });
  const lines: string[] = [];
  const server = await startServer({ store, port: 0, grpcPort: 0, logDestination: { write: (line) => lines.push(line) }, ...options });
  return {
    server,
    store,
    lines,
    address: `127.0.0.1:${server.grpcPort}`,
    url: `http://127.0.0.1:${server.grpcPort}`,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** LLM step spans of real SDK spans, each carrying `promptChars` of prompt. */
async function llmSpans(count: number, promptChars = 40): Promise<ReadableSpan[]> {
  const specs = Array.from({ length: count }, (_, index) => {
    const encoded = encodeGeneration(
      new CompletionGeneration({
        provider: 'openai',
        model: 'grpc-model',
        prompt: `${index} ${'p'.repeat(promptChars)}`,
        completion: 'ok',
      }),
      { captureContent: true },
    );
    return { name: encoded.name, kind: SpanKind.CLIENT, attributes: encoded.attributes };
  });
  return makeSpans(specs, 'grpc-app');
}

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

/** Exports with the official OTLP/gRPC trace exporter; resolves with its error (a gRPC ServiceError), if any. */
async function exportSpans(url: string, spans: ReadableSpan[], config: Partial<ExporterConfig> = {}): Promise<ServiceError | undefined> {
  const exporter = new OTLPTraceExporter({ url, ...config });
  try {
    return await new Promise((resolve) =>
      exporter.export(spans, (result) => resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error as ServiceError))),
    );
  } finally {
    await exporter.shutdown();
  }
}

function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** A unary call with raw bytes on a plain gRPC client, for what the exporters never send. */
function rawCall(
  address: string,
  path: string,
  message: Buffer,
  channelOptions: Record<string, string | number> = {},
): Promise<{ response?: Buffer; error?: ServiceError }> {
  const client = new Client(address, credentials.createInsecure(), channelOptions);
  const identity = (bytes: Buffer) => bytes;
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, message, new Metadata(), (error, response) => {
      client.close();
      resolve({ response, error: error ?? undefined });
    });
  });
}

/** The `google.rpc.RetryInfo` delay (seconds) in an error's `grpc-status-details-bin`, or undefined without one. */
function retryDelaySeconds(error: ServiceError): number | undefined {
  const [details] = error.metadata.get('grpc-status-details-bin');
  if (!Buffer.isBuffer(details)) return undefined;
  const fields = (bytes: Uint8Array) => {
    const reader = protobuf.Reader.create(bytes);
    const found = new Map<number, Uint8Array | number>();
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if ((tag & 7) === 2) found.set(tag >>> 3, reader.bytes());
      else if ((tag & 7) === 0) found.set(tag >>> 3, Number(reader.int64()));
      else reader.skipType(tag & 7);
    }
    return found;
  };
  const status = fields(details);
  const any = status.get(3);
  if (!(any instanceof Uint8Array)) return undefined;
  const anyFields = fields(any);
  expect(Buffer.from(anyFields.get(1) as Uint8Array).toString()).toBe(RETRY_INFO_TYPE_URL);
  const duration = fields(fields(anyFields.get(2) as Uint8Array).get(1) as Uint8Array);
  return duration.get(1) as number;
}

async function storedCount(store: SqliteStore): Promise<number> {
  return (await store.list({ limit: 1000 })).items.length;
}

describe('OTLP/gRPC receiver (real exporters against 127.0.0.1)', () => {
  describe('against genspan serve processes', () => {
    let http: CliServer;
    let grpc: CliServer;
    afterAll(async () => {
      await http?.stop();
      await grpc?.stop();
    });

    it('stores spans and log records sent with the official OTLP/gRPC exporters as the same ones sent over OTLP/HTTP', async () => {
      http = await startCliServer(['--db', dir.file('over-http.db')]);
      grpc = await startCliServer(['--db', dir.file('over-grpc.db')]);
      expect(grpc.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The real OpenAI instrumentation's spans and log records: the content is in the logs, so both must arrive.
      const sent = await sendSpans({
        endpoint: http.url,
        protocol: 'protobuf',
        scenario: 'openai',
        label: 'grpc',
        grpcEndpoint: grpc.grpcUrl,
      });
      expect(sent.failures).toEqual([]);
      expect(sent.logCount).toBeGreaterThan(0);
      const overHttp = await generationsOfTrace(http.url, sent.traceId);
      const overGrpc = await generationsOfTrace(grpc.url, sent.traceId);
      expect(overHttp).toHaveLength(1);
      expect(JSON.stringify(overHttp[0].generation)).toContain('grpc from the fake API');
      expect(overGrpc).toEqual(overHttp);
    });

    it('closes the gRPC receiver on shutdown', async () => {
      const server = await startCliServer(['--db', dir.file('shutdown.db')]);
      const url = server.grpcUrl as string;
      expect(await exportSpans(url, await llmSpans(1))).toBeUndefined();
      expect(await server.stop()).toBe(0);
      const after = await exportSpans(url, await llmSpans(1), { timeoutMillis: 2_000 });
      expect(after?.code).toBe(status.UNAVAILABLE);
    });
  });

  it('takes a gzip-compressed export, and refuses one that inflates past the message limit (RESOURCE_EXHAUSTED)', async () => {
    const running = await grpcServer({ maxBodyBytes: 64 * 1024 });
    try {
      expect(await exportSpans(running.url, await llmSpans(3), { compression: 'gzip' as ExporterConfig['compression'] })).toBeUndefined();
      expect(await storedCount(running.store)).toBe(3);
      // Under the limit on the wire, four times over it once inflated.
      const inflating = encodeLogsRequest([{ timeUnixNano: 1n, body: 'a'.repeat(256 * 1024) }]);
      expect(gzipSync(inflating).length).toBeLessThan(64 * 1024);
      const { error } = await rawCall(running.address, GRPC_METHODS.logs, inflating, { 'grpc.default_compression_algorithm': 2 });
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/decompresses to a size larger than 65536/);
    } finally {
      await running.close();
    }
  });

  it('refuses a message over the body limit with RESOURCE_EXHAUSTED and no retry info', async () => {
    const running = await grpcServer({ maxBodyBytes: 64 * 1024 });
    try {
      const error = await exportSpans(running.url, await llmSpans(2, 80 * 1024));
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error && retryDelaySeconds(error)).toBeUndefined();
      expect(await storedCount(running.store)).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('refuses a request over --max-items with RESOURCE_EXHAUSTED and no retry info (the specification: not retryable)', async () => {
    const running = await grpcServer({ maxItems: 10 });
    try {
      const error = await exportSpans(running.url, await llmSpans(20));
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/more than 10 spans, events, log records and attribute values \(--max-items\)/);
      expect(error && retryDelaySeconds(error)).toBeUndefined();
      expect(await storedCount(running.store)).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('requires the token as authorization metadata: UNAUTHENTICATED without it or with a wrong one', async () => {
    const running = await grpcServer({ token: 'grpc-secret' });
    try {
      expect((await exportSpans(running.url, await llmSpans(1)))?.code).toBe(status.UNAUTHENTICATED);
      expect((await exportSpans(running.url, await llmSpans(1), { metadata: bearer('wrong') }))?.code).toBe(status.UNAUTHENTICATED);
      expect((await rawCall(running.address, GRPC_METHODS.logs, Buffer.alloc(0))).error?.code).toBe(status.UNAUTHENTICATED);
      expect(await storedCount(running.store)).toBe(0);
      expect(await exportSpans(running.url, await llmSpans(2), { metadata: bearer('grpc-secret') })).toBeUndefined();
      expect(await storedCount(running.store)).toBe(2);
    } finally {
      await running.close();
    }
  });

  it('refuses a call addressed to another host than loopback when there is no token (PERMISSION_DENIED)', async () => {
    const running = await grpcServer();
    try {
      const { error } = await rawCall(running.address, GRPC_METHODS.traces, Buffer.alloc(0), {
        'grpc.default_authority': 'rebound.example:4317',
      });
      expect(error?.code).toBe(status.PERMISSION_DENIED);
      expect(error?.details).toMatch(/loopback address, not rebound\.example/);
      expect((await rawCall(running.address, GRPC_METHODS.traces, Buffer.alloc(0))).error).toBeUndefined();
    } finally {
      await running.close();
    }
  });

  it('answers a malformed message with INVALID_ARGUMENT, and rejected spans as a partial success', async () => {
    const running = await grpcServer();
    try {
      const malformed = await rawCall(running.address, GRPC_METHODS.traces, Buffer.from([0x0a, 0xff, 0x01, 0x02]));
      expect(malformed.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(malformed.error?.details).toMatch(/^invalid OTLP traces request: /);

      const writer = protobuf.Writer.create();
      writer.uint32((1 << 3) | 2).fork(); // resource_spans
      writer.uint32((2 << 3) | 2).fork(); // scope_spans
      for (const traceId of [Buffer.alloc(16), Buffer.alloc(16, 1)]) {
        writer.uint32((2 << 3) | 2).fork(); // spans
        writer.uint32((1 << 3) | 2).bytes(traceId);
        writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2));
        writer.uint32((5 << 3) | 2).string('a span');
        writer.ldelim();
      }
      writer.ldelim().ldelim();
      const partial = await rawCall(running.address, GRPC_METHODS.traces, Buffer.from(writer.finish()));
      expect(partial.error).toBeUndefined();
      const expected = protobuf.Writer.create();
      expected.uint32((1 << 3) | 2).fork();
      expected.uint32((1 << 3) | 0).int64(1);
      expected.uint32((2 << 3) | 2).string('1 span(s) with an all-zero trace or span id were rejected');
      expected.ldelim();
      expect(partial.response).toEqual(Buffer.from(expected.finish()));
    } finally {
      await running.close();
    }
  });

  it('answers a store that cannot write for now with UNAVAILABLE and retry info, a lasting failure with INTERNAL', async () => {
    const running = await grpcServer();
    try {
      running.store.writeWithSpans = async () => {
        throw new StoreUnavailableError('disk full');
      };
      const unavailable = await exportSpans(running.url, await llmSpans(1));
      expect(unavailable?.code).toBe(status.UNAVAILABLE);
      expect(unavailable?.details).toBe('the store cannot write right now: disk full');
      expect(unavailable && retryDelaySeconds(unavailable)).toBe(5);

      running.store.writeWithSpans = async () => {
        throw new StoreClosedError('SqliteStore test');
      };
      const closed = await exportSpans(running.url, await llmSpans(1));
      expect(closed?.code).toBe(status.INTERNAL);
      expect(closed && retryDelaySeconds(closed)).toBeUndefined();
      expect(
        running.lines.filter((line) => / WARN {2}\[grpc-\d+\] gRPC \S+TraceService\/Export: the store cannot write right now/.test(line)),
      ).toHaveLength(1);
    } finally {
      await running.close();
    }
  });

  it('shares admission with HTTP: a call over it gets RESOURCE_EXHAUSTED with retry info; shutdown waits for one in flight', async () => {
    const running = await grpcServer({ maxInFlightRequests: 1, admissionWaitMs: 0 });
    const write = running.store.writeWithSpans.bind(running.store);
    let entered!: () => void;
    const writing = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    running.store.writeWithSpans = async (...args) => {
      entered();
      await gate;
      return write(...args);
    };
    try {
      const first = exportSpans(running.url, await llmSpans(1));
      await writing;
      const busy = await exportSpans(running.url, await llmSpans(1));
      expect(busy?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(busy?.details).toMatch(/busy/);
      expect(busy && retryDelaySeconds(busy)).toBe(1);
      const overHttp = await fetch(`${running.server.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(overHttp.status).toBe(429);

      const closing = running.server.close();
      release();
      expect(await first).toBeUndefined();
      await closing;
      expect(await storedCount(running.store)).toBe(1);
    } finally {
      await running.close();
    }
  });

  it('ends a call whose message stalls past --body-timeout with DEADLINE_EXCEEDED, so it cannot hold the shutdown', async () => {
    const running = await grpcServer({ bodyTimeoutMs: 300 });
    const session = connect(running.url);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': GRPC_METHODS.traces,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      // A message header announcing 1,000 bytes, then only 10 of them, and the stream left open.
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(1000, 1);
      stream.write(Buffer.concat([prefix, Buffer.alloc(10)]));
      const [headers] = (await once(stream, 'response')) as [Record<string, string>];
      expect(headers['grpc-status']).toBe(String(status.DEADLINE_EXCEEDED));
      expect(decodeURIComponent(headers['grpc-message'])).toMatch(/did not arrive within 300 ms \(--body-timeout\)/);
      await running.server.close();
    } finally {
      session.destroy();
      await running.close();
    }
  });

  it('logs each gRPC call as the HTTP requests are logged: answered at debug, refused at info with why at debug', async () => {
    const running = await grpcServer({ logLevel: 'debug', token: 'log-token' });
    try {
      expect(await exportSpans(running.url, await llmSpans(1), { metadata: bearer('log-token') })).toBeUndefined();
      expect((await exportSpans(running.url, await llmSpans(1)))?.code).toBe(status.UNAUTHENTICATED);
      const grpcLines = running.lines.filter((line) => line.includes('gRPC /opentelemetry.proto.collector.trace.v1.TraceService/Export'));
      expect(grpcLines).toEqual([
        expect.stringMatching(/ DEBUG \[grpc-1\] gRPC \S+ OK in \d+\.\d ms\n$/),
        expect.stringMatching(/ DEBUG \[grpc-2\] gRPC \S+ refused: missing or wrong token/),
        expect.stringMatching(/ INFO {2}\[grpc-2\] gRPC \S+ UNAUTHENTICATED in \d+\.\d ms\n$/),
      ]);
    } finally {
      await running.close();
    }
  });
});
