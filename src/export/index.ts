export { PlaygroundExporter, type PlaygroundExporterOptions } from './exporter.js';
export { PlaygroundLogExporter, type PlaygroundLogExporterOptions } from './log-exporter.js';
export {
  GenerationIngest,
  isGenerationLog,
  type IngestResult,
  type PreparedLogs,
  type SelectedSpans,
} from './ingest.js';
export {
  register,
  playgroundProcessors,
  DEFAULT_DATABASE_PATH,
  OTLP_ENDPOINT_ENV,
  type RegisterOptions,
  type GenspanTelemetry,
  type PlaygroundProcessors,
  type PlaygroundProcessorOptions,
} from './register.js';
export { RETRY_DEFAULTS, type RetryOptions } from './write-queue.js';
