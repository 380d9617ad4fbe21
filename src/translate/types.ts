import type { TranslationSource } from '../generation/record.js';
import type { GenerationData } from '../generation/schema.js';
import type { SpanCost } from './draft.js';

export type { TranslationSource };

/**
 * The one span shape the translator reads. An SDK `ReadableSpan` and a span decoded from an OTLP request
 * both convert into it cheaply. Attribute values are kept as they arrived (strings, numbers, booleans,
 * arrays, and for OTLP AnyValue kvlists plain objects).
 */
export interface NormalizedSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP numbering: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Nanoseconds since the epoch, as a bigint so 64-bit timestamps stay exact. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  events: NormalizedEvent[];
  /** OTLP numbering: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
}

export interface NormalizedEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, unknown>;
}

/** An OTLP log record (or SDK `ReadableLogRecord`), joined to its span by trace and span id. */
export interface NormalizedLogRecord {
  traceId?: string;
  spanId?: string;
  timeUnixNano: bigint;
  /** `eventName` of the record, or its `event.name` attribute. */
  eventName?: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
}

export interface TranslationResult {
  /** Plain generation data, in the shape of the wire JSON. */
  generation: GenerationData;
  source: TranslationSource;
  /** What was present on the span but could not be read. */
  warnings: string[];
  /** What the span says the call cost (USD), when an instrumentation recorded it (see the README for the keys read). */
  cost?: SpanCost;
  /**
   * True when `generation` was already checked against the generation model here (genspan's own spans, whose values
   * may be forged, are fitted to it), so building its record need not validate it again (`generationWireJSON`).
   */
  checked?: boolean;
  /**
   * Set when reading the span threw: a translator bug, or a value no reader expected (an attribute whose getter throws).
   * Says what failed, and `warnings` names it too; `generation` holds what could still be read (at least an empty
   * generation of the span's type). The span is still an LLM call: the ingest layer stores it, and reports and counts
   * the failure (OpenTelemetry diagnostic logger).
   */
  failure?: string;
}
