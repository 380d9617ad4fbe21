import type { NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';

/** The spans of one `ExportTraceServiceRequest`. */
export interface DecodedTraceRequest {
  spans: NormalizedSpan[];
  /** Spans left out because their trace or span id is the invalid all-zero id (reported as a partial success). */
  rejected: number;
  rejectionMessage?: string;
}

/** The log records of one `ExportLogsServiceRequest`. */
export interface DecodedLogsRequest {
  records: NormalizedLogRecord[];
}

/** How an OTLP/HTTP body is encoded, chosen by its Content-Type. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The two signals genspan receives. */
export type OtlpSignal = 'traces' | 'logs';

/** What one request may carry. */
export interface DecodeLimits {
  /** Spans, events, log records, attributes, array and map elements, and their resource and scope groups. */
  maxItems: number;
}

/** No limit: for callers that decode what they produced themselves. */
export const NO_DECODE_LIMITS: DecodeLimits = { maxItems: Number.POSITIVE_INFINITY };
