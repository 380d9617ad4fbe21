export * from './export/index.js';
export * from './generation/index.js';
export * from './ingest/index.js';
export * from './semconv/index.js';
export * from './step/index.js';
export {
  IncompatibleDatabaseError,
  InvalidListFilterError,
  InvalidRecordError,
  isRecordsRejectedError,
  isRetryableStoreError,
  RecordsRejectedError,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
  StoreUnwritableError,
} from './store/errors.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite.js';
export type { ExportPage, GenerationStore, ListPage, PlaygroundStore, ThreadFilter, TraceStore } from './store/types.js';
export { decodeGeneration, isGenspanEncoded } from './translate/conventions/genspan.js';
export { translateSpan } from './translate/translate.js';
export type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan, TranslationResult } from './translate/types.js';
// The server (Fastify) lives behind the `genspan/server` entry point, so instrumented apps never load it.
