import { checkGeneration } from '../../generation/generation.js';
import type { GenerationData, GenerationMessage } from '../../generation/schema.js';
import { TEMPLATE_FORMATS } from '../../generation/template.js';
import { SUPERSEDED_VALUE } from '../../semconv/encode.js';
import { GenAI, Genspan, StatusCode } from '../../semconv/keys.js';
import { messageFromParts, type PartsMessage } from '../../semconv/messages.js';
import { spanDuration, type TranslationContext } from '../draft.js';
import { instructionsFrom, textOf } from '../messages.js';
import { type Attributes, countValue, isRecord, jsonValue, numberValue, prefixed, stringListValue, stringValue } from '../read.js';
import { toolDefinitionsFrom } from './genai.js';

/**
 * genspan's own encoding (`encodeGeneration`, span-conventions.md §9 "emit side"), decoded exactly: the `genspan.*`
 * keys carry what the GenAI keys cannot (the generation's id, every setting, typed variables, the template). Values
 * are read with the same total readers as every other convention, as a span claiming this encoding can still be
 * forged or damaged.
 */

export interface DecodeResult {
  generation: GenerationData;
  warnings: string[];
}

/** Span facts the decoder uses besides attributes. */
export interface DecodeContext {
  /** Span status message when the status is ERROR. */
  errorMessage?: string;
}

/** True when the attributes were written by genspan's encoder. */
export function isGenspanEncoded(attributes: Attributes): boolean {
  const type = attributes[Genspan.GENERATION_TYPE];
  return type === 'CHAT' || type === 'COMPLETION';
}

/** An attribute's value; one a later encoding of the span superseded (see `SUPERSEDED_VALUE`) is absent. */
function ownValue(attributes: Attributes, key: string): unknown {
  const value = attributes[key];
  return value === SUPERSEDED_VALUE ? undefined : value;
}

function jsonObject(attributes: Attributes, key: string, warnings: string[]): Record<string, unknown> {
  const value = jsonValue(ownValue(attributes, key), key, warnings);
  if (value === undefined) return {};
  if (isRecord(value)) return value;
  warnings.push(`${key}: expected a JSON object`);
  return {};
}

function partsMessages(attributes: Attributes, key: string, warnings: string[]): GenerationMessage[] {
  const value = jsonValue(ownValue(attributes, key), key, warnings);
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    warnings.push(`${key}: expected a JSON array of messages`);
    return [];
  }
  const messages: GenerationMessage[] = [];
  for (const item of value) if (isRecord(item) && Array.isArray(item.parts)) messages.push(messageFromParts(item as PartsMessage));
  return messages;
}

