import { hash } from 'node:crypto';
import { generationWireJSON } from '../generation/generation.js';
import type { PriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import { Otel } from '../semconv/keys.js';
import type { NormalizedSpan, TranslationResult } from '../translate/types.js';
import { generationCost } from './cost.js';

/**
 * The record id of a span: a UUID (version 8, name-based on SHA-256 as RFC 9562 suggests) of `traceId:spanId`,
 * so the same span always gets the same id in every store and process.
 */
export function recordId(traceId: string, spanId: string): string {
  // The first 16 bytes of the digest, in hex; the version nibble becomes 8 and the variant bits 10.
  const hex = hash('sha256', `${traceId.toLowerCase()}:${spanId.toLowerCase()}`, 'hex');
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const NANOS_PER_MILLI = 1_000_000n;

/** ISO-8601 UTC (millisecond precision) of a nanosecond epoch timestamp. */
export function isoFromUnixNano(unixNano: bigint): string {
  return new Date(Number(unixNano / NANOS_PER_MILLI)).toISOString();
}

/**
 * Builds the record of a span the translator recognised, its cost from the span or else from `prices`. Throws
 * `GenerationValidationError` on invalid data. The stores bound its strings as they take it (`storedRecord`), as they
 * do for every record, whoever built it.
 */
export function toGenerationRecord(span: NormalizedSpan, result: TranslationResult, prices: PriceTable): GenerationRecord {
  const serviceName = span.resource[Otel.SERVICE_NAME];
  const generation = generationWireJSON(result.generation, { checked: result.checked });
  return {
    id: recordId(span.traceId, span.spanId),
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? null,
    serviceName: typeof serviceName === 'string' ? serviceName : null,
    scope: { name: span.scope.name, version: span.scope.version ?? null },
    source: result.source,
    startTime: isoFromUnixNano(span.startTimeUnixNano),
    endTime: isoFromUnixNano(span.endTimeUnixNano),
    status: { code: span.status.code, message: span.status.message ?? null },
    cost: generationCost(generation, prices, result.cost),
    warnings: [...result.warnings],
    generation,
  };
}
