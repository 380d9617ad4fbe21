import { z } from 'zod';
import { GenerationWireSchema } from './schema.js';
import { StatusCode } from './status.js';

/** The conventions a generation can be read from: the `source` of its record. */
export const TRANSLATION_SOURCES = [
  'genspan',
  'genai',
  'genai-events',
  'openllmetry',
  'openllmetry-legacy',
  'openinference',
  'vercel-ai',
  'vercel-ai-otel',
  'langfuse',
  /** Imported from Literal AI step dictionaries (`genspan import`). */
  'literal',
  /** Imported from Chainlit's `Step.to_dict()` dictionaries. */
  'chainlit',
] as const;

export const TranslationSourceSchema = z.enum(TRANSLATION_SOURCES);

/** Which convention a generation was read from. */
export type TranslationSource = z.infer<typeof TranslationSourceSchema>;

/** Where a record's cost came from: the span's own cost attributes, or its tokens priced by the price table. */
export const COST_SOURCES = ['span', 'price-table'] as const;

/**
 * Whether a cost figure is one a record may hold, an amount of money: finite and never negative. The one rule every
 * cost (span, price table, stored) is held to; plain code, since it runs for every record built.
 */
export function isCostFigure(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** An amount of money; a figure breaking `isCostFigure` is no cost at all. */
const usd = z.number().refine(isCostFigure, 'must be a finite, non-negative amount');

/** What a generation cost, in `currency` (genspan's price tables are USD). */
export const CostSchema = z.object({
  /** The input's part (cached input included); null when a span gave only a total. */
  input: usd.nullable(),
  output: usd.nullable(),
  total: usd,
  currency: z.string().min(1).max(16),
  source: z.enum(COST_SOURCES),
});

export type Cost = z.infer<typeof CostSchema>;

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not an ISO-8601 time');
const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `${length} hex characters`);

/**
 * A generation record: the generation's wire JSON plus where it came from. The unit every store writes, the REST
 * API returns and the JSON Lines export holds, one per line. Records read from outside (an import, a request body)
 * are validated with this schema; the generation must be valid wire JSON.
 */
export const GenerationRecordSchema = z.object({
  /** Record id: a UUID derived from (traceId, spanId), so the same span always gets the same id. */
  id: z.string().min(1),
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: hex(16).nullable(),
  serviceName: z.string().nullable(),
  scope: z.object({ name: z.string(), version: z.string().nullish() }),
  source: TranslationSourceSchema,
  /** ISO-8601 UTC, e.g. `2026-11-24T21:31:00.123Z`. */
  startTime: isoTime,
  endTime: isoTime,
  /** OTLP numbering: 0 unset, 1 ok, 2 error. */
  status: z.object({ code: z.number().int().min(StatusCode.UNSET).max(StatusCode.ERROR), message: z.string().nullish() }),
  /**
   * What the call cost, when known: the span's cost attributes, else its tokens at the price table's prices. Null
   * when neither is known (a model without a price, no token counts); absent in records of older genspan versions.
   */
  cost: CostSchema.nullable().default(null),
  /** What the translator found present but unreadable. */
  warnings: z.array(z.string()),
  /**
   * The Chainlit / Literal AI wire JSON (`type: "COMPLETION" | "CHAT"`, camelCase keys), read as `generationFromJSON`
   * reads it: the fields it has come back as read (null collections empty, tools and tool calls in the OpenAI shape),
   * plus a detected `templateFormat`; fields it lacks stay absent.
   */
  generation: z.record(z.string(), z.unknown()).transform((value, context) => {
    const parsed = GenerationWireSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    const read = parsed.data as Record<string, unknown>;
    const out: Record<string, unknown> = { ...value };
    for (const key of Object.keys(value)) if (Object.hasOwn(read, key)) out[key] = read[key];
    if (read.templateFormat != null) out.templateFormat = read.templateFormat;
    return out;
  }),
});

export type GenerationRecord = z.infer<typeof GenerationRecordSchema>;
