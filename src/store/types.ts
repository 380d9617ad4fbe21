import type { Readable, Writable } from 'node:stream';
import type { Experiment, ExperimentDefinition, ExperimentResult, ExperimentStatus } from '../generation/experiment.js';
import type { ListFilter } from '../generation/filter.js';
import type { FacetField } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import type { FacetList, ListTotal, ThreadDetail, ThreadList, TraceDetail, TraceList } from '../generation/rest.js';
import type { StepRecord, TraceThread } from '../generation/step-record.js';
import type { IngestStore, StepBatch, WriteResult } from '../ingest/contract.js';
import type { RetentionStore } from './retention.js';

export interface ListPage {
  /** Newest first (by start time, then id). */
  items: GenerationRecord[];
  nextCursor: string | null;
}

/**
 * A page of a whole store's export: generation records first (pages without steps), then steps trace by trace, each
 * page with the threads of the traces whose steps begin in it.
 */
export interface ExportPage {
  records: GenerationRecord[];
  steps: StepRecord[];
  threads: TraceThread[];
}

/** Where generation records are kept. Both implementations pass one contract test suite. */
export interface GenerationStore {
  /**
   * Writes a batch in one transaction, idempotently on (traceId, spanId). Resolves once the batch is committed:
   * SqliteStore (WAL, synchronous=NORMAL) keeps it if the process crashes or is killed (SIGKILL), but a power loss or
   * operating system crash may lose the last commits; PostgresStore keeps it as the server's synchronous_commit promises.
   * `steps`, when given, is written in the same transaction, as `writeWithSpans` writes it.
   */
  write(records: readonly GenerationRecord[], steps?: StepBatch): Promise<WriteResult>;
  get(id: string): Promise<GenerationRecord | undefined>;
  list(filter?: ListFilter): Promise<ListPage>;
  /**
   * How many generations the filter matches (its cursor, sort and limit ignored): exact up to
   * `LIST_TOTAL_EXACT_BOUND` (or the store's `exactCountBound`), else an estimate above it with `exact: false`.
   */
  count(filter?: ListFilter): Promise<ListTotal>;
  /** A facet's values with their counts under the filter's other fields; see `FacetList`. */
  facets(field: FacetField, filter?: ListFilter): Promise<FacetList>;
  /**
   * Everything stored, in pages read one at a time (memory stays bounded whatever the store holds): every generation
   * record (oldest first), then every step (trace by trace), each page with the threads of the traces it begins.
   * Merged records stay on their steps and are not exported.
   */
  exportPages(): AsyncIterable<ExportPage>;
  /**
   * Writes every record as JSON Lines, then the steps as `{"kind":"step", ...}` lines and each trace's thread as a
   * `{"kind":"thread", ...}` line after the page of steps its trace begins in; resolves with the count of records.
   */
  exportJsonl(output: Writable): Promise<number>;
  /** Reads JSON Lines as written by `exportJsonl` (files of records only too); resolves with the records stored. */
  importJsonl(input: Readable): Promise<WriteResult>;
  close(): Promise<void>;
}

/** Where experiments and their results are kept, beside the generations their results are. One contract for both stores. */
export interface ExperimentStore {
  /** Stores a new experiment; its id must be new. */
  createExperiment(definition: ExperimentDefinition, status: ExperimentStatus): Promise<void>;
  /** The experiment with its progress (results stored so far), or undefined. */
  getExperiment(id: string): Promise<Experiment | undefined>;
  /** Every experiment, newest first, with its progress. */
  listExperiments(): Promise<Experiment[]>;
  /** Sets an experiment's status, and why it failed (null otherwise). */
  setExperimentStatus(id: string, status: ExperimentStatus, error?: string | null): Promise<void>;
  /** Stores a result once per (experiment, source, variant); resolves false when that one was stored already. */
  writeExperimentResult(result: ExperimentResult): Promise<boolean>;
  /** An experiment's results, in no particular order. */
  experimentResults(experimentId: string): Promise<ExperimentResult[]>;
  /** The generations of these ids that are stored, by id. */
  getMany(ids: readonly string[]): Promise<Map<string, GenerationRecord>>;
}

/** What `GET /api/threads` filters on. */
export interface ThreadFilter {
  limit?: number;
  cursor?: string;
  userId?: string;
}

/** Traces and threads, read from the steps both stores keep beside the generations. One contract for both stores. */
export interface TraceStore {
  /** The trace's steps in tree order (depth first, siblings by start time), or undefined when it has none. */
  getTrace(traceId: string): Promise<TraceDetail | undefined>;
  /**
   * Traces with stored steps, newest first (by their first start); with a filter, those having a generation it matches
   * (the generation list's `sort` does not apply); cursor pagination as `list`.
   */
  listTraces(filter?: ListFilter): Promise<TraceList>;
  /** Threads, most recently active first. */
  listThreads(filter?: ThreadFilter): Promise<ThreadList>;
  /** The thread with its traces in time order (each with its root step's input and output), or undefined. */
  getThread(id: string): Promise<ThreadDetail | undefined>;
  /** The thread a trace belongs to, or null. */
  threadOfTrace(traceId: string): Promise<string | null>;
}

/** A store the exporters and the server write to and read from: `SqliteStore` and `PostgresStore`. */
export type PlaygroundStore = GenerationStore & IngestStore & ExperimentStore & TraceStore & RetentionStore;
