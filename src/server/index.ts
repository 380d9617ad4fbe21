export { createServer, startServer, ServerConfigError, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_BODY_BYTES } from './server.js';
export type { ServerOptions, GenspanServer, RunningServer } from './server.js';
export type { GenerationItem, GenerationList } from './api.js';
export { TOKEN_ENV } from './auth.js';
export { registerPlayground, CONTENT_SECURITY_POLICY, CONFIGURE_COMMAND, type PlaygroundOptions, type PlaygroundConfig } from './playground.js';
export { RERUN_SERVICE_NAME, type RerunEvent } from './rerun.js';
export {
  decodeTraceRequest,
  decodeLogsRequest,
  encodeExportResponse,
  encodeStatus,
  OtlpDecodeError,
  type DecodedTraceRequest,
  type DecodedLogsRequest,
  type OtlpEncoding,
  type OtlpSignal,
} from '../otlp/index.js';
