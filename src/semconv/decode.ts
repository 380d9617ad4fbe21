import type { GenerationData, GenerationMessage, Tool } from '../generation/schema.js';
import { SUPERSEDED_VALUE } from './encode.js';
import { GenAI, Genspan } from './keys.js';
import { isRecord, messageFromParts, type PartsMessage, toolFromDefinition } from './messages.js';

/**
 * The inverse of `encodeGeneration`: genspan's own attributes back into generation data, exactly.
 * Pure and total: a value that cannot be read becomes a warning and a missing field, never an exception.
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

/** Parses a JSON-valued attribute, or passes a structured value through; records a warning when unreadable. */
export function readJson(attributes: Readonly<Record<string, unknown>>, key: string, warnings: string[]): unknown {
  const value = attributes[key];
  if (value === undefined || value === null || value === SUPERSEDED_VALUE) return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    warnings.push(`${key}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}

function readString(attributes: Readonly<Record<string, unknown>>, key: string): string | null {
  const value = attributes[key];
  return typeof value === 'string' && value !== SUPERSEDED_VALUE ? value : null;
}

function readCount(attributes: Readonly<Record<string, unknown>>, key: string, warnings: string[]): number | null {
  const value = attributes[key];
  if (value === undefined || value === null || value === SUPERSEDED_VALUE) return null;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= 0) return number;
  warnings.push(`${key}: expected a non-negative integer, got ${JSON.stringify(value)?.slice(0, 80)}`);
  return null;
}

function readNumber(attributes: Readonly<Record<string, unknown>>, key: string, warnings: string[]): number | null {
  const value = attributes[key];
  if (value === undefined || value === null || value === SUPERSEDED_VALUE) return null;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number) && number >= 0) return number;
  warnings.push(`${key}: expected a non-negative number, got ${JSON.stringify(value)?.slice(0, 80)}`);
  return null;
}

function readObject(attributes: Readonly<Record<string, unknown>>, key: string, warnings: string[]): Record<string, unknown> {
  const value = readJson(attributes, key, warnings);
  if (value === undefined) return {};
  if (isRecord(value)) return value;
  warnings.push(`${key}: expected a JSON object`);
  return {};
}

/** `gen_ai.prompt.variable.<name>` attributes, each a string. */
export function readPromptVariables(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const key in attributes) {
    if (!key.startsWith(GenAI.PROMPT_VARIABLE_PREFIX)) continue;
    const value = attributes[key];
    const name = key.slice(GenAI.PROMPT_VARIABLE_PREFIX.length);
    if (typeof value === 'string' && name !== '__proto__') variables[name] = value;
  }
  return variables;
}

function readPartsMessages(attributes: Readonly<Record<string, unknown>>, key: string, warnings: string[]): PartsMessage[] {
  const value = readJson(attributes, key, warnings);
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    warnings.push(`${key}: expected a JSON array of messages`);
    return [];
  }
  return value.filter((item): item is PartsMessage => isRecord(item) && Array.isArray(item.parts));
}

function textOf(message: PartsMessage | undefined): string | null {
  if (!message) return null;
  const texts = message.parts.filter((p) => p.type === 'text').map((p) => (typeof p.content === 'string' ? p.content : ''));
  return texts.length > 0 ? texts.join('') : null;
}

/** True when the attributes were written by genspan's encoder. */
export function isGenspanEncoded(attributes: Readonly<Record<string, unknown>>): boolean {
  const type = attributes[Genspan.GENERATION_TYPE];
  return type === 'CHAT' || type === 'COMPLETION';
}

export function decodeGeneration(attributes: Readonly<Record<string, unknown>>, context: DecodeContext = {}): DecodeResult {
  const warnings: string[] = [];
  const type = attributes[Genspan.GENERATION_TYPE] === 'COMPLETION' ? 'COMPLETION' : 'CHAT';
  const tags = attributes[Genspan.TAGS];
  const toolDefinitions = readJson(attributes, GenAI.TOOL_DEFINITIONS, warnings);
  let tools: Tool[] | null = null;
  if (Array.isArray(toolDefinitions)) tools = toolDefinitions.filter(isRecord).map(toolFromDefinition);
  else if (toolDefinitions !== undefined) warnings.push(`${GenAI.TOOL_DEFINITIONS}: expected a JSON array`);

  // One object literal, fields added in place: spreading a base object into a literal was several times slower.
  const generation: Record<string, unknown> = {
    type,
    id: readString(attributes, Genspan.GENERATION_ID),
    promptId: readString(attributes, Genspan.PROMPT_ID),
    provider: readString(attributes, GenAI.PROVIDER_NAME),
    model: readString(attributes, GenAI.REQUEST_MODEL),
    error: readString(attributes, Genspan.ERROR) ?? context.errorMessage ?? null,
    settings: readObject(attributes, Genspan.SETTINGS, warnings),
    variables: Genspan.VARIABLES in attributes ? readObject(attributes, Genspan.VARIABLES, warnings) : readPromptVariables(attributes),
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
    metadata: readObject(attributes, Genspan.METADATA, warnings),
    tools,
    tokenCount: readCount(attributes, Genspan.TOKEN_COUNT, warnings),
    inputTokenCount: readCount(attributes, GenAI.USAGE_INPUT_TOKENS, warnings),
    outputTokenCount: readCount(attributes, GenAI.USAGE_OUTPUT_TOKENS, warnings),
    ttFirstToken: readNumber(attributes, Genspan.TT_FIRST_TOKEN, warnings),
    tokenThroughputInSeconds: readNumber(attributes, Genspan.TOKEN_THROUGHPUT, warnings),
    duration: readNumber(attributes, Genspan.DURATION, warnings),
    template: null,
  };

  const input = readPartsMessages(attributes, GenAI.INPUT_MESSAGES, warnings);
  const output = readPartsMessages(attributes, GenAI.OUTPUT_MESSAGES, warnings);
  if (type === 'COMPLETION') {
    generation.template = readString(attributes, Genspan.TEMPLATE);
    generation.prompt = textOf(input[0]);
    generation.completion = textOf(output[0]);
    return { warnings, generation: generation as GenerationData };
  }

  const messages: GenerationMessage[] = [];
  const instructions = readJson(attributes, GenAI.SYSTEM_INSTRUCTIONS, warnings);
  if (Array.isArray(instructions)) {
    const text = instructions
      .filter((p): p is Record<string, unknown> => isRecord(p) && p.type === 'text')
      .map((p) => String(p.content ?? ''))
      .join('\n');
    messages.push({ role: 'system', content: text });
  } else if (typeof instructions === 'string') {
    messages.push({ role: 'system', content: instructions });
  }
  for (const message of input) messages.push(messageFromParts(message));
  const template = readJson(attributes, Genspan.TEMPLATE, warnings);
  generation.template = Array.isArray(template) ? (template.filter(isRecord) as GenerationMessage[]) : null;
  generation.messages = messages;
  generation.messageCompletion = output[0] ? messageFromParts(output[0]) : null;
  return { warnings, generation: generation as GenerationData };
}
