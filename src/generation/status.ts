/**
 * Span status codes as OTLP numbers them (a record's `status.code`); the API's `SpanStatusCode` has the same numbers.
 * `StatusCode.ERROR` is the one constant for a failed span, in what genspan writes, reads, stores and shows.
 * Browser-safe: the page reads it too.
 */
export const StatusCode = {
  UNSET: 0,
  OK: 1,
  ERROR: 2,
} as const;
