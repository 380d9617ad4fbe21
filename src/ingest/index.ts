export { type IngestStore, type SpanKey, spanKeyString, type WriteResult } from './contract.js';
export { GenerationIngest, type IngestResult, isGenerationLog, type PreparedLogs, type SelectedSpans } from './ingest.js';
export { isoFromUnixNano, recordId, toGenerationRecord } from './record.js';
export { MAX_STORED_VALUE_CHARS } from './stored-values.js';
