import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs/minimal.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeLogsRequest,
  decodeTraceRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpDecodeError,
  OtlpLimitError,
} from '../../src/otlp/index.js';
import { normalizeReadableSpan } from '../../src/translate/normalize.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import { captureExportBody, encodeLogsRequest, writeKeyValue } from '../support/otlp-bodies.js';
import { makeSpans } from '../support/sdk-spans.js';

const PRECISE_START: [number, number] = [1795554714, 162123457];
const PRECISE_END: [number, number] = [1795554715, 999999999];

let spans: ReadableSpan[];
let jsonBody: Buffer;
let protoBody: Buffer;

beforeAll(async () => {
  spans = await makeSpans([
    {
      name: 'chat gpt-4o',
      kind: SpanKind.CLIENT,
      startTime: PRECISE_START,
      endTime: PRECISE_END,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.25,
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.request.stream': false,
        'gen_ai.request.stop_sequences': ['\n\n', 'END'],
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'héllo ✓ '.repeat(300) }] }]),
        'big.negative': -42,
        counts: [1, 2, 3],
        flags: [true, false],
      },
      error: 'rate limited',
      event: { name: 'exception', attributes: { 'exception.message': 'boom' } },
      child: { name: 'tool call', startTime: PRECISE_START, endTime: PRECISE_END, attributes: { 'tool.name': 'search' } },
    },
  ]);
  jsonBody = await captureExportBody(spans, 'json');
  protoBody = await captureExportBody(spans, 'protobuf');
});

/** What the decoder must produce: the translator's own normalization of the same SDK span. */
function expected(span: ReadableSpan): NormalizedSpan {
  const normalized = normalizeReadableSpan(span);
  return { ...normalized, status: { code: normalized.status.code, message: normalized.status.message || undefined } };
}

describe('decodeTraceRequest on bodies from the official exporters', () => {
  it.each(['json', 'protobuf'] as const)('decodes %s into the same NormalizedSpan the SDK span normalizes to', (encoding) => {
    const decoded = decodeTraceRequest(encoding === 'json' ? jsonBody : protoBody, encoding);
    expect(decoded.rejected).toBe(0);
    expect(decoded.spans).toHaveLength(2);
    const byId = new Map(decoded.spans.map((span) => [span.spanId, span]));
    for (const span of spans) {
      expect(byId.get(span.spanContext().spanId)).toEqual(expected(span));
    }
  });

  it.each(['json', 'protobuf'] as const)('keeps 64-bit nanosecond timestamps exact (%s)', (encoding) => {
    const decoded = decodeTraceRequest(encoding === 'json' ? jsonBody : protoBody, encoding);
    const parent = decoded.spans.find((span) => span.name === 'chat gpt-4o')!;
    expect(parent.startTimeUnixNano).toBe(1795554714162123457n);
    expect(parent.endTimeUnixNano).toBe(1795554715999999999n);
    expect(parent.events[0].timeUnixNano).toBe(1795554714162123457n);
    const child = decoded.spans.find((span) => span.name === 'tool call')!;
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(parent.parentSpanId).toBeUndefined();
  });

  it('decodes both encodings of one request to equal spans', () => {
    expect(decodeTraceRequest(protoBody, 'protobuf')).toEqual(decodeTraceRequest(jsonBody, 'json'));
  });
});

const TRACE_ID = '5B8EFFF798038103D269B633813FC60C';
const SPAN_ID = 'EEE19B7EC3C1B174';

function jsonRequest(span: Record<string, unknown>): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'scope', version: '2' }, spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'x', ...span }] }],
      },
    ],
  });
}

