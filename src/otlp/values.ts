import type { NormalizedLogRecord } from '../translate/types.js';
import { OtlpDecodeError } from './errors.js';

/** What both decoders share: id rules, int64 conversion and safe attribute objects. */

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

/** Deepest nesting of AnyValue arrays / kvlists accepted, so a hostile body cannot exhaust the stack. */
export const MAX_VALUE_DEPTH = 32;

const ALL_ZERO = /^0+$/;

/** True for the all-zero id that W3C Trace Context and OTLP define as invalid. */
export function isZeroId(hex: string): boolean {
  return ALL_ZERO.test(hex);
}

export function wrongIdLength(field: string, expectedBytes: number, actualBytes: number): OtlpDecodeError {
  return new OtlpDecodeError(`${field} must be ${expectedBytes} bytes, got ${actualBytes}`);
}

/** Sets `key` on a plain object, also when the key is `__proto__` (which plain assignment would treat as the prototype). */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** An int64 as a plain number when it is exact, otherwise as its decimal string (never rounded). */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** Builds a normalized log record from decoded fields; shared with the JSON decoder. */
export function logRecord(
  traceId: string,
  spanId: string,
  timeUnixNano: bigint,
  eventName: string,
  body: unknown,
  attributes: Record<string, unknown>,
  resource: Record<string, unknown>,
  scope: { name: string; version?: string },
): NormalizedLogRecord {
  if (traceId.length !== 0 && traceId.length !== TRACE_ID_BYTES * 2) throw wrongIdLength('traceId', TRACE_ID_BYTES, traceId.length / 2);
  if (spanId.length !== 0 && spanId.length !== SPAN_ID_BYTES * 2) throw wrongIdLength('spanId', SPAN_ID_BYTES, spanId.length / 2);
  const attributeEventName = attributes['event.name'];
  return {
    traceId: traceId && !isZeroId(traceId) ? traceId : undefined,
    spanId: spanId && !isZeroId(spanId) ? spanId : undefined,
    timeUnixNano,
    eventName: eventName || (typeof attributeEventName === 'string' ? attributeEventName : undefined),
    body,
    attributes,
    resource,
    scope,
  };
}
