export { GenAI, GenAIOperation, Genspan, Otel, CAPTURE_CONTENT_ENV, REDACTED } from './keys.js';
export { encodeGeneration, captureContentFromEnv, truncationMarker } from './encode.js';
export type { EncodeOptions, EncodedGeneration, SpanAttributes, AttributeValue } from './encode.js';
export { decodeGeneration, isGenspanEncoded } from './decode.js';
export { redactSecrets, DEFAULT_REDACT_PATTERNS } from './redact.js';
export type { RedactRule } from './redact.js';
export { messageToParts, messageFromParts, toolToDefinition, toolFromDefinition } from './messages.js';
export type { Part, PartsMessage } from './messages.js';
