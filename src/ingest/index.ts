export {
  type GenerationMerge,
  type IngestStore,
  type SpanKey,
  type StepBatch,
  type StepLink,
  spanKeyString,
  type WriteResult,
} from './contract.js';
export { generationCost, withCost } from './cost.js';
export {
  GenerationIngest,
  type GenerationIngestOptions,
  type IngestResult,
  isGenerationLog,
  type PreparedLogs,
  type SelectedSpans,
} from './ingest.js';
export { mergeGeneration } from './overlap.js';
export { MAX_PENDING_SPANS, PENDING_SPAN_TTL_MS, type PendingStats } from './pending.js';
export { type PricesOption, PriceTableError, pricesFromOption, readPriceFile, withUserPrices } from './prices.js';
export { isoFromUnixNano, recordId, toGenerationRecord } from './record.js';
export { DEFAULT_KEEP_SPANS, KEEP_SPANS, type KeepSpans } from './steps.js';
export { MAX_STORED_VALUE_CHARS } from './stored-values.js';