describe('OTLP/JSON specifics', () => {
  it('reads hex ids case-insensitively and writes them lowercase', () => {
    const [span] = decodeTraceRequest(Buffer.from(jsonRequest({})), 'json').spans;
    expect(span.traceId).toBe(TRACE_ID.toLowerCase());
    expect(span.spanId).toBe(SPAN_ID.toLowerCase());
    expect(span.resource).toEqual({ 'service.name': 'svc' });
    expect(span.scope).toEqual({ name: 'scope', version: '2' });
  });

  it('accepts int64 as a string or a number, and enums as integers', () => {
    const body = jsonRequest({
      kind: 3,
      startTimeUnixNano: '1795554714162123457',
      endTimeUnixNano: 1795554714,
      status: { code: 2, message: 'bad' },
      attributes: [
        { key: 'as_string', value: { intValue: '9007199254740993' } },
        { key: 'as_number', value: { intValue: 7 } },
        { key: 'small_string', value: { intValue: '-12' } },
        { key: 'double', value: { doubleValue: 0.5 } },
        { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]).toString('base64') } },
        { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, {}] } } },
        { key: 'map', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: true } }] } } },
        { key: 'empty', value: {} },
      ],
      unknownField: { ignored: true },
    });
    const [span] = decodeTraceRequest(Buffer.from(body), 'json').spans;
    expect(span.kind).toBe(3);
    expect(span.startTimeUnixNano).toBe(1795554714162123457n);
    expect(span.endTimeUnixNano).toBe(1795554714n);
    expect(span.status).toEqual({ code: 2, message: 'bad' });
    expect(span.attributes).toEqual({
      as_string: '9007199254740993',
      as_number: 7,
      small_string: -12,
      double: 0.5,
      bytes: new Uint8Array([1, 2, 3]),
      list: ['a', 1, null],
      map: { inner: true },
    });
  });

  it('rejects enum names, which OTLP/JSON forbids', () => {
    expect(() => decodeTraceRequest(Buffer.from(jsonRequest({ kind: 'SPAN_KIND_CLIENT' })), 'json')).toThrow(/kind must be an integer/);
  });

  it('says where invalid JSON breaks', () => {
    expect(() => decodeTraceRequest(Buffer.from('{"resourceSpans": [}'), 'json')).toThrow(/^invalid JSON: /);
  });

  it('names the span and field of a wrong id length', () => {
    expect(() => decodeTraceRequest(Buffer.from(jsonRequest({ traceId: 'abcd' })), 'json')).toThrow(
      'at resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes, got 2',
    );
    expect(() => decodeTraceRequest(Buffer.from(jsonRequest({ spanId: '00112233445566778899' })), 'json')).toThrow(
      /spanId must be 8 bytes, got 10/,
    );
    expect(() => decodeTraceRequest(Buffer.from(jsonRequest({ traceId: 'zz'.repeat(16) })), 'json')).toThrow(
      /traceId must be a hex string/,
    );
  });

  it('names a logs payload posted as traces', () => {
    const logs = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' } }] }] }] });
    expect(() => decodeTraceRequest(Buffer.from(logs), 'json')).toThrow(/OTLP logs request.*\/v1\/logs/);
  });

  it('does not let a "__proto__" attribute key change the prototype', () => {
    const body = jsonRequest({
      attributes: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } }],
    });
    const [span] = decodeTraceRequest(Buffer.from(body), 'json').spans;
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect((span.attributes as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(span.attributes)).toEqual(['__proto__']);
  });

  it('refuses values nested without bound', () => {
    let value: Record<string, unknown> = { stringValue: 'leaf' };
    for (let depth = 0; depth < 100; depth++) value = { arrayValue: { values: [value] } };
    expect(() => decodeTraceRequest(Buffer.from(jsonRequest({ attributes: [{ key: 'deep', value }] })), 'json')).toThrow(/nested deeper/);
  });

  it('reports all-zero ids as rejected spans, keeping the others', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: '0'.repeat(32), spanId: SPAN_ID, name: 'zero' },
                { traceId: TRACE_ID, spanId: SPAN_ID, name: 'fine' },
              ],
            },
          ],
        },
      ],
    });
    const decoded = decodeTraceRequest(Buffer.from(body), 'json');
    expect(decoded.spans.map((span) => span.name)).toEqual(['fine']);
    expect(decoded.rejected).toBe(1);
    expect(decoded.rejectionMessage).toMatch(/all-zero/);
  });
});

describe('protobuf errors', () => {
  it('reports a truncated body', () => {
    for (const cut of [protoBody.length - 1, Math.floor(protoBody.length / 2), 3]) {
      expect(() => decodeTraceRequest(protoBody.subarray(0, cut), 'protobuf')).toThrow(/truncated/);
    }
  });

  it('reports bytes that are not protobuf', () => {
    const error = captureError(() => decodeTraceRequest(Buffer.from('this is plain text, not protobuf'), 'protobuf'));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('reports a wrong id length in protobuf', () => {
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).fork(); // resource_spans
    writer.uint32((2 << 3) | 2).fork(); // scope_spans
    writer.uint32((2 << 3) | 2).fork(); // span
    writer.uint32((1 << 3) | 2).bytes(Buffer.alloc(15, 1));
    writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 1));
    writer.ldelim().ldelim().ldelim();
    expect(() => decodeTraceRequest(Buffer.from(writer.finish()), 'protobuf')).toThrow(
      'at resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes, got 15',
    );
  });

  it('names a protobuf logs payload posted as traces, and the reverse', () => {
    const logs = encodeLogsRequest([
      { timeUnixNano: 1795554714162123457n, body: 'hello', traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 9) },
    ]);
    expect(() => decodeTraceRequest(logs, 'protobuf')).toThrow(/OTLP logs request.*\/v1\/logs/);
    expect(() => decodeLogsRequest(protoBody, 'protobuf')).toThrow(/OTLP traces request.*\/v1\/traces/);
  });

  it('decodes an empty request as no spans', () => {
    expect(decodeTraceRequest(Buffer.alloc(0), 'protobuf')).toEqual({ spans: [], rejected: 0 });
    expect(decodeTraceRequest(Buffer.from('{}'), 'json')).toEqual({ spans: [], rejected: 0 });
  });
});

