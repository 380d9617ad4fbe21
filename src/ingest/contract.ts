import type { GenerationRecord } from '../generation/record.js';
import type { TraceDetail } from '../generation/rest.js';
import type { StepRecord, StepType, TraceThread } from '../generation/step-record.js';
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

/** The steps of a batch, and what its spans said about their traces' threads; written with the batch's records. */
export interface StepBatch {
  steps: StepRecord[];
  threads: TraceThread[];
}

/** A stored step's place in its trace: what ingestion decides ancestry (which spans to keep) and overlaps by. */
export interface StepLink {
  spanId: string;
  parentSpanId: string | null;
  type: StepType;
  generationId: string | null;
}

/**
 * One LLM call traced by more than one layer (a genspan `llm` step around an instrumented client call, a framework
 * span over a client span): the owner's record holds the merged generation; the others leave the generation list.
 */
export interface GenerationMerge {
  /** The owning span's record with the merged generation: replaces the stored one's generation, source, warnings, cost. */
  owner: GenerationRecord;
  /**
   * The records of the other spans of the same call, as they were translated: their rows leave the generation list
   * (they are kept with their step, see `mergedRecords`), their steps' `generationId` names the owner, and a later
   * write of the same span does not list them again.
   */
  merged: GenerationRecord[];
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
   * `steps` is read after `records` is exhausted (the same generator may fill it) and written in the same
   * transaction, idempotently on (traceId, spanId); each step widens its trace's first start and last end, and each
   * trace thread places its trace in its thread (a trace's thread is kept once known). A record whose span's step was
   * merged into another generation is not stored again: it counts as a duplicate.
   */
  writeWithSpans(records: Iterable<GenerationRecord>, spans: ReadonlyMap<string, NormalizedSpan>, steps?: StepBatch): Promise<WriteResult>;
  /** The stored steps of each trace, by trace id (traces with none are absent). */
  stepLinks(traceIds: readonly string[]): Promise<Map<string, StepLink[]>>;
  /**
   * Applies merges in one transaction; idempotent. A merged record leaves the generation list only once its span's
   * step is stored (the ingest writes a span's step with its record), so no record is ever lost.
   */
  mergeGenerations(merges: readonly GenerationMerge[]): Promise<void>;
  /** A trace's stored steps (what the prompt-template rule reads, see src/ingest/templates.ts). */
  getTrace(traceId: string): Promise<TraceDetail | undefined>;
  /** The records merged into another generation, as they were translated, by `spanKeyString`. */
  mergedRecords(keys: readonly SpanKey[]): Promise<Map<string, GenerationRecord>>;
  /** The generations in the list (not merged into another) of these record ids, by id. */
  getMany(ids: readonly string[]): Promise<Map<string, GenerationRecord>>;
  /** Keeps log records (idempotently) until, and after, their span arrives. */
  writeLogs(records: readonly NormalizedLogRecord[]): Promise<void>;
  /** The stored log records of each span key, oldest first. */
  logsFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedLogRecord[]>>;
  /** The kept normalized spans of stored records. */
  spansFor(keys: readonly SpanKey[]): Promise<Map<string, NormalizedSpan>>;
  /** Replaces generation, source and warnings of records already stored (matched by traceId, spanId). */
  updateGenerations(records: readonly GenerationRecord[]): Promise<void>;
  /**
   * For stores several processes write at once (PostgreSQL): runs `work` on a view of the store in which these
   * traces are locked against every other process's `exclusive` work on them until it ends, its calls all in one
   * transaction. A store without it is written by one process, which orders its own work on a trace.
   */
  exclusive?<T>(traceIds: readonly string[], work: (store: IngestStore) => Promise<T>): Promise<T>;
}
