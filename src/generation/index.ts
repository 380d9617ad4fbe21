export { describeCost, formatCost } from './cost-format.js';
export { type ListFilter, ListFilterSchema, ListQuerySchema, type ParsedListFilter } from './filter.js';
export {
  ChatGeneration,
  CompletionGeneration,
  type Generation,
  GenerationValidationError,
  generationFromJSON,
  toGeneration,
} from './generation.js';
export { RERUN_METADATA_KEY, type RerunOrigin, rerunOriginOf } from './lineage.js';
export { LIST_PAGE_SIZE, LIST_QUERY_PARAMETERS, type ListFilterField, listQueryString } from './list-query.js';
export {
  type ModelPrice,
  ModelPriceSchema,
  type PriceTable,
  type PriceTableData,
  PriceTableSchema,
  priceOf,
  priceTable,
  shippedPriceTable,
  type TokenCost,
  type TokenUsage,
  tokenCost,
} from './prices.js';
export {
  COST_SOURCES,
  type Cost,
  CostSchema,
  type GenerationRecord,
  GenerationRecordSchema,
  TRANSLATION_SOURCES,
  type TranslationSource,
  TranslationSourceSchema,
} from './record.js';
export type {
  ErrorBody,
  GenerationItem,
  GenerationList,
  OmittedSetting,
  PlaygroundConfig,
  ProviderInfo,
  RerunEvent,
  RerunPreview,
} from './rest.js';
export * from './schema.js';
export { StatusCode } from './status.js';
export {
  type FormattedTemplate,
  formatMessages,
  formatTemplate,
  type TemplateToken,
  templateVariables,
  tokenizeTemplate,
} from './template.js';