describe('the per-request item limit', () => {
  function jsonWithAttributes(count: number, value = 'v'): string {
    const attributes = Array.from({ length: count }, (_, index) => ({ key: `k${index}`, value: { stringValue: value } }));
    const span = { traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'span', attributes };
    return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
  }

  /** A protobuf request of one span (in one resource and scope group), its other fields written by `fields`. */
  function protobufSpan(fields: (writer: protobuf.Writer) => void): Buffer {
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).fork();
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).bytes(Buffer.alloc(16, 1));
    writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2));
    fields(writer);
    writer.ldelim().ldelim().ldelim();
    return Buffer.from(writer.finish());
  }

  function protobufWithAttributes(count: number): Buffer {
    return protobufSpan((writer) => {
      for (let index = 0; index < count; index++) writeKeyValue(writer, 9, `k${index}`, 'v');
    });
  }

  it('refuses a protobuf request past it, counting attributes, spans and their groups, and takes one within it', () => {
    // One resource group, one scope group, one span and its 40 attributes.
    const body = protobufWithAttributes(40);
    expect(decodeTraceRequest(body, 'protobuf', { maxItems: 43 }).spans[0].attributes).toHaveProperty('k39');
    const refusal = (() => {
      try {
        decodeTraceRequest(body, 'protobuf', { maxItems: 42 });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(OtlpLimitError);
    expect((refusal as Error).message).toMatch(/more than 42 spans, events, log records and attribute values \(--max-items\)/);
  });

  it('keeps every attribute of a span or log record with thousands of them, a repeated key keeping its last value', () => {
    // Past the first thousand in a row, an object's entries are set once its span or log record is read whole.
    const body = protobufSpan((writer) => {
      writeKeyValue(writer, 9, 'k5', 'first');
      for (let index = 0; index < 2_500; index++) writeKeyValue(writer, 9, `k${index}`, index === 5 ? 'second' : 'v');
      writeKeyValue(writer, 9, '__proto__', 'plain key');
      // An event between the span's attributes, then more of them.
      writer
        .uint32((11 << 3) | 2)
        .fork()
        .uint32((2 << 3) | 2)
        .string('an event')
        .ldelim();
      writeKeyValue(writer, 9, 'k5', 'last');
    });
    const [span] = decodeTraceRequest(body, 'protobuf', { maxItems: 10_000 }).spans;
    expect(Object.keys(span.attributes)).toHaveLength(2_501);
    expect(span.attributes.k5).toBe('last');
    expect(span.attributes.k2499).toBe('v');
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(span.attributes, '__proto__')?.value).toBe('plain key');
    expect(span.events.map((event) => event.name)).toEqual(['an event']);

    const attributes = Object.fromEntries(Array.from({ length: 1_500 }, (_, index) => [`k${index}`, 'v']));
    const logs = encodeLogsRequest([{ timeUnixNano: 1n, attributes: { ...attributes, 'event.name': 'gen_ai.choice' } }]);
    const [record] = decodeLogsRequest(logs, 'protobuf', { maxItems: 10_000 }).records;
    expect(record.eventName).toBe('gen_ai.choice');
    expect(Object.keys(record.attributes)).toHaveLength(1_501);
  });

  it("keeps every attribute of a resource with thousands of them, written after its group's spans", () => {
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).fork();
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).bytes(Buffer.alloc(16, 1));
    writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2));
    writer.ldelim().ldelim();
    writer.uint32((1 << 3) | 2).fork();
    for (let index = 0; index < 1_500; index++) writeKeyValue(writer, 1, `r${index}`, 'v');
    writer.ldelim().ldelim();
    const [span] = decodeTraceRequest(Buffer.from(writer.finish()), 'protobuf', { maxItems: 10_000 }).spans;
    expect(Object.keys(span.resource)).toHaveLength(1_500);
    expect(span.resource.r1499).toBe('v');
  });

  it('refuses OTLP/JSON before parsing it, at two objects per item, braces inside strings not counted', () => {
    expect(() => decodeTraceRequest(Buffer.from(jsonWithAttributes(200)), 'json', { maxItems: 50 })).toThrow(OtlpLimitError);
    // 40 attributes and a span: 82 objects, within 2 x 50, though their values hold a thousand braces.
    const braces = jsonWithAttributes(40, '{"a":{}}'.repeat(25));
    expect(decodeTraceRequest(Buffer.from(braces), 'json', { maxItems: 50 }).spans[0].attributes).toHaveProperty('k39');
    // An escaped quote does not end a string early.
    const escaped = jsonWithAttributes(40, '\\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{');
    expect(decodeTraceRequest(Buffer.from(escaped), 'json', { maxItems: 50 }).spans).toHaveLength(1);
  });
});

