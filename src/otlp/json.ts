import type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';
import { atPath, OtlpDecodeError, OtlpLimitError } from './errors.js';
import { type DecodedLogsRequest, type DecodedTraceRequest, type DecodeLimits, NO_DECODE_LIMITS } from './types.js';
import { int64Value, isZeroId, logRecord, MAX_VALUE_DEPTH, SPAN_ID_BYTES, setEntry, TRACE_ID_BYTES, wrongIdLength } from './values.js';

/**
 * OTLP/JSON as the OTLP specification defines it: lowerCamelCase keys, trace and span ids as case-insensitive hex,
 * int64 as decimal strings or numbers, enums as integers, unknown fields ignored.
 * JSON numbers above 2^53 are already rounded by JSON.parse; exporters send timestamps as strings, which stay exact.
 */

type JsonObject = Record<string, unknown>;

const HEX = /^[0-9a-fA-F]*$/;
const UNSIGNED_DECIMAL = /^\d+$/;
const SIGNED_DECIMAL = /^-?\d+$/;

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON objects per item: an attribute is a KeyValue and its AnyValue, a span an object and its status. */
const JSON_OBJECTS_PER_ITEM = 2;

/** Whether the JSON text holds more than `max` objects; strings are skipped, so braces inside them do not count. */
function holdsMoreObjects(bytes: Buffer, max: number): boolean {
  // Most bodies have fewer braces than that anywhere, strings included: found without walking the text.
  let braces = 0;
  for (let at = bytes.indexOf(OPEN_BRACE); at !== -1 && braces <= max; at = bytes.indexOf(OPEN_BRACE, at + 1)) braces++;
  if (braces <= max) return false;
  let objects = 0;
  for (let at = 0; at < bytes.length; at++) {
    const byte = bytes[at];
    if (byte === OPEN_BRACE) {
      if (++objects > max) return true;
    } else if (byte === QUOTE) {
      // To the closing quote: the next one not escaped by an odd number of backslashes.
      for (;;) {
        at = bytes.indexOf(QUOTE, at + 1);
        if (at === -1) return false;
        let backslashes = 0;
        while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    }
  }
  return false;
}

/**
 * Parses the body, refusing one with more than twice `limits.maxItems` objects before `JSON.parse` builds them (it
 * cannot be stopped half-way): parsing a request of a million attributes would hold the event loop for seconds.
 */
function parseJson(body: Uint8Array | string, limits: DecodeLimits): unknown {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (Number.isFinite(limits.maxItems) && holdsMoreObjects(bytes, limits.maxItems * JSON_OBJECTS_PER_ITEM))
    throw new OtlpLimitError(limits.maxItems);
  const text = typeof body === 'string' ? body : bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${(error as Error).message}`);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectField(value: unknown, name: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new OtlpDecodeError(`${name} must be an object`);
  return value;
}

function arrayField(value: unknown, name: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${name} must be an array`);
  return value;
}

function stringField(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new OtlpDecodeError(`${name} must be a string`);
  return value;
}

/** An id as lowercase hex ('' when absent); its length is checked by the caller. */
function hexField(value: unknown, name: string): string {
  const text = stringField(value, name);
  if (!HEX.test(text) || text.length % 2 !== 0) throw new OtlpDecodeError(`${name} must be a hex string, got "${text.slice(0, 40)}"`);
  return text.toLowerCase();
}

function enumField(value: unknown, name: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new OtlpDecodeError(`${name} must be an integer (OTLP/JSON encodes enums as numbers)`);
  return value;
}

/** A fixed64 timestamp in nanoseconds, from a decimal string (exact) or a number. */
function timeField(value: unknown, name: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && UNSIGNED_DECIMAL.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  throw new OtlpDecodeError(`${name} must be a non-negative integer or a decimal string`);
}

