import { z } from 'zod';

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

export const ToolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string().optional() }).optional(),
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

/** A tool definition in the OpenAI shape `{type: "function", function: {name, description, parameters}}`. */
export const ToolSchema = z.looseObject({
  type: z.string(),
  function: z
    .looseObject({
      name: z.string(),
      description: z.string().nullish(),
      parameters: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
});

const jsonObject = z.record(z.string(), z.unknown());

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
  prompt: z.string().nullish(),
  completion: z.string().nullish(),
});

export const ChatGenerationSchema = z.object({
  ...baseShape,
  type: z.literal('CHAT'),
  /** genspan's addition: the unformatted messages, with `{variable}` placeholders. */
  template: z.array(GenerationMessageSchema).nullish(),
  messages: z.array(GenerationMessageSchema).default([]),
  messageCompletion: GenerationMessageSchema.nullish(),
});

export const GenerationSchema = z.discriminatedUnion('type', [CompletionGenerationSchema, ChatGenerationSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected "COMPLETION" or "CHAT"' : undefined),
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
