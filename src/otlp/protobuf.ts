import protobuf from 'protobufjs/minimal.js';
import type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';
import { atPath, ItemCounter, OtlpDecodeError } from './errors.js';
import { type DecodedLogsRequest, type DecodedTraceRequest, type DecodeLimits, NO_DECODE_LIMITS } from './types.js';
import { int64Value, isZeroId, logRecord, MAX_VALUE_DEPTH, SPAN_ID_BYTES, setEntry, TRACE_ID_BYTES, wrongIdLength } from './values.js';

/**
 * A hand-written field walk over the OTLP protobuf messages genspan receives, on protobufjs's `Reader`.
 * Field numbers follow opentelemetry-proto (common/v1, resource/v1, trace/v1, logs/v1, collector/*); fields
 * genspan does not use (links, flags, trace state, dropped counts, schema URLs) are skipped without decoding.
 */

/**
 * protobufjs's reader, carrying the count of what the request holds so far and the attributes it holds back (one
 * reader per request).
 */
type Reader = protobuf.Reader & { readonly items: ItemCounter; readonly entries: EntrySetter };

/**
 * Attributes set on their object as they are read, up to this many in a row on one object; the rest are set when the
 * span or log record holding them has been read whole, so within the item limit. V8 is slow to give one object many new
 * keys (100,000 took 60 to 250 ms here), which was most of the time a request refused at `--max-items` held the event
 * loop; the SDK's default limit is 128 attributes a span.
 */
const ENTRIES_SET_AT_ONCE = 1_000;

/** Sets decoded attributes on their objects, holding back an object's entries past `ENTRIES_SET_AT_ONCE` until `flush`. */
class EntrySetter {
  private target: Record<string, unknown> | undefined;
  private inARow = 0;
  /** Objects with entries held back: every later entry of theirs is held too, so the last of a repeated key still wins. */
  private readonly heldTargets = new Set<Record<string, unknown>>();
  private readonly held: { target: Record<string, unknown>; key: string; value: unknown }[] = [];

  set(target: Record<string, unknown>, key: string, value: unknown): void {
    if (target !== this.target) {
      this.target = target;
      this.inARow = 0;
    }
    this.inARow++;
    if (this.inARow > ENTRIES_SET_AT_ONCE || (this.heldTargets.size > 0 && this.heldTargets.has(target))) {
      this.heldTargets.add(target);
      this.held.push({ target, key, value });
    } else {
      setEntry(target, key, value);
    }
  }

  /** Sets what was held back: called once a span or log record has been read whole, and once the request has. */
  flush(): void {
    if (this.held.length === 0) return;
    for (const { target, key, value } of this.held) setEntry(target, key, value);
    this.held.length = 0;
    this.heldTargets.clear();
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const WIRE_NAMES: Record<number, string> = {
  [WIRE_VARINT]: 'varint',
  [WIRE_FIXED64]: 'fixed64',
  [WIRE_LENGTH_DELIMITED]: 'length-delimited',
  [WIRE_FIXED32]: 'fixed32',
};

function wireName(wire: number): string {
  return WIRE_NAMES[wire] ?? `wire type ${wire}`;
}

/** protobufjs reports a short body as a RangeError "index out of range"; say what that means. */
function describeReaderError(error: unknown, reader: Reader): OtlpDecodeError {
  if (error instanceof OtlpDecodeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('index out of range')) {
    return new OtlpDecodeError(`truncated: a field runs past the end of the body (${reader.len} bytes)`);
  }
  return new OtlpDecodeError(message);
}

function expectWire(field: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new OtlpDecodeError(`field ${field} has ${wireName(actual)} encoding, expected ${wireName(expected)}`);
  }
}

/** Reads a length prefix and returns where the embedded message or bytes end. */
function lengthEnd(reader: Reader): number {
  const length = reader.size();
  const end = reader.pos + length;
  if (end > reader.len) {
    throw new OtlpDecodeError(
      `truncated: a field of ${length} bytes at byte ${reader.pos} runs past the end of the body (${reader.len} bytes)`,
    );
  }
  return end;
}

function checkEnd(reader: Reader, end: number): void {
  if (reader.pos !== end) throw new OtlpDecodeError(`a field overruns its enclosing message (byte ${reader.pos}, message ends at ${end})`);
}

function readFixed64(reader: Reader, buffer: Buffer): bigint {
  if (reader.pos + 8 > reader.len)
    throw new OtlpDecodeError(`truncated: a 64-bit timestamp at byte ${reader.pos} runs past the end of the body`);
  const value = buffer.readBigUInt64LE(reader.pos);
  reader.pos += 8;
  return value;
}

/** Reads a bytes field as lowercase hex without copying it first. */
function readHex(reader: Reader, buffer: Buffer): string {
  const end = lengthEnd(reader);
  const hex = buffer.toString('hex', reader.pos, end);
  reader.pos = end;
  return hex;
}

/** A varint int64, as a number when exact and as a decimal string otherwise. */
function readInt64(reader: Reader): number | string {
  const bytes = reader.buf;
  let pos = reader.pos;
  // Fast path: up to 7 bytes (49 bits) fit a double exactly.
  let small = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= reader.len) throw new OtlpDecodeError('truncated: an integer runs past the end of the body');
    const byte = bytes[pos++];
    small += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      reader.pos = pos;
      return small;
    }
    scale *= 128;
  }
  let value = BigInt(small);
  let shift = 49n;
  for (let i = 7; i < 10; i++) {
    if (pos >= reader.len) throw new OtlpDecodeError('truncated: an integer runs past the end of the body');
    const byte = bytes[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) {
      reader.pos = pos;
      return int64Value(BigInt.asIntN(64, value));
    }
    shift += 7n;
  }
  throw new OtlpDecodeError('invalid varint: longer than 10 bytes');
}