function anyValue(value: unknown, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new OtlpDecodeError(`values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new OtlpDecodeError('an AnyValue must be an object such as {"stringValue": "..."}');
  if ('stringValue' in value) return stringField(value.stringValue, 'stringValue');
  if ('boolValue' in value) {
    if (typeof value.boolValue !== 'boolean') throw new OtlpDecodeError('boolValue must be a boolean');
    return value.boolValue;
  }
  if ('intValue' in value) {
    const int = value.intValue;
    if (typeof int === 'number' && Number.isInteger(int)) return int;
    if (typeof int === 'string' && SIGNED_DECIMAL.test(int)) return int64Value(BigInt.asIntN(64, BigInt(int)));
    throw new OtlpDecodeError('intValue must be an integer or a decimal string');
  }
  if ('doubleValue' in value) {
    const double = value.doubleValue;
    if (typeof double === 'number') return double;
    if (typeof double === 'string' && (double === 'NaN' || (double.trim() !== '' && !Number.isNaN(Number(double))))) return Number(double);
    throw new OtlpDecodeError('doubleValue must be a number');
  }
  if ('arrayValue' in value) {
    const array = objectField(value.arrayValue, 'arrayValue');
    return arrayField(array?.values, 'arrayValue.values').map((item) => anyValue(item, depth + 1) ?? null);
  }
  if ('kvlistValue' in value) {
    const list = objectField(value.kvlistValue, 'kvlistValue');
    return keyValues(list?.values, 'kvlistValue.values', depth + 1);
  }
  if ('bytesValue' in value) {
    const base64 = stringField(value.bytesValue, 'bytesValue');
    return new Uint8Array(Buffer.from(base64, 'base64'));
  }
  return undefined;
}

/** A repeated KeyValue as a plain object; keys without a value are left out, as in the protobuf decoder. */
function keyValues(value: unknown, name: string, depth: number): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const pair of arrayField(value, name)) {
    if (!isObject(pair)) throw new OtlpDecodeError(`${name} must hold {"key", "value"} objects`);
    const key = stringField(pair.key, 'key');
    let decoded: unknown;
    try {
      decoded = anyValue(pair.value, depth);
    } catch (error) {
      throw atPath(error, `attribute "${key}"`);
    }
    if (decoded !== undefined) setEntry(target, key, decoded);
  }
  return target;
}

function scopeOf(value: unknown): { name: string; version?: string } {
  const scope = objectField(value, 'scope');
  return { name: stringField(scope?.name, 'scope.name'), version: stringField(scope?.version, 'scope.version') || undefined };
}

function resourceOf(value: unknown): Record<string, unknown> {
  const resource = objectField(value, 'resource');
  return keyValues(resource?.attributes, 'resource.attributes', 0);
}

/** Spans posted as logs, or logs posted as spans, are a common misconfiguration: name it. */
function rejectOtherSignal(root: JsonObject, expected: string, other: string, path: string): void {
  if (root[expected] === undefined && root[other] !== undefined) {
    throw new OtlpDecodeError(
      `this is an OTLP ${other === 'resourceLogs' ? 'logs' : 'traces'} request (it has "${other}", not "${expected}"); send it to ${path}`,
    );
  }
}

function span(value: unknown, resource: Record<string, unknown>, scope: { name: string; version?: string }): NormalizedSpan | null {
  if (!isObject(value)) throw new OtlpDecodeError('a span must be an object');
  const traceId = hexField(value.traceId, 'traceId');
  const spanId = hexField(value.spanId, 'spanId');
  const parentSpanId = hexField(value.parentSpanId, 'parentSpanId');
  if (traceId.length !== TRACE_ID_BYTES * 2) throw wrongIdLength('traceId', TRACE_ID_BYTES, traceId.length / 2);
  if (spanId.length !== SPAN_ID_BYTES * 2) throw wrongIdLength('spanId', SPAN_ID_BYTES, spanId.length / 2);
  if (parentSpanId.length !== 0 && parentSpanId.length !== SPAN_ID_BYTES * 2)
    throw wrongIdLength('parentSpanId', SPAN_ID_BYTES, parentSpanId.length / 2);
  const status = objectField(value.status, 'status');
  const events: NormalizedEvent[] = arrayField(value.events, 'events').map((event, index) => {
    try {
      if (!isObject(event)) throw new OtlpDecodeError('an event must be an object');
      return {
        name: stringField(event.name, 'name'),
        timeUnixNano: timeField(event.timeUnixNano, 'timeUnixNano'),
        attributes: keyValues(event.attributes, 'attributes', 0),
      };
    } catch (error) {
      throw atPath(error, `events[${index}]`);
    }
  });
  const decoded: NormalizedSpan = {
    traceId,
    spanId,
    parentSpanId: parentSpanId && !isZeroId(parentSpanId) ? parentSpanId : undefined,
    name: stringField(value.name, 'name'),
    kind: enumField(value.kind, 'kind'),
    startTimeUnixNano: timeField(value.startTimeUnixNano, 'startTimeUnixNano'),
    endTimeUnixNano: timeField(value.endTimeUnixNano, 'endTimeUnixNano'),
    attributes: keyValues(value.attributes, 'attributes', 0),
    events,
    status: { code: enumField(status?.code, 'status.code'), message: stringField(status?.message, 'status.message') || undefined },
    resource,
    scope,
  };
  return isZeroId(traceId) || isZeroId(spanId) ? null : decoded;
}

/**
 * Decodes an OTLP/JSON `ExportTraceServiceRequest`; throws `OtlpDecodeError` saying what was wrong, `OtlpLimitError`
 * before parsing when it holds more than two JSON objects per item `limits` allow.
 */
export function decodeTraceRequestJson(body: Uint8Array | string, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedTraceRequest {
  const root = parseJson(body, limits);
  if (!isObject(root)) throw new OtlpDecodeError('the body must be a JSON object with "resourceSpans"');
  rejectOtherSignal(root, 'resourceSpans', 'resourceLogs', '/v1/logs');
  const spans: NormalizedSpan[] = [];
  let rejected = 0;
  arrayField(root.resourceSpans, 'resourceSpans').forEach((resourceSpans, resourceIndex) => {
    try {
      if (!isObject(resourceSpans)) throw new OtlpDecodeError('must be an object');
      const resource = resourceOf(resourceSpans.resource);
      arrayField(resourceSpans.scopeSpans, 'scopeSpans').forEach((scopeSpans, scopeIndex) => {
        try {
          if (!isObject(scopeSpans)) throw new OtlpDecodeError('must be an object');
          const scope = scopeOf(scopeSpans.scope);
          arrayField(scopeSpans.spans, 'spans').forEach((value, spanIndex) => {
            let decoded: NormalizedSpan | null;
            try {
              decoded = span(value, resource, scope);
            } catch (error) {
              throw atPath(error, `spans[${spanIndex}]`);
            }
            if (decoded) spans.push(decoded);
            else rejected++;
          });
        } catch (error) {
          throw atPath(error, `scopeSpans[${scopeIndex}]`);
        }
      });
    } catch (error) {
      throw atPath(error, `resourceSpans[${resourceIndex}]`);
    }
  });
  return rejected > 0
    ? { spans, rejected, rejectionMessage: `${rejected} span(s) with an all-zero trace or span id were rejected` }
    : { spans, rejected: 0 };
}

/** Decodes an OTLP/JSON `ExportLogsServiceRequest`, as `decodeTraceRequestJson` does. */
export function decodeLogsRequestJson(body: Uint8Array | string, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedLogsRequest {
  const root = parseJson(body, limits);
  if (!isObject(root)) throw new OtlpDecodeError('the body must be a JSON object with "resourceLogs"');
  rejectOtherSignal(root, 'resourceLogs', 'resourceSpans', '/v1/traces');
  const records: NormalizedLogRecord[] = [];
  arrayField(root.resourceLogs, 'resourceLogs').forEach((resourceLogs, resourceIndex) => {
    try {
      if (!isObject(resourceLogs)) throw new OtlpDecodeError('must be an object');
      const resource = resourceOf(resourceLogs.resource);
      arrayField(resourceLogs.scopeLogs, 'scopeLogs').forEach((scopeLogs, scopeIndex) => {
        try {
          if (!isObject(scopeLogs)) throw new OtlpDecodeError('must be an object');
          const scope = scopeOf(scopeLogs.scope);
          arrayField(scopeLogs.logRecords, 'logRecords').forEach((value, recordIndex) => {
            try {
              if (!isObject(value)) throw new OtlpDecodeError('a log record must be an object');
              const time = timeField(value.timeUnixNano, 'timeUnixNano') || timeField(value.observedTimeUnixNano, 'observedTimeUnixNano');
              let body: unknown;
              try {
                body = anyValue(value.body, 0);
              } catch (error) {
                throw atPath(error, 'body');
              }
              records.push(
                logRecord(
                  hexField(value.traceId, 'traceId'),
                  hexField(value.spanId, 'spanId'),
                  time,
                  stringField(value.eventName, 'eventName'),
                  body,
                  keyValues(value.attributes, 'attributes', 0),
                  resource,
                  scope,
                ),
              );
            } catch (error) {
              throw atPath(error, `logRecords[${recordIndex}]`);
            }
          });
        } catch (error) {
          throw atPath(error, `scopeLogs[${scopeIndex}]`);
        }
      });
    } catch (error) {
      throw atPath(error, `resourceLogs[${resourceIndex}]`);
    }
  });
  return { records };
}
