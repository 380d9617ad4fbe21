import { z } from 'zod';
import { ListFilterSchema } from './filter.js';
import { GenerationMessageSchema, ToolSchema } from './schema.js';
import { MAX_VARIANTS, withResponseFormat } from './variant.js';

/**
 * Experiments: a set of stored source generations (chosen by the list's filter, or by ids) replayed through one or
 * more variants. Each result is a generation record of its own, linked to its source and its experiment.
 */

/** How many source generations one experiment replays at most. */
export const MAX_EXPERIMENT_SOURCES = 1000;

export const EXPERIMENT_STATUSES = ['pending', 'running', 'cancelled', 'finished', 'failed'] as const;
export const ExperimentStatusSchema = z.enum(EXPERIMENT_STATUSES);
export type ExperimentStatus = z.infer<typeof ExperimentStatusSchema>;

/** An experiment in these states is not running and never will again. */
export const SETTLED_STATUSES: ReadonlySet<ExperimentStatus> = new Set(['cancelled', 'finished', 'failed']);

const jsonObject = z.record(z.string(), z.unknown());

/**
 * A variant, in the shapes a re-run's edit uses: the provider (by name) and model, settings laid over the source's,
 * and optionally a template (with variables laid over the source's) or the messages, the tools, and a JSON schema
 * response format (the `json_schema` member, or a bare schema; null removes the source's).
 */
export const ExperimentVariantSchema = z.object({
  provider: z.string().trim().min(1, { error: 'must name a configured provider' }),
  model: z.string().trim().min(1, { error: 'must not be empty' }),
  settings: jsonObject.default({}),
  template: z.union([z.string(), z.array(GenerationMessageSchema)]).nullish(),
  variables: jsonObject.optional(),
  messages: z.array(GenerationMessageSchema).optional(),
  tools: z.array(ToolSchema).nullish(),
  responseFormat: jsonObject.nullish(),
});
export type ExperimentVariant = z.infer<typeof ExperimentVariantSchema>;

const sourceIds = z
  .array(z.string().min(1))
  .min(1, { error: 'must name at least one generation' })
  .max(MAX_EXPERIMENT_SOURCES, { error: `must name at most ${MAX_EXPERIMENT_SOURCES} generations` });

/** The source generations: ids, or the list's filter (`limit`: the newest that many; without it, every match). */
export const ExperimentSourceSchema = z.union([
  z.strictObject({ ids: sourceIds }),
  z.strictObject({ filter: ListFilterSchema.omit({ cursor: true }) }),
]);
export type ExperimentSource = z.infer<typeof ExperimentSourceSchema>;

const concurrencyMessage = 'must be a whole number of 1 or more';
/** Calls this experiment makes at once, within the server's limit per provider. */
const ExperimentConcurrencySchema = z
  .number({ error: concurrencyMessage })
  .int({ error: concurrencyMessage })
  .min(1, { error: concurrencyMessage })
  .optional();

/** `POST /api/experiments`' body. */
export const ExperimentRequestSchema = z.object({
  name: z.string().trim().max(200).optional(),
  source: ExperimentSourceSchema,
  concurrency: ExperimentConcurrencySchema,
  variants: z
    .array(ExperimentVariantSchema)
    .min(1, { error: 'must hold at least one variant' })
    .max(MAX_VARIANTS, { error: `must hold at most ${MAX_VARIANTS} variants` }),
});
export type ExperimentRequest = z.input<typeof ExperimentRequestSchema>;

/** What is stored of an experiment, apart from its status and results. */
export const ExperimentDefinitionSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  /** ISO-8601 UTC. */
  createdTime: z.string(),
  source: ExperimentSourceSchema,
  /** The sources the selection found when the experiment was created, newest first: what it runs, resumed or not. */
  sourceIds: z.array(z.string()),
  variants: z.array(ExperimentVariantSchema),
  concurrency: ExperimentConcurrencySchema,
});
export type ExperimentDefinition = z.infer<typeof ExperimentDefinitionSchema>;

/** Results counted so far: `total` is sources × variants. */
export interface ExperimentProgress {
  total: number;
  done: number;
  errors: number;
}

/** An experiment as stored and listed. */
export interface Experiment extends ExperimentDefinition {
  status: ExperimentStatus;
  /** Why the experiment failed as a whole (a store failure...), else null. Per-result errors are in the results. */
  error: string | null;
  progress: ExperimentProgress;
}

/** One result: a source run through one variant. Stored once per (experiment, source, variant). */
export const ExperimentResultSchema = z.object({
  experimentId: z.string().min(1),
  sourceId: z.string().min(1),
  variant: z.number().int().nonnegative(),
  /** The result's generation record, or null when none could be made (the source is gone, the variant cannot run it). */
  generationId: z.string().nullable(),
  /** The result's error (the provider's, or why it could not run), else null. */
  error: z.string().nullable(),
});
export type ExperimentResult = z.infer<typeof ExperimentResultSchema>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The edit a variant makes of a source generation (its wire JSON), as a re-run takes it: model and settings laid over
 * the source's, then the template or messages, tools and response format when the variant sets them. Pure.
 */
export function variantEdit(source: Readonly<Record<string, unknown>>, variant: ExperimentVariant): Record<string, unknown> {
  const sourceSettings = isObject(source.settings) ? source.settings : {};
  let settings: Record<string, unknown> = { ...sourceSettings, ...variant.settings, model: variant.model };
  if (variant.responseFormat === null) delete settings.response_format;
  else if (variant.responseFormat !== undefined) settings = withResponseFormat(settings, variant.responseFormat);
  const edit: Record<string, unknown> = { ...source, model: variant.model, settings };
  if (variant.variables !== undefined) edit.variables = { ...(isObject(source.variables) ? source.variables : {}), ...variant.variables };
  if (variant.template != null) edit.template = variant.template;
  else if (variant.messages !== undefined) {
    edit.messages = variant.messages;
    edit.template = null;
  }
  if (variant.tools !== undefined) edit.tools = variant.tools;
  return edit;
}