describe('decodeLogsRequest', () => {
  it('decodes protobuf log records with ids, time, body, attributes and event name', () => {
    const body = encodeLogsRequest([
      {
        timeUnixNano: 1795554714162123457n,
        body: 'the content',
        attributes: { 'gen_ai.system': 'openai', 'event.name': 'gen_ai.user.message' },
        traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
        spanId: Buffer.from('b7ad6b7169203331', 'hex'),
      },
      { timeUnixNano: 5n, eventName: 'gen_ai.choice' },
    ]);
    const { records } = decodeLogsRequest(body, 'protobuf');
    expect(records).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        timeUnixNano: 1795554714162123457n,
        eventName: 'gen_ai.user.message',
        body: 'the content',
        attributes: { 'gen_ai.system': 'openai', 'event.name': 'gen_ai.user.message' },
        resource: { 'service.name': 'test-service' },
        scope: { name: 'test-scope', version: undefined },
      },
      {
        traceId: undefined,
        spanId: undefined,
        timeUnixNano: 5n,
        eventName: 'gen_ai.choice',
        body: undefined,
        attributes: {},
        resource: { 'service.name': 'test-service' },
        scope: { name: 'test-scope', version: undefined },
      },
    ]);
  });

  it('decodes OTLP/JSON log records the same way', () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'test-service' } }] },
          scopeLogs: [
            {
              scope: { name: 'test-scope' },
              logRecords: [
                {
                  timeUnixNano: '1795554714162123457',
                  traceId: '0AF7651916CD43DD8448EB211C80319C',
                  spanId: 'B7AD6B7169203331',
                  eventName: 'gen_ai.user.message',
                  body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'hi' } }] } },
                  severityNumber: 9,
                },
              ],
            },
          ],
        },
      ],
    });
    const { records } = decodeLogsRequest(Buffer.from(body), 'json');
    expect(records[0]).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      timeUnixNano: 1795554714162123457n,
      eventName: 'gen_ai.user.message',
      body: { content: 'hi' },
    });
  });

  it('rejects a log record id of the wrong length', () => {
    const body = encodeLogsRequest([{ timeUnixNano: 1n, traceId: Buffer.alloc(4, 1) }]);
    expect(() => decodeLogsRequest(body, 'protobuf')).toThrow(/logRecords\[0\]: traceId must be 16 bytes, got 4/);
  });
});

describe('responses', () => {
  it('encodes full success as an empty message', () => {
    expect(encodeExportResponse('traces', 'protobuf').body).toHaveLength(0);
    expect(encodeExportResponse('traces', 'json').body).toBe('{}');
  });

  it('encodes a partial success with the count and message in both encodings', () => {
    const proto = encodeExportResponse('traces', 'protobuf', { rejected: 3, message: 'three bad' });
    expect(proto.contentType).toBe('application/x-protobuf');
    const reader = protobuf.Reader.create(proto.body as Buffer);
    expect(reader.uint32()).toBe((1 << 3) | 2);
    reader.uint32();
    expect(reader.uint32()).toBe(1 << 3);
    expect(Number(reader.int64())).toBe(3);
    expect(reader.uint32()).toBe((2 << 3) | 2);
    expect(reader.string()).toBe('three bad');
    expect(JSON.parse(encodeExportResponse('logs', 'json', { rejected: 2, message: 'm' }).body as string)).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: 'm' },
    });
  });

  it('encodes a google.rpc.Status', () => {
    const status = encodeStatus('protobuf', 3, 'bad body');
    const reader = protobuf.Reader.create(status.body as Buffer);
    expect(reader.uint32()).toBe(1 << 3);
    expect(reader.int32()).toBe(3);
    expect(reader.uint32()).toBe((2 << 3) | 2);
    expect(reader.string()).toBe('bad body');
    expect(JSON.parse(encodeStatus('json', 3, 'bad "body"').body as string)).toEqual({ code: 3, message: 'bad "body"' });
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
