export * from './export/index.js';
export * from './generation/index.js';
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
export { GenerationRecordSchema, recordId, toGenerationRecord } from './store/record.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite.js';
export type { GenerationRecord, GenerationStore, IngestStore, ListFilter, ListPage, SpanKey, WriteResult } from './store/types.js';
export { translateSpan } from './translate/translate.js';
export type {
  NormalizedEvent,
  NormalizedLogRecord,
  NormalizedSpan,
  TranslationResult,
  TranslationSource,
} from './translate/types.js';
export { RERUN_METADATA_KEY, type RerunOrigin, rerunOriginOf } from './ui/lineage.js';
export {
  type FormattedTemplate,
  formatMessages,
  formatTemplate,
  type TemplateToken,
  templateVariables,
  tokenizeTemplate,
} from './ui/template.js';
// The server (Fastify) lives behind the `genspan/server` entry point, so instrumented apps never load it.
