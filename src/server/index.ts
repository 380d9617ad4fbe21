export type {
  FacetList,
  FacetValue,
  GenerationItem,
  GenerationList,
  ListTotal,
  OmittedSetting,
  PlaygroundConfig,
  ProviderInfo,
  RerunEvent,
  RerunPreview,
} from '../generation/rest.js';
export {
  type DecodedLogsRequest,
  type DecodedTraceRequest,
  decodeLogsRequest,
  decodeTraceRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpDecodeError,
  type OtlpEncoding,
  type OtlpSignal,
} from '../otlp/index.js';
export { TOKEN_ENV } from './auth.js';
export { LOG_LEVELS, type LogDestination, type LogLevel } from './log.js';
export {
  CONFIGURE_COMMAND,
  CONTENT_SECURITY_POLICY,
  type PlaygroundOptions,
  registerPlayground,
} from './playground.js';
export {
  DEFAULT_PROVIDER_NAME,
  type ProviderSpec,
  Providers,
  ProvidersFileSchema,
  parseProvidersFile,
  providerSpecs,
  readProvidersFile,
} from './providers.js';
export { RERUN_SERVICE_NAME } from './rerun.js';
export type { GenspanServer, RunningServer, ServerOptions } from './server.js';
export { createServer, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, ServerConfigError, startServer } from './server.js';
