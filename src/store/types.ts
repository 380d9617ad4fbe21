import type { Readable, Writable } from 'node:stream';
import type { NormalizedLogRecord, NormalizedSpan, TranslationSource } from '../translate/types.js';

/**
 * A generation record: the generation's wire JSON plus where it came from.
 * This is the unit every store writes, the REST API returns and the JSON Lines export holds, one per line.
 */
export interface GenerationRecord {
  /** Record id: a UUID derived from (traceId, spanId), so the same span always gets the same id. */
  id: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  serviceName: string | null;
  scope: { name: string; version?: string | null };
  source: TranslationSource;
  /** ISO-8601 UTC, e.g. `2026-11-24T21:31:00.123Z`. */
  startTime: string;
  endTime: string;
  /** OTLP numbering: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string | null };
  /** What the translator found present but unreadable. */
  warnings: string[];
  /** The Chainlit / Literal AI wire JSON (`type: "COMPLETION" | "CHAT"`, camelCase keys). */
  generation: Record<string, unknown>;
}

export interface ListFilter {
  traceId?: string;
  serviceName?: string;
  model?: string;
  provider?: string;
  tag?: string;
  source?: string;
  /** Only records whose status is ERROR or whose generation has an error. */
  errorsOnly?: boolean;
  /** ISO-8601; records that started at or after it. */
  from?: string;
  /** ISO-8601; records that started before it. */
  to?: string;
  /** Case-insensitive substring of the prompt, completion or message text. */
  q?: string;
  /** Page size, 1..500 (default 50). */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface ListPage {
  /** Newest first (by start time, then id). */
  items: GenerationRecord[];
  nextCursor: string | null;
}

export interface WriteResult {
  /** Records stored now. */
  inserted: number;
  /** Records already stored for the same (traceId, spanId), left as they were. */
  duplicates: number;
}

/** Where generation records are kept. Both implementations pass one contract test suite. */
export interface GenerationStore {
  /**
   * Writes a batch in one transaction, idempotently on (traceId, spanId). Resolves once the batch is committed:
   * SqliteStore (WAL, synchronous=NORMAL) keeps it if the process crashes or is killed (SIGKILL), but a power loss or
   * operating system crash may lose the last commits; PostgresStore keeps it as the server's synchronous_commit promises.
   */
  write(records: readonly GenerationRecord[]): Promise<WriteResult>;
  get(id: string): Promise<GenerationRecord | undefined>;
  list(filter?: ListFilter): Promise<ListPage>;
  /** Writes every record as JSON Lines; resolves with the count. */
  exportJsonl(output: Writable): Promise<number>;
  /** Reads JSON Lines as written by `exportJsonl`; resolves with what was stored. */
  importJsonl(input: Readable): Promise<WriteResult>;
  close(): Promise<void>;
}

/** Identifies one span: the key every store is idempotent on. */
export interface SpanKey {
  traceId: string;
  spanId: string;
}

/** `${traceId}:${spanId}`, the key of the maps below. */
export function spanKeyString(key: SpanKey): string {
  return `${key.traceId}:${key.spanId}`;
}

/**
 * What ingestion needs on top of `GenerationStore` to join log records (how `@opentelemetry/instrumentation-openai`
 * ships message content) to their span's generation, whichever of the two arrives first.
 * Both `SqliteStore` and `PostgresStore` implement it.
 */
export interface IngestStore extends GenerationStore {
  /**
   * Writes records like `write`, and also keeps the normalized span of each record given in `spans`
   * (keyed by `spanKeyString`), so the generation can be rebuilt when its log records arrive later.
   * `records` is iterated once, inside the write: a generator may build each record as the store takes it (and
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
