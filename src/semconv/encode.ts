import type { GenerationData, GenerationMessage } from '../generation/schema.js';
import { CAPTURE_CONTENT_ENV, GenAI, GenAIOperation, Genspan, Otel } from './keys.js';
import { messageToParts, type PartsMessage, toolToDefinition } from './messages.js';
import { type RedactRule, redactSecrets } from './redact.js';
import { requestSetting, type SettingKind } from './settings.js';

/** A span attribute value as OpenTelemetry accepts it (kept structural so this module stays free of SDK imports). */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type SpanAttributes = Record<string, AttributeValue>;

export interface EncodeOptions {
  /**
   * Whether prompt, completion, messages, template and variables leave the process. Defaults to the
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` environment variable, and to `true` when it is unset:
   * a playground needs the content, and the user attached it on purpose.
   */
  captureContent?: boolean;
  /** More settings, metadata and variable keys (exact names, case-insensitive, or patterns) to replace with `[REDACTED]`. */
  redactKeys?: readonly RedactRule[];
  /** Cap, in characters, on each content string; a capped string ends with a marker giving its original length. */
  maxContentLength?: number;
}

/**
 * What an attribute written by an earlier encoding of the same span is overwritten with when the new encoding has
 * no value for it: OpenTelemetry cannot remove an attribute, and genspan's decoder reads an empty string as absent.
 */
export const SUPERSEDED_VALUE = '';

export interface EncodedGeneration {
  /** `{gen_ai.operation.name} {model}`, as the conventions name an inference span. */
  name: string;
  attributes: SpanAttributes;
}

/** Reads the content-capture switch from the environment; anything but `false`/`0`/`no`/`off` (or unset) means on. */
export function captureContentFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return true;
  return !['false', '0', 'no', 'off', 'no_content'].includes(value);
}

/** The marker a capped string ends with. */
export function truncationMarker(originalLength: number): string {
  return `…[truncated by genspan, original length ${originalLength} chars]`;
}

/**
 * `text` cut to `limit` characters and ended with `truncationMarker`, or `text` itself when it fits: the one way
 * genspan caps a string, wherever it does. A surrogate pair the limit would split is left out whole, so a cut never
 * makes a lone surrogate.
 */
export function truncateText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + truncationMarker(text.length);
}

function settingValue(value: unknown, kind: SettingKind): AttributeValue | undefined {
  switch (kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'strings':
      if (typeof value === 'string') return [value];
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  }
}

function isEmptyObject(value: Record<string, unknown> | null | undefined): boolean {
  if (!value) return true;
  for (const _key in value) return false;
  return true;
}

function isPlainSystemMessage(message: GenerationMessage | undefined): message is GenerationMessage & { content: string } {
  if (message?.role !== 'system' || typeof message.content !== 'string') return false;
  for (const key in message) if (key !== 'role' && key !== 'content') return false;
  return true;
}

function finishReason(data: GenerationData, message: GenerationMessage | null | undefined): string {
  if (data.error) return 'error';
  if (message?.tool_calls && message.tool_calls.length > 0) return 'tool_call';
  return 'stop';
}

/**
 * Encodes a generation as OpenTelemetry GenAI span attributes (span-conventions.md §9, "emit side").
 * Pure: it reads the generation and returns new objects. Settings are redacted before anything is written.
 */
export function encodeGeneration(data: GenerationData, options: EncodeOptions = {}): EncodedGeneration {
  return encode(data, options, false);
}

/**
 * Encodes a generation again onto a span that already carries `writtenKeys` from an earlier encoding: each of those
 * keys the new encoding lacks is overwritten with `SUPERSEDED_VALUE`. Variables are then also written as JSON,
 * which the decoder prefers to the per-variable keys, so a superseded `gen_ai.prompt.variable.<name>` is not
 * mistaken for a variable whose value is the empty string.
 */
export function encodeGenerationUpdate(data: GenerationData, options: EncodeOptions, writtenKeys: ReadonlySet<string>): EncodedGeneration {
  let encoded = encode(data, options, false);
  const dropped = [...writtenKeys].filter((key) => !(key in encoded.attributes));
  if (dropped.some((key) => key === Genspan.VARIABLES || key.startsWith(GenAI.PROMPT_VARIABLE_PREFIX))) {
    encoded = encode(data, options, true);
  }
  for (const key of dropped) if (!(key in encoded.attributes)) encoded.attributes[key] = SUPERSEDED_VALUE;
  return encoded;
}

