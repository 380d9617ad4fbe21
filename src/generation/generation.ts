import type { z } from 'zod';
import {
  type ChatGenerationData,
  type ChatGenerationInput,
  ChatGenerationSchema,
  type CompletionGenerationData,
  type CompletionGenerationInput,
  CompletionGenerationSchema,
  type GenerationData,
  GenerationSchema,
  GenerationWireSchema,
} from './schema.js';

/** Raised for generation input that does not fit the model; the message names every bad field path. */
export class GenerationValidationError extends Error {
  readonly issues: readonly { path: string; message: string }[];

  constructor(what: string, issues: readonly z.core.$ZodIssue[]) {
    const listed = issues.map((issue) => ({
      path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
      message: issue.message,
    }));
    super(`Invalid ${what}: ${listed.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'GenerationValidationError';
    this.issues = listed;
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, what: string, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new GenerationValidationError(what, result.error.issues);
  return result.data;
}

/** Base JSON key order of Chainlit's `to_dict()`; `id` is written only when set, as there. */
const BASE_KEYS = [
  'promptId',
  'provider',
  'model',
  'error',
  'settings',
  'variables',
  'tags',
  'metadata',
  'tools',
  'tokenCount',
  'inputTokenCount',
  'outputTokenCount',
  'ttFirstToken',
  'tokenThroughputInSeconds',
  'duration',
] as const;

function wireJSON(data: GenerationData, ownKeys: readonly string[]): Record<string, unknown> {
  const source = data as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (data.id) out.id = data.id;
  for (const key of BASE_KEYS) out[key] = source[key] ?? null;
  for (const key of ownKeys) out[key] = source[key] ?? null;
  if (data.template != null) out.template = data.template;
  if (data.templateFormat != null) out.templateFormat = data.templateFormat;
  out.type = data.type;
  return out;
}

const COMPLETION_KEYS = ['prompt', 'completion'] as const;
const CHAT_KEYS = ['messages', 'messageCompletion'] as const;

export interface CompletionGeneration extends CompletionGenerationData {}
/** A single-prompt LLM call: `prompt` in, `completion` out. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its fields are the schema's type, set by Object.assign below.
export class CompletionGeneration {
  constructor(input: CompletionGenerationInput = {}) {
    // `type` goes first: zod's compiled object parser is several times faster when keys come in schema order.
    Object.assign(this, parseOrThrow(CompletionGenerationSchema, 'CompletionGeneration', { type: 'COMPLETION', ...input }));
  }

  /** The Chainlit / Literal AI wire JSON (`type: "COMPLETION"`). */
  toJSON(): Record<string, unknown> {
    return wireJSON(this, COMPLETION_KEYS);
  }
}

export interface ChatGeneration extends ChatGenerationData {}
/** A chat LLM call: `messages` in, `messageCompletion` out. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its fields are the schema's type, set by Object.assign below.
export class ChatGeneration {
  constructor(input: ChatGenerationInput = {}) {
    Object.assign(this, parseOrThrow(ChatGenerationSchema, 'ChatGeneration', { type: 'CHAT', ...input }));
  }

  /** The Chainlit / Literal AI wire JSON (`type: "CHAT"`). */
  toJSON(): Record<string, unknown> {
    return wireJSON(this, CHAT_KEYS);
  }
}

export type Generation = CompletionGeneration | ChatGeneration;

/** Reads Chainlit / Literal AI wire JSON (an object or a JSON string) back into a generation, dispatching on `type`. */
export function generationFromJSON(value: unknown): Generation {
  let parsedValue = value;
  if (typeof value === 'string') {
    try {
      parsedValue = JSON.parse(value);
    } catch (error) {
      throw new GenerationValidationError('generation JSON', [
        { code: 'custom', path: [], message: `not valid JSON (${(error as Error).message})`, input: value },
      ]);
    }
  }
  const data = parseOrThrow(GenerationWireSchema, 'generation JSON', parsedValue);
  return data.type === 'CHAT' ? new ChatGeneration(data) : new CompletionGeneration(data);
}

/** Validates plain generation data against the generation model. */
export function checkGeneration(data: unknown): z.ZodSafeParseResult<GenerationData> {
  return GenerationSchema.safeParse(data);
}

export interface WireJSONOptions {
  /**
   * The data already passed `checkGeneration` (the translator says so of what it checked): it is not validated again.
   * Validation copies every object and array, which costs more than the rest of building a record.
   */
  checked?: boolean;
}

/** The wire JSON of plain generation data, validating it unless `options.checked` says that was done. */
export function generationWireJSON(data: GenerationData, options: WireJSONOptions = {}): Record<string, unknown> {
  if (options.checked) return wireJSON(data, data.type === 'CHAT' ? CHAT_KEYS : COMPLETION_KEYS);
  return toGeneration(data).toJSON();
}

/** Turns plain generation data (as the translator builds it) into a generation instance, validating it. */
export function toGeneration(data: GenerationData | Generation): Generation {
  if (data instanceof CompletionGeneration || data instanceof ChatGeneration) return data;
  return data.type === 'CHAT' ? new ChatGeneration(data) : new CompletionGeneration(data);
}