/** The inverse of `encodeGeneration`. Pure and total: a value that cannot be read becomes a warning and a missing field. */
export function decodeGeneration(attributes: Attributes, context: DecodeContext = {}): DecodeResult {
  const warnings: string[] = [];
  const type = attributes[Genspan.GENERATION_TYPE] === 'COMPLETION' ? 'COMPLETION' : 'CHAT';
  const string = (key: string): string | null => stringValue(ownValue(attributes, key), key, warnings) ?? null;
  const count = (key: string): number | null => countValue(ownValue(attributes, key), key, warnings) ?? null;
  const number = (key: string): number | null => numberValue(ownValue(attributes, key), key, warnings) ?? null;
  const toolDefinitions = ownValue(attributes, GenAI.TOOL_DEFINITIONS);

  // One object literal, fields added in place: spreading a base object into a literal was several times slower.
  const generation: Record<string, unknown> = {
    type,
    id: string(Genspan.GENERATION_ID),
    promptId: string(Genspan.PROMPT_ID),
    provider: string(GenAI.PROVIDER_NAME),
    model: string(GenAI.REQUEST_MODEL),
    error: string(Genspan.ERROR) ?? context.errorMessage ?? null,
    settings: jsonObject(attributes, Genspan.SETTINGS, warnings),
    // Each variable is also `gen_ai.prompt.variable.<name>`; the JSON copy, when written, keeps their types.
    variables:
      Genspan.VARIABLES in attributes
        ? jsonObject(attributes, Genspan.VARIABLES, warnings)
        : (prefixed(attributes, Object.keys(attributes), GenAI.PROMPT_VARIABLE_PREFIX, warnings) ?? {}),
    tags: stringListValue(ownValue(attributes, Genspan.TAGS), Genspan.TAGS, warnings) ?? [],
    metadata: jsonObject(attributes, Genspan.METADATA, warnings),
    tools: toolDefinitions === undefined ? null : (toolDefinitionsFrom(toolDefinitions, warnings) ?? null),
    tokenCount: count(Genspan.TOKEN_COUNT),
    inputTokenCount: count(GenAI.USAGE_INPUT_TOKENS),
    outputTokenCount: count(GenAI.USAGE_OUTPUT_TOKENS),
    ttFirstToken: number(Genspan.TT_FIRST_TOKEN),
    tokenThroughputInSeconds: number(Genspan.TOKEN_THROUGHPUT),
    duration: number(Genspan.DURATION),
    template: null,
  };

  const input = partsMessages(attributes, GenAI.INPUT_MESSAGES, warnings);
  const output = partsMessages(attributes, GenAI.OUTPUT_MESSAGES, warnings);
  const templateFormat = string(Genspan.TEMPLATE_FORMAT);
  if (templateFormat !== null) {
    if ((TEMPLATE_FORMATS as readonly string[]).includes(templateFormat)) generation.templateFormat = templateFormat;
    else warnings.push(`${Genspan.TEMPLATE_FORMAT}: "${templateFormat}" is not a template format (${TEMPLATE_FORMATS.join(', ')})`);
  }
  if (type === 'COMPLETION') {
    generation.template = string(Genspan.TEMPLATE);
    generation.prompt = textOf(input[0]) ?? null;
    generation.completion = textOf(output[0]) ?? null;
    return { warnings, generation: generation as GenerationData };
  }
  // Written only for a plain first system message, so it goes first even when the next message is a system one too.
  const instructions = instructionsFrom(
    jsonValue(ownValue(attributes, GenAI.SYSTEM_INSTRUCTIONS), GenAI.SYSTEM_INSTRUCTIONS, warnings),
    GenAI.SYSTEM_INSTRUCTIONS,
    warnings,
  );
  const template = jsonValue(ownValue(attributes, Genspan.TEMPLATE), Genspan.TEMPLATE, warnings);
  generation.template = Array.isArray(template) ? (template.filter(isRecord) as GenerationMessage[]) : null;
  generation.messages = instructions ? [instructions, ...input] : input;
  generation.messageCompletion = output[0] ?? null;
  return { warnings, generation: generation as GenerationData };
}

/** Field defaults a decoded field falls back to when it does not fit the generation model. */
const FIELD_DEFAULTS: ReadonlyMap<string, () => unknown> = new Map<string, () => unknown>([
  ['settings', () => ({})],
  ['variables', () => ({})],
  ['metadata', () => ({})],
  ['tags', () => []],
  ['messages', () => []],
]);

/**
 * Makes a decoded generation fit the generation model: each field that fails the schema (a negative count from a
 * damaged span, a message of the wrong shape) is reset with a warning, so the rest of the generation is kept.
 * (The other conventions' readers build each field with the type the model wants, so their output needs no such pass.)
 * Returns whether the generation now fits, as checked.
 */
function fitToModel(generation: GenerationData, warnings: string[]): boolean {
  const checked = checkGeneration(generation);
  if (checked.success) return true;
  const fields = generation as unknown as Record<string, unknown>;
  for (const field of new Set(checked.error.issues.map((issue) => String(issue.path[0])))) {
    warnings.push(`genspan: ${field} does not fit the generation model, left out`);
    fields[field] = FIELD_DEFAULTS.get(field)?.() ?? null;
  }
  return checkGeneration(generation).success;
}

/**
 * The convention reader of genspan's own spans: the decoded generation, with the span's duration when the encoding
 * gave none, fitted to the generation model; `checked` tells whether it now fits (it does unless a reset failed).
 */
export function readGenspan(context: TranslationContext): { generation: GenerationData; checked: boolean } {
  const { span, attributes, warnings } = context;
  const message = span.status.message;
  const errorMessage = span.status.code === StatusCode.ERROR && typeof message === 'string' && message !== '' ? message : undefined;
  const decoded = decodeGeneration(attributes, { errorMessage });
  warnings.push(...decoded.warnings);
  const generation = decoded.generation;
  if (generation.duration == null) generation.duration = spanDuration(span) ?? null;
  return { generation, checked: fitToModel(generation, warnings) };
}
