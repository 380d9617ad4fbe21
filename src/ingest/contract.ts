import type { GenerationRecord } from '../generation/record.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';

/** Identifies one span: the key every store is idempotent on. */
export interface SpanKey {
  traceId: string;
  spanId: string;
}

/** `${traceId}:${spanId}`, the key of the maps below. */
export function spanKeyString(key: SpanKey): string {
  return `${key.traceId}:${key.spanId}`;
}

export interface WriteResult {
  /** Records stored now. */
  inserted: number;
  /** Records already stored for the same (traceId, spanId), left as they were. */
  duplicates: number;
}

/**
 * The storage ingestion writes through: records, plus what it needs to join log records (how
 * `@opentelemetry/instrumentation-openai` ships message content) to their span's generation, whichever of the two
 * arrives first. Both `SqliteStore` and `PostgresStore` implement it.
 */
export interface IngestStore {
  /**
   * Writes records in one transaction, idempotently on (traceId, spanId), and also keeps the normalized span of each
   * record given in `spans` (keyed by `spanKeyString`), so the generation can be rebuilt when its log records arrive
   * later. `records` is iterated once, inside the write: a generator may build each record as the store takes it (and
   * add its span to `spans` before yielding it). Each call iterates it anew, so a retry must pass a fresh one.
   */
  writeWithSpans(records: Iterable<GenerationRecord>, spans: ReadonlyMap<string, NormalizedSpan>): Promise<WriteResult>;
  /** Keeps log records (idempotently) until, and after, their span arrives. */
  writeLogs(records: readonly NormalizedLogRecord[]): Promise<void>;
  /** The stored log records of each span key, oldest first. */
  logsFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedLogRecord[]>>;
  /** The kept normalized spans of stored records. */
  spansFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedSpan>>;
  /** Replaces generation, source and warnings of records already stored (matched by traceId, spanId). */
  updateGenerations(records: readonly GenerationRecord[]): Promise<void>;
}
