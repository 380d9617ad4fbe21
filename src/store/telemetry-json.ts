/**
 * The normalized spans and log records a store keeps (to rebuild a generation when its log records arrive later),
 * as JSON: bigint times as decimal strings, bigint and byte attribute values tagged so they come back as they were.
 */
import { createHash } from 'node:crypto';
import { logRecordFromJson, type NormalizedLogRecordJson, type NormalizedSpanJson, spanFromJson } from '../translate/normalize.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';

/** Attribute values may hold bigints (OTLP int64) and bytes; tagged so they come back as they were. */
interface TaggedBigint {
  $bigint: string;
}
interface TaggedBytes {
  $bytes: string;
}

function tagValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() } satisfies TaggedBigint;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') } satisfies TaggedBytes;
  return value;
}

function untagValue(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const tagged = value as Partial<TaggedBigint & TaggedBytes>;
      if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
      if (typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'));
    }
  }
  return value;
}

export function encodeSpan(span: NormalizedSpan): string {
  return JSON.stringify(
    {
      ...span,
      startTimeUnixNano: span.startTimeUnixNano.toString(),
      endTimeUnixNano: span.endTimeUnixNano.toString(),
      events: span.events.map((event) => ({ ...event, timeUnixNano: event.timeUnixNano.toString() })),
    },
    tagValue,
  );
}

export function decodeSpan(text: string): NormalizedSpan {
  return spanFromJson(JSON.parse(text, untagValue) as NormalizedSpanJson);
}

export function encodeLog(record: NormalizedLogRecord): string {
  return JSON.stringify({ ...record, timeUnixNano: record.timeUnixNano.toString() }, tagValue);
}

export function decodeLog(text: string): NormalizedLogRecord {
  return logRecordFromJson(JSON.parse(text, untagValue) as NormalizedLogRecordJson);
}

/** A log record as stored: joined to its span, keyed by a hash of its content so a redelivery is stored once. */
export interface LogRow {
  key: string;
  trace_id: string;
  span_id: string;
  time_unix_nano: bigint;
  record: string;
}

/** Rows for the log records that name a span; records without a span id cannot join a generation and are not kept. */
export function toLogRows(records: readonly NormalizedLogRecord[]): LogRow[] {
  const rows: LogRow[] = [];
  for (const record of records) {
    if (!record.traceId || !record.spanId) continue;
    const encoded = encodeLog(record);
    rows.push({
      key: createHash('sha256').update(encoded).digest('base64url'),
      trace_id: record.traceId.toLowerCase(),
      span_id: record.spanId.toLowerCase(),
      time_unix_nano: record.timeUnixNano,
      record: encoded,
    });
  }
  return rows;
}
