import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeGeneration, isGenspanEncoded } from '../semconv/decode.js';
import { isReadableLogRecord, isReadableSpan, normalizeReadableLogRecord, normalizeReadableSpan } from './normalize.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from './types.js';

const STATUS_ERROR = 2;

/**
 * Rebuilds the generation of one LLM call from its span (and the log records joined to it), or returns
 * `null` for a span that is not one LLM call. Never throws.
 */
export function translateSpan(
  span: ReadableSpan | NormalizedSpan,
  logs?: readonly (ReadableLogRecord | NormalizedLogRecord)[],
): TranslationResult | null {
  try {
    const normalized = isReadableSpan(span) ? normalizeReadableSpan(span) : span;
    const records = (logs ?? []).map((record) => (isReadableLogRecord(record) ? normalizeReadableLogRecord(record) : record));
    return translateNormalized(normalized, records);
  } catch {
    return null;
  }
}

function translateNormalized(span: NormalizedSpan, _logs: readonly NormalizedLogRecord[]): TranslationResult | null {
  if (isGenspanEncoded(span.attributes)) {
    const errorMessage = span.status.code === STATUS_ERROR ? span.status.message : undefined;
    const { generation, warnings } = decodeGeneration(span.attributes, { errorMessage });
    if (generation.duration == null) generation.duration = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
    return { generation, source: 'genspan', warnings };
  }
  return null;
}
