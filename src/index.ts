export * from './generation/index.js';
export * from './semconv/index.js';
export * from './step/index.js';
export { translateSpan } from './translate/translate.js';
export type {
  NormalizedSpan,
  NormalizedEvent,
  NormalizedLogRecord,
  TranslationResult,
  TranslationSource,
} from './translate/types.js';
export type { GenerationRecord, GenerationStore, ListFilter, ListPage, WriteResult, IngestStore, SpanKey } from './store/types.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres.js';
export { recordId, toGenerationRecord, GenerationRecordSchema } from './store/record.js';
export {
  StoreError,
  StoreUnavailableError,
  IncompatibleDatabaseError,
  InvalidListFilterError,
  InvalidRecordError,
  StoreClosedError,
  StoreUnwritableError,
  RecordsRejectedError,
  isRetryableStoreError,
  isRecordsRejectedError,
} from './store/errors.js';
export * from './export/index.js';
export { RERUN_METADATA_KEY, rerunOriginOf, type RerunOrigin } from './ui/lineage.js';
export { formatTemplate, formatMessages, templateVariables, tokenizeTemplate, type TemplateToken, type FormattedTemplate } from './ui/template.js';
// The server (Fastify) lives behind the `genspan/server` entry point, so instrumented apps never load it.
