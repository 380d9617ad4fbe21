export { PlaygroundExporter, type PlaygroundExporterOptions } from './exporter.js';
export { PlaygroundLogExporter, type PlaygroundLogExporterOptions } from './log-exporter.js';
export {
  DEFAULT_DATABASE_PATH,
  type GenspanTelemetry,
  OTLP_ENDPOINT_ENV,
  type PlaygroundProcessorOptions,
  type PlaygroundProcessors,
  playgroundProcessors,
  type RegisterOptions,
  register,
} from './register.js';
export { RETRY_DEFAULTS, type RetryOptions } from './write-queue.js';
