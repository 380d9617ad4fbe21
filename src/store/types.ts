import type { Readable, Writable } from 'node:stream';
import type { ListFilter } from '../generation/filter.js';
import type { GenerationRecord } from '../generation/record.js';
import type { IngestStore, WriteResult } from '../ingest/contract.js';

export interface ListPage {
  /** Newest first (by start time, then id). */
  items: GenerationRecord[];
  nextCursor: string | null;
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

/** A store the exporters and the server write to and read from: `SqliteStore` and `PostgresStore`. */
export type PlaygroundStore = GenerationStore & IngestStore;
