import { z } from 'zod';
import { detectTemplateFormat, TEMPLATE_FORMATS } from './template.js';

/**
 * The generation model of Chainlit / Literal AI, defined once here.
 * Wire keys, value shapes and units follow `literalai/observability/generation.py`
 * (see shared/reference/generation-model-and-playgrounds.md §1):
 * ttFirstToken in milliseconds, duration in seconds, throughput in tokens per second.
 */

const finiteNonNegative = z.number().finite().nonnegative();
const tokenCount = z.number().int().nonnegative();

export const TextContentSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const ImageUrlContentSchema = z.looseObject({
  type: z.literal('image_url'),
  // A dict `{url, detail?}` in Python, a plain string in the TypeScript client: both are accepted.
  image_url: z.union([z.string(), z.looseObject({ url: z.string() })]),
});
/** Any other content part (audio, files...) is kept as it came. */
export const OtherContentSchema = z.looseObject({ type: z.string() });
export const ContentPartSchema = z.union([TextContentSchema, ImageUrlContentSchema, OtherContentSchema]);

const jsonObject = z.record(z.string(), z.unknown());

/**
 * A tool call's arguments are a JSON string in the OpenAI shape; Literal's LangChain callback writes an object for
 * Anthropic's tool use (`tool_use.input`), read here as its JSON.
 */
const ToolCallArgumentsSchema = z.union([z.string(), jsonObject.transform((value) => JSON.stringify(value))]);

export const ToolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: ToolCallArgumentsSchema.optional() }).optional(),
});

/** An OpenAI-shaped message; snake_case keys exactly as in Chainlit and the OpenAI API. */
export const GenerationMessageSchema = z.looseObject({
  uuid: z.string().nullish(),
  templated: z.boolean().nullish(),
  name: z.string().nullish(),
  role: z.string().nullish(),
  content: z.union([z.string(), z.array(ContentPartSchema)]).nullish(),
  function_call: z.record(z.string(), z.unknown()).nullish(),
  tool_calls: z.array(ToolCallSchema).nullish(),
  tool_call_id: z.string().nullish(),
});

const OpenAIToolSchema = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string(),
      description: z.string().nullish(),
      parameters: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
});

/** A tool without `type`: Anthropic's `{name, description, input_schema}`, or a bare function `{name, parameters}`. */
const TypelessToolSchema = z
  .object({
    name: z.string(),
    description: z.string().nullish(),
    input_schema: jsonObject.nullish(),
    parameters: jsonObject.nullish(),
  })
  .transform(({ name, description, input_schema, parameters }) => {
    const fn: z.infer<typeof OpenAIToolSchema>['function'] = { name };
    if (description != null) fn.description = description;
    const schema = input_schema ?? parameters;
    if (schema != null) fn.parameters = schema;
    return { type: 'function', function: fn } as z.infer<typeof OpenAIToolSchema>;
  });

/**
 * A tool definition, written in the OpenAI shape `{type: "function", function: {name, description, parameters}}`;
 * one without `type` (Anthropic's) is read into that shape.
 */
export const ToolSchema = z.union([OpenAIToolSchema, TypelessToolSchema]);

/** How a generation's `template` marks its variables: `{name}` (genspan's default) or Literal AI's `{{name}}`. */
export const TemplateFormatSchema = z.enum(TEMPLATE_FORMATS);

const baseShape = {
  id: z.string().nullish(),
  promptId: z.string().nullish(),
  provider: z.string().nullish(),
  model: z.string().nullish(),
  error: z.string().nullish(),
  settings: jsonObject.default({}),
  variables: jsonObject.default({}),
  tags: z.array(z.string()).default([]),
  metadata: jsonObject.default({}),
  tools: z.array(ToolSchema).nullish(),
  tokenCount: tokenCount.nullish(),
  inputTokenCount: tokenCount.nullish(),
  outputTokenCount: tokenCount.nullish(),
  ttFirstToken: finiteNonNegative.nullish(),
  tokenThroughputInSeconds: finiteNonNegative.nullish(),
  duration: finiteNonNegative.nullish(),
};

export const CompletionGenerationSchema = z.object({
  ...baseShape,
  type: z.literal('COMPLETION'),
  /** genspan's addition: the unformatted prompt, with `{variable}` placeholders. */
  template: z.string().nullish(),
  /** genspan's addition: how `template` marks variables; null reads as `f-string`. */
  templateFormat: TemplateFormatSchema.nullish(),
  prompt: z.string().nullish(),
  completion: z.string().nullish(),
});

export const ChatGenerationSchema = z.object({
  ...baseShape,
  type: z.literal('CHAT'),
  /** genspan's addition: the unformatted messages, with `{variable}` placeholders. */
  template: z.array(GenerationMessageSchema).nullish(),
  /** genspan's addition: how `template` marks variables; null reads as `f-string`. */
  templateFormat: TemplateFormatSchema.nullish(),
  messages: z.array(GenerationMessageSchema).default([]),
  messageCompletion: GenerationMessageSchema.nullish(),
});

export const GenerationSchema = z.discriminatedUnion('type', [CompletionGenerationSchema, ChatGenerationSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected "COMPLETION" or "CHAT"' : undefined),
});

/** Fields Chainlit's Python model declares `Optional` where genspan keeps an empty object or list. */
const OPTIONAL_COLLECTIONS = ['settings', 'variables', 'tags', 'metadata', 'messages'] as const;

/** Literal AI writes null in those fields for sparse generations: read as absent, so the empty defaults apply. */
function withoutOptionalNulls(value: unknown): unknown {
  if (
    typeof value !== 'object' ||
    value === null ||
    !OPTIONAL_COLLECTIONS.some((key) => (value as Record<string, unknown>)[key] === null)
  ) {
    return value;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of OPTIONAL_COLLECTIONS) if (copy[key] === null) delete copy[key];
  return copy;
}

/**
 * Generation wire JSON as it comes from outside (an import, a request body, `generationFromJSON`): the one reader
 * of all of them, so what one accepts the others do. A template that does not say its format is marked Mustache when
 * its text and variables leave no doubt (`detectTemplateFormat`).
 */
export const GenerationWireSchema = z.preprocess(withoutOptionalNulls, GenerationSchema).transform((data) => {
  if (data.template == null || data.templateFormat != null) return data;
  // Only a format other than the default is worth writing: an absent one already reads as f-string.
  return detectTemplateFormat(data.template, data.variables) === 'mustache' ? { ...data, templateFormat: 'mustache' as const } : data;
});

export type GenerationMessage = z.infer<typeof GenerationMessageSchema>;
export type ContentPart = z.infer<typeof ContentPartSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type Tool = z.infer<typeof ToolSchema>;
/** A CompletionGeneration as plain data (the wire JSON once parsed). */
export type CompletionGenerationData = z.infer<typeof CompletionGenerationSchema>;
/** A ChatGeneration as plain data (the wire JSON once parsed). */
export type ChatGenerationData = z.infer<typeof ChatGenerationSchema>;
export type GenerationData = CompletionGenerationData | ChatGenerationData;
export type GenerationType = GenerationData['type'];
/** What a constructor accepts: every field optional, `type` implied by the class. */
export type CompletionGenerationInput = Omit<z.input<typeof CompletionGenerationSchema>, 'type'> & { type?: 'COMPLETION' };
export type ChatGenerationInput = Omit<z.input<typeof ChatGenerationSchema>, 'type'> & { type?: 'CHAT' };
