export type { AttributeValue, EncodedGeneration, EncodeOptions, SpanAttributes } from './encode.js';
export { captureContentFromEnv, encodeGeneration, truncationMarker } from './encode.js';
export { CAPTURE_CONTENT_ENV, GenAI, GenAIOperation, Genspan, Otel, REDACTED } from './keys.js';
export type { Part, PartsMessage } from './messages.js';
export { messageFromParts, messageToParts, toolFromDefinition, toolToDefinition } from './messages.js';
export type { RedactRule } from './redact.js';
export { DEFAULT_REDACT_PATTERNS, redactSecrets } from './redact.js';