function skipField(reader: Reader, wire: number): void {
  if (wire !== WIRE_VARINT && wire !== WIRE_FIXED64 && wire !== WIRE_LENGTH_DELIMITED && wire !== WIRE_FIXED32) {
    throw new OtlpDecodeError(`invalid wire type ${wire} at byte ${reader.pos}`);
  }
  reader.skipType(wire);
}

function readTag(reader: Reader): number {
  const tag = reader.uint32();
  if (tag >>> 3 === 0) throw new OtlpDecodeError(`invalid field number 0 at byte ${reader.pos}`);
  return tag;
}

// ---- common/v1 ---------------------------------------------------------------------------------------------------

/** AnyValue { string_value=1, bool_value=2, int_value=3, double_value=4, array_value=5, kvlist_value=6, bytes_value=7 } */
function readAnyValue(reader: Reader, buffer: Buffer, end: number, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new OtlpDecodeError(`values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: unknown;
  while (reader.pos < end) {
    const tag = readTag(reader);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        expectWire('AnyValue.string_value', wire, WIRE_LENGTH_DELIMITED);
        value = reader.string();
        break;
      case 2:
        expectWire('AnyValue.bool_value', wire, WIRE_VARINT);
        value = reader.bool();
        break;
      case 3:
        expectWire('AnyValue.int_value', wire, WIRE_VARINT);
        value = readInt64(reader);
        break;
      case 4:
        expectWire('AnyValue.double_value', wire, WIRE_FIXED64);
        value = reader.double();
        break;
      case 5: {
        expectWire('AnyValue.array_value', wire, WIRE_LENGTH_DELIMITED);
        const arrayEnd = lengthEnd(reader);
        value = readArrayValue(reader, buffer, arrayEnd, depth + 1);
        checkEnd(reader, arrayEnd);
        break;
      }
      case 6: {
        expectWire('AnyValue.kvlist_value', wire, WIRE_LENGTH_DELIMITED);
        const listEnd = lengthEnd(reader);
        const object: Record<string, unknown> = {};
        readKeyValues(reader, buffer, listEnd, 1, object, depth + 1);
        checkEnd(reader, listEnd);
        value = object;
        break;
      }
      case 7: {
        expectWire('AnyValue.bytes_value', wire, WIRE_LENGTH_DELIMITED);
        const bytesEnd = lengthEnd(reader);
        value = new Uint8Array(buffer.subarray(reader.pos, bytesEnd));
        reader.pos = bytesEnd;
        break;
      }
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
  return value;
}

/** ArrayValue { repeated AnyValue values = 1 }; an empty AnyValue inside an array becomes null. */
function readArrayValue(reader: Reader, buffer: Buffer, end: number, depth: number): unknown[] {
  const values: unknown[] = [];
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag >>> 3 === 1) {
      expectWire('ArrayValue.values', tag & 7, WIRE_LENGTH_DELIMITED);
      const valueEnd = lengthEnd(reader);
      reader.items.add();
      values.push(readAnyValue(reader, buffer, valueEnd, depth) ?? null);
    } else {
      skipField(reader, tag & 7);
    }
  }
  return values;
}

/**
 * Reads the repeated KeyValue field `field` of the message ending at `end` into `target`; other fields are skipped.
 * KeyValue { string key = 1; AnyValue value = 2 }. A key without a value is left out, as the SDK never emits one.
 */
function readKeyValues(reader: Reader, buffer: Buffer, end: number, field: number, target: Record<string, unknown>, depth: number): void {
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag >>> 3 !== field) {
      skipField(reader, tag & 7);
      continue;
    }
    expectWire('attributes', tag & 7, WIRE_LENGTH_DELIMITED);
    const pairEnd = lengthEnd(reader);
    readKeyValue(reader, buffer, pairEnd, target, depth);
  }
}

function readKeyValue(reader: Reader, buffer: Buffer, end: number, target: Record<string, unknown>, depth: number): void {
  reader.items.add();
  let key = '';
  let value: unknown;
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire('KeyValue.key', wire, WIRE_LENGTH_DELIMITED);
        key = reader.string();
        break;
      case 2: {
        expectWire('KeyValue.value', wire, WIRE_LENGTH_DELIMITED);
        const valueEnd = lengthEnd(reader);
        try {
          value = readAnyValue(reader, buffer, valueEnd, depth);
        } catch (error) {
          throw atPath(error, key ? `attribute "${key}"` : 'attribute');
        }
        break;
      }
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
  if (value !== undefined) reader.entries.set(target, key, value);
}

/** Resource { repeated KeyValue attributes = 1 }: fills `target`, which spans may already share. */
function readResource(reader: Reader, buffer: Buffer, end: number, target: Record<string, unknown>): void {
  readKeyValues(reader, buffer, end, 1, target, 0);
  checkEnd(reader, end);
}

type InstrumentationScope = { name: string; version?: string };

/** InstrumentationScope { name = 1, version = 2 }: fills `target`, which spans may already share. */
function readScope(reader: Reader, end: number, target: InstrumentationScope): void {
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire('InstrumentationScope.name', wire, WIRE_LENGTH_DELIMITED);
        target.name = reader.string();
        break;
      case 2:
        expectWire('InstrumentationScope.version', wire, WIRE_LENGTH_DELIMITED);
        target.version = reader.string() || undefined;
        break;
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
}

// ---- resource and scope envelopes (trace/v1, logs/v1) ------------------------------------------------------------

/**
 * ExportTraceServiceRequest and ExportLogsServiceRequest wrap their items alike (request: resource_x = 1;
 * ResourceX: resource = 1, repeated scope_x = 2; ScopeX: scope = 1, repeated items = 2), so one walk serves both and a
 * signal supplies only its names and its item reader. Names are whole strings so that nothing is built per item.
 */
interface SignalEnvelope<Item> {
  /** Proto field names for wire-type errors, e.g. `ResourceSpans.scope_spans`. */
  requestResourcesField: string;
  resourceField: string;
  resourceScopesField: string;
  scopeField: string;
  scopeItemsField: string;
  /** OTLP/JSON names for error paths, e.g. `scopeSpans[3]`. */
  resourcesPath: string;
  scopesPath: string;
  itemsPath: string;
  /** Reads one item; null rejects it without failing the request. */
  readItem: (reader: Reader, buffer: Buffer, end: number, resource: Record<string, unknown>, scope: InstrumentationScope) => Item | null;
}

interface DecodedItems<Item> {
  items: Item[];
  rejected: number;
}

function decodeRequest<Item>(buffer: Buffer, signal: SignalEnvelope<Item>, limits: DecodeLimits): DecodedItems<Item> {
  const reader: Reader = Object.assign(protobuf.Reader.create(buffer), {
    items: new ItemCounter(limits.maxItems),
    entries: new EntrySetter(),
  });
  const decoded: DecodedItems<Item> = { items: [], rejected: 0 };
  let index = 0;
  try {
    while (reader.pos < reader.len) {
      const tag = readTag(reader);
      if (tag >>> 3 === 1) {
        expectWire(signal.requestResourcesField, tag & 7, WIRE_LENGTH_DELIMITED);
        const end = lengthEnd(reader);
        reader.items.add();
        try {
          readResourceItems(reader, buffer, end, signal, decoded);
        } catch (error) {
          throw atPath(describeReaderError(error, reader), `${signal.resourcesPath}[${index}]`);
        }
        index++;
      } else {
        skipField(reader, tag & 7);
      }
    }
  } catch (error) {
    throw describeReaderError(error, reader);
  }
  // A resource's or scope's own attributes, when its group's spans or log records came before them on the wire.
  reader.entries.flush();
  return decoded;
}

/** ResourceSpans | ResourceLogs { Resource resource = 1; repeated ScopeSpans scope_spans | ScopeLogs scope_logs = 2 } */
function readResourceItems<Item>(
  reader: Reader,
  buffer: Buffer,
  end: number,
  signal: SignalEnvelope<Item>,
  decoded: DecodedItems<Item>,
): void {
  const resource: Record<string, unknown> = {};
  let index = 0;
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(signal.resourceField, wire, WIRE_LENGTH_DELIMITED);
        readResource(reader, buffer, lengthEnd(reader), resource);
        break;
      case 2: {
        expectWire(signal.resourceScopesField, wire, WIRE_LENGTH_DELIMITED);
        const scopeEnd = lengthEnd(reader);
        reader.items.add();
        try {
          readScopeItems(reader, buffer, scopeEnd, resource, signal, decoded);
        } catch (error) {
          throw atPath(describeReaderError(error, reader), `${signal.scopesPath}[${index}]`);
        }
        index++;
        break;
      }
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
}

/** ScopeSpans | ScopeLogs { InstrumentationScope scope = 1; repeated Span spans | LogRecord log_records = 2 } */
function readScopeItems<Item>(
  reader: Reader,
  buffer: Buffer,
  end: number,
  resource: Record<string, unknown>,
  signal: SignalEnvelope<Item>,
  decoded: DecodedItems<Item>,
): void {
  const scope: InstrumentationScope = { name: '' };
  let index = 0;
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire(signal.scopeField, wire, WIRE_LENGTH_DELIMITED);
        readScope(reader, lengthEnd(reader), scope);
        break;
      case 2: {
        expectWire(signal.scopeItemsField, wire, WIRE_LENGTH_DELIMITED);
        const itemEnd = lengthEnd(reader);
        reader.items.add();
        let item: Item | null;
        try {
          item = signal.readItem(reader, buffer, itemEnd, resource, scope);
        } catch (error) {
          throw atPath(describeReaderError(error, reader), `${signal.itemsPath}[${index}]`);
        }
        if (item) decoded.items.push(item);
        else decoded.rejected++;
        index++;
        break;
      }
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
}

// ---- trace/v1 ------------------------------------------------------------------------------------------------------

const TRACE_ENVELOPE: SignalEnvelope<NormalizedSpan> = {
  requestResourcesField: 'ExportTraceServiceRequest.resource_spans',
  resourceField: 'ResourceSpans.resource',
  resourceScopesField: 'ResourceSpans.scope_spans',
  scopeField: 'ScopeSpans.scope',
  scopeItemsField: 'ScopeSpans.spans',
  resourcesPath: 'resourceSpans',
  scopesPath: 'scopeSpans',
  itemsPath: 'spans',
  readItem: readSpan,
};

function decodeTraceMessage(buffer: Buffer, limits: DecodeLimits): DecodedTraceRequest {
  const { items: spans, rejected } = decodeRequest(buffer, TRACE_ENVELOPE, limits);
  return rejected > 0
    ? { spans, rejected, rejectionMessage: `${rejected} span(s) with an all-zero trace or span id were rejected` }
    : { spans, rejected: 0 };
}

/**
 * Span { trace_id=1, span_id=2, parent_span_id=4, name=5, kind=6, start_time_unix_nano=7, end_time_unix_nano=8,
 * attributes=9, events=11, status=15 }. Returns null for a span with an all-zero id (rejected, not fatal).
 */
function readSpan(
  reader: Reader,
  buffer: Buffer,
  end: number,
  resource: Record<string, unknown>,
  scope: InstrumentationScope,
): NormalizedSpan | null {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Record<string, unknown> = {};
  const events: NormalizedEvent[] = [];
  const status: { code: number; message?: string } = { code: 0 };
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire('Span.trace_id', wire, WIRE_LENGTH_DELIMITED);
        traceId = readHex(reader, buffer);
        break;
      case 2:
        expectWire('Span.span_id', wire, WIRE_LENGTH_DELIMITED);
        spanId = readHex(reader, buffer);
        break;
      case 4:
        expectWire('Span.parent_span_id', wire, WIRE_LENGTH_DELIMITED);
        parentSpanId = readHex(reader, buffer);
        break;
      case 5:
        expectWire('Span.name', wire, WIRE_LENGTH_DELIMITED);
        name = reader.string();
        break;
      case 6:
        expectWire('Span.kind', wire, WIRE_VARINT);
        kind = reader.uint32();
        break;
      case 7:
        expectWire('Span.start_time_unix_nano', wire, WIRE_FIXED64);
        startTimeUnixNano = readFixed64(reader, buffer);
        break;
      case 8:
        expectWire('Span.end_time_unix_nano', wire, WIRE_FIXED64);
        endTimeUnixNano = readFixed64(reader, buffer);
        break;
      case 9: {
        expectWire('Span.attributes', wire, WIRE_LENGTH_DELIMITED);
        const pairEnd = lengthEnd(reader);
        readKeyValue(reader, buffer, pairEnd, attributes, 0);
        break;
      }
      case 11: {
        expectWire('Span.events', wire, WIRE_LENGTH_DELIMITED);
        const eventEnd = lengthEnd(reader);
        try {
          events.push(readEvent(reader, buffer, eventEnd));
        } catch (error) {
          throw atPath(describeReaderError(error, reader), `events[${events.length}]`);
        }
        break;
      }
      case 15:
        expectWire('Span.status', wire, WIRE_LENGTH_DELIMITED);
        readStatus(reader, lengthEnd(reader), status);
        break;
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
  reader.entries.flush();
  if (traceId.length !== TRACE_ID_BYTES * 2) throw wrongIdLength('traceId', TRACE_ID_BYTES, traceId.length / 2);
  if (spanId.length !== SPAN_ID_BYTES * 2) throw wrongIdLength('spanId', SPAN_ID_BYTES, spanId.length / 2);
  if (parentSpanId.length !== 0 && parentSpanId.length !== SPAN_ID_BYTES * 2) {
    throw wrongIdLength('parentSpanId', SPAN_ID_BYTES, parentSpanId.length / 2);
  }
  if (isZeroId(traceId) || isZeroId(spanId)) return null;
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId && !isZeroId(parentSpanId) ? parentSpanId : undefined,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    events,
    status,
    resource,
    scope,
  };
}

/** Event { time_unix_nano = 1; name = 2; attributes = 3 } */
function readEvent(reader: Reader, buffer: Buffer, end: number): NormalizedEvent {
  reader.items.add();
  const event: NormalizedEvent = { name: '', timeUnixNano: 0n, attributes: {} };
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire('Event.time_unix_nano', wire, WIRE_FIXED64);
        event.timeUnixNano = readFixed64(reader, buffer);
        break;
      case 2:
        expectWire('Event.name', wire, WIRE_LENGTH_DELIMITED);
        event.name = reader.string();
        break;
      case 3: {
        expectWire('Event.attributes', wire, WIRE_LENGTH_DELIMITED);
        readKeyValue(reader, buffer, lengthEnd(reader), event.attributes, 0);
        break;
      }
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
  return event;
}

/** Status { message = 2; code = 3 } (field 1 is the deprecated code). */
function readStatus(reader: Reader, end: number, status: { code: number; message?: string }): void {
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 2:
        expectWire('Status.message', wire, WIRE_LENGTH_DELIMITED);
        status.message = reader.string() || undefined;
        break;
      case 3:
        expectWire('Status.code', wire, WIRE_VARINT);
        status.code = reader.uint32();
        break;
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
}

// ---- logs/v1 -------------------------------------------------------------------------------------------------------

const LOGS_ENVELOPE: SignalEnvelope<NormalizedLogRecord> = {
  requestResourcesField: 'ExportLogsServiceRequest.resource_logs',
  resourceField: 'ResourceLogs.resource',
  resourceScopesField: 'ResourceLogs.scope_logs',
  scopeField: 'ScopeLogs.scope',
  scopeItemsField: 'ScopeLogs.log_records',
  resourcesPath: 'resourceLogs',
  scopesPath: 'scopeLogs',
  itemsPath: 'logRecords',
  readItem: readLogRecord,
};

function decodeLogsMessage(buffer: Buffer, limits: DecodeLimits): DecodedLogsRequest {
  return { records: decodeRequest(buffer, LOGS_ENVELOPE, limits).items };
}

/**
 * LogRecord { time_unix_nano=1, body=5, attributes=6, trace_id=9, span_id=10, observed_time_unix_nano=11, event_name=12 }.
 * Ids are optional on a log record, but when present they must have the right length.
 */
function readLogRecord(
  reader: Reader,
  buffer: Buffer,
  end: number,
  resource: Record<string, unknown>,
  scope: InstrumentationScope,
): NormalizedLogRecord {
  let traceId = '';
  let spanId = '';
  let time = 0n;
  let observedTime = 0n;
  let eventName = '';
  let body: unknown;
  const attributes: Record<string, unknown> = {};
  while (reader.pos < end) {
    const tag = readTag(reader);
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWire('LogRecord.time_unix_nano', wire, WIRE_FIXED64);
        time = readFixed64(reader, buffer);
        break;
      case 5: {
        expectWire('LogRecord.body', wire, WIRE_LENGTH_DELIMITED);
        const bodyEnd = lengthEnd(reader);
        try {
          body = readAnyValue(reader, buffer, bodyEnd, 0);
        } catch (error) {
          throw atPath(describeReaderError(error, reader), 'body');
        }
        break;
      }
      case 6:
        expectWire('LogRecord.attributes', wire, WIRE_LENGTH_DELIMITED);
        readKeyValue(reader, buffer, lengthEnd(reader), attributes, 0);
        break;
      case 9:
        expectWire('LogRecord.trace_id', wire, WIRE_LENGTH_DELIMITED);
        traceId = readHex(reader, buffer);
        break;
      case 10:
        expectWire('LogRecord.span_id', wire, WIRE_LENGTH_DELIMITED);
        spanId = readHex(reader, buffer);
        break;
      case 11:
        expectWire('LogRecord.observed_time_unix_nano', wire, WIRE_FIXED64);
        observedTime = readFixed64(reader, buffer);
        break;
      case 12:
        expectWire('LogRecord.event_name', wire, WIRE_LENGTH_DELIMITED);
        eventName = reader.string();
        break;
      default:
        skipField(reader, wire);
    }
  }
  checkEnd(reader, end);
  reader.entries.flush();
  return logRecord(traceId, spanId, time || observedTime, eventName, body, attributes, resource, scope);
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Decodes an `ExportTraceServiceRequest`; throws `OtlpDecodeError` saying what was wrong, `OtlpLimitError` (at once)
 * when it carries more than `limits` allow.
 */
export function decodeTraceRequestProtobuf(body: Uint8Array, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedTraceRequest {
  return decodeTraceMessage(asBuffer(body), limits);
}

/** Decodes an `ExportLogsServiceRequest`, as `decodeTraceRequestProtobuf` does. */
export function decodeLogsRequestProtobuf(body: Uint8Array, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedLogsRequest {
  return decodeLogsMessage(asBuffer(body), limits);
}
