export { describeCost, formatCost } from './cost-format.js';
export {
  EXPERIMENT_STATUSES,
  type Experiment,
  type ExperimentDefinition,
  type ExperimentProgress,
  type ExperimentRequest,
  ExperimentRequestSchema,
  type ExperimentResult,
  type ExperimentSource,
  type ExperimentStatus,
  type ExperimentVariant,
  MAX_EXPERIMENT_SOURCES,
  variantEdit,
} from './experiment.js';
export { experimentCell, experimentDetail, outputText, summarizeColumn } from './experiment-summary.js';
export { type ListFilter, ListFilterSchema, ListQuerySchema, type ParsedListFilter } from './filter.js';
export {
  ChatGeneration,
  CompletionGeneration,
  type Generation,
  GenerationValidationError,
  generationFromJSON,
  toGeneration,
} from './generation.js';
export {
  EXPERIMENT_METADATA_KEY,
  type ExperimentLink,
  experimentLinkOf,
  RERUN_METADATA_KEY,
  type RerunOrigin,
  rerunOriginOf,
} from './lineage.js';
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
  ExperimentCell,
  ExperimentColumn,
  ExperimentDetail,
  ExperimentList,
  ExperimentRow,
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
