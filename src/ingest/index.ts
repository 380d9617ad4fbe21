export { type IngestStore, type SpanKey, spanKeyString, type WriteResult } from './contract.js';
export { generationCost, withCost } from './cost.js';
export {
  GenerationIngest,
  type GenerationIngestOptions,
  type IngestResult,
  isGenerationLog,
  type PreparedLogs,
  type SelectedSpans,
} from './ingest.js';
export { type PricesOption, PriceTableError, pricesFromOption, readPriceFile, withUserPrices } from './prices.js';
export { isoFromUnixNano, recordId, toGenerationRecord } from './record.js';
export { MAX_STORED_VALUE_CHARS } from './stored-values.js';
