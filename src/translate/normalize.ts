import type { HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { GenAIEvent } from '../semconv/keys.js';
import type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan } from './types.js';

/** Converts SDK objects into the translator's normalized shapes. Cheap: attributes are shared, not copied. */

function hrTimeToNanos(time: HrTime | undefined): bigint {
  if (!time) return 0n;
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** True for an SDK `ReadableSpan` (as opposed to an already normalized span). */
export function isReadableSpan(span: unknown): span is ReadableSpan {
  return typeof span === 'object' && span !== null && typeof (span as ReadableSpan).spanContext === 'function';
}

export function normalizeReadableSpan(span: ReadableSpan): NormalizedSpan {
  const context = span.spanContext();
  const parentSpanId = span.parentSpanContext?.spanId;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parentSpanId || undefined,
    name: span.name,
    // The API numbers span kinds from INTERNAL = 0; OTLP from UNSPECIFIED = 0.
    kind: span.kind + 1,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: span.attributes as Record<string, unknown>,
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: hrTimeToNanos(event.time),
      attributes: (event.attributes ?? {}) as Record<string, unknown>,
    })),
    status: { code: span.status.code, message: span.status.message },
    resource: span.resource.attributes as Record<string, unknown>,
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

/** True for an SDK `ReadableLogRecord` (as opposed to an already normalized record). */
export function isReadableLogRecord(record: unknown): record is ReadableLogRecord {
  return typeof record === 'object' && record !== null && 'hrTime' in record && 'instrumentationScope' in record;
}

export function normalizeReadableLogRecord(record: ReadableLogRecord): NormalizedLogRecord {
  const attributes = (record.attributes ?? {}) as Record<string, unknown>;
  const eventName =
    record.eventName ??
    (typeof attributes[GenAIEvent.EVENT_NAME_ATTRIBUTE] === 'string' ? (attributes[GenAIEvent.EVENT_NAME_ATTRIBUTE] as string) : undefined);
  return {
    traceId: record.spanContext?.traceId,
    spanId: record.spanContext?.spanId,
    timeUnixNano: hrTimeToNanos(record.hrTime),
    eventName,
    body: record.body,
    attributes,
    resource: record.resource.attributes as Record<string, unknown>,
    scope: { name: record.instrumentationScope.name, version: record.instrumentationScope.version },
  };
}

/** A normalized event as JSON holds it: the nanosecond time as a decimal string (JSON has no 64-bit integers). */
export type NormalizedEventJson = Omit<NormalizedEvent, 'timeUnixNano'> & { timeUnixNano: string };

/** A normalized span as JSON holds it (stored spans, captured fixtures): nanosecond times as decimal strings. */
export type NormalizedSpanJson = Omit<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano' | 'events'> & {
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  events: NormalizedEventJson[];
};

/** A normalized log record as JSON holds it: the nanosecond time as a decimal string. */
export type NormalizedLogRecordJson = Omit<NormalizedLogRecord, 'timeUnixNano'> & { timeUnixNano: string };

export function spanFromJson(span: NormalizedSpanJson): NormalizedSpan {
  return {
    ...span,
    startTimeUnixNano: BigInt(span.startTimeUnixNano),
    endTimeUnixNano: BigInt(span.endTimeUnixNano),
    events: span.events.map((event) => ({ ...event, timeUnixNano: BigInt(event.timeUnixNano) })),
  };
}

export function logRecordFromJson(record: NormalizedLogRecordJson): NormalizedLogRecord {
  return { ...record, timeUnixNano: BigInt(record.timeUnixNano) };
}