function encode(data: GenerationData, options: EncodeOptions, forceVariablesJSON: boolean): EncodedGeneration {
  const capture = options.captureContent ?? captureContentFromEnv();
  const limit = options.maxContentLength;
  let truncated = false;
  const cap = (text: string): string => {
    if (limit === undefined || text.length <= limit) return text;
    truncated = true;
    return truncateText(text, limit);
  };
  // A structured value (tool-call arguments, a variable) too long as JSON is kept as its capped JSON text.
  const capValue = (value: unknown): unknown => {
    if (typeof value === 'string') return cap(value);
    if (limit === undefined) return value;
    const text = JSON.stringify(value);
    return text !== undefined && text.length > limit ? cap(text) : value;
  };
  const capParts = (message: PartsMessage): PartsMessage => {
    if (limit === undefined) return message;
    for (const part of message.parts) {
      if (typeof part.content === 'string') part.content = cap(part.content);
      if (typeof part.response === 'string') part.response = cap(part.response);
      if (part.arguments !== undefined) part.arguments = capValue(part.arguments);
    }
    return message;
  };

  const operation = data.type === 'CHAT' ? GenAIOperation.CHAT : GenAIOperation.TEXT_COMPLETION;
  const attributes: SpanAttributes = {
    [GenAI.OPERATION_NAME]: operation,
    [Genspan.GENERATION_TYPE]: data.type,
  };
  if (data.provider) attributes[GenAI.PROVIDER_NAME] = data.provider;
  if (data.model) attributes[GenAI.REQUEST_MODEL] = data.model;
  if (data.id) attributes[Genspan.GENERATION_ID] = data.id;
  if (data.promptId) attributes[Genspan.PROMPT_ID] = data.promptId;

  if (!isEmptyObject(data.settings)) {
    const settings = redactSecrets(data.settings, options.redactKeys);
    for (const setting in settings) {
      const entry = requestSetting(setting);
      if (entry === undefined || entry.key in attributes) continue;
      const value = settingValue(settings[setting], entry.kind);
      if (value !== undefined) attributes[entry.key] = value;
    }
    attributes[Genspan.SETTINGS] = JSON.stringify(settings);
  }
  if (data.tools && data.tools.length > 0) attributes[GenAI.TOOL_DEFINITIONS] = JSON.stringify(data.tools.map(toolToDefinition));
  if (data.inputTokenCount != null) attributes[GenAI.USAGE_INPUT_TOKENS] = data.inputTokenCount;
  if (data.outputTokenCount != null) attributes[GenAI.USAGE_OUTPUT_TOKENS] = data.outputTokenCount;
  if (data.tokenCount != null) attributes[Genspan.TOKEN_COUNT] = data.tokenCount;
  if (data.ttFirstToken != null) {
    attributes[GenAI.RESPONSE_TIME_TO_FIRST_CHUNK] = data.ttFirstToken / 1000;
    attributes[Genspan.TT_FIRST_TOKEN] = data.ttFirstToken;
  }
  if (data.tokenThroughputInSeconds != null) attributes[Genspan.TOKEN_THROUGHPUT] = data.tokenThroughputInSeconds;
  if (data.duration != null) attributes[Genspan.DURATION] = data.duration;
  if (data.error) {
    attributes[Genspan.ERROR] = data.error;
    attributes[Otel.ERROR_TYPE] = Otel.ERROR_TYPE_OTHER;
  }
  if (data.tags.length > 0) attributes[Genspan.TAGS] = [...data.tags];
  if (!isEmptyObject(data.metadata)) attributes[Genspan.METADATA] = JSON.stringify(redactSecrets(data.metadata, options.redactKeys));

  if (capture) {
    if (data.type === 'COMPLETION') {
      if (data.prompt != null) {
        attributes[GenAI.INPUT_MESSAGES] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: cap(data.prompt) }] }]);
      }
      if (data.completion != null) {
        attributes[GenAI.OUTPUT_MESSAGES] = JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: cap(data.completion) }], finish_reason: finishReason(data, null) },
        ]);
      }
      if (data.template != null) attributes[Genspan.TEMPLATE] = cap(data.template);
    } else {
      let messages = data.messages;
      const first = messages[0];
      if (isPlainSystemMessage(first)) {
        attributes[GenAI.SYSTEM_INSTRUCTIONS] = JSON.stringify([{ type: 'text', content: cap(first.content) }]);
        messages = messages.slice(1);
      }
      if (messages.length > 0) attributes[GenAI.INPUT_MESSAGES] = JSON.stringify(messages.map((m) => capParts(messageToParts(m))));
      if (data.messageCompletion) {
        const output = { ...capParts(messageToParts(data.messageCompletion)), finish_reason: finishReason(data, data.messageCompletion) };
        attributes[GenAI.OUTPUT_MESSAGES] = JSON.stringify([output]);
      }
      if (data.template != null) {
        attributes[Genspan.TEMPLATE] = JSON.stringify(
          data.template.map((m) => (typeof m.content === 'string' ? { ...m, content: cap(m.content) } : m)),
        );
      }
    }
    if (data.template != null && data.templateFormat != null) attributes[Genspan.TEMPLATE_FORMAT] = data.templateFormat;
    if (!isEmptyObject(data.variables) || forceVariablesJSON) {
      // Each variable as `gen_ai.prompt.variable.<name>`; the JSON copy only when some value is not a string,
      // so the decoder can give back its type.
      // Redacted as settings are: a variable named like a credential may well hold one.
      const given = redactSecrets(data.variables, options.redactKeys);
      let allStrings = true;
      for (const [name, value] of Object.entries(given)) {
        if (typeof value === 'string') {
          attributes[GenAI.PROMPT_VARIABLE_PREFIX + name] = cap(value);
        } else {
          allStrings = false;
          const text = JSON.stringify(value);
          if (text !== undefined) attributes[GenAI.PROMPT_VARIABLE_PREFIX + name] = cap(text);
        }
      }
      if (!allStrings || forceVariablesJSON) {
        const variables: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(given)) variables[name] = capValue(value);
        attributes[Genspan.VARIABLES] = JSON.stringify(variables);
      }
    }
  }
  if (truncated) attributes[Genspan.CONTENT_TRUNCATED] = true;

  return { name: data.model ? `${operation} ${data.model}` : operation, attributes };
}
