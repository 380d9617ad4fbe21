import { COST_CURRENCY, type PriceTable, priceOf, tokenCost } from '../generation/prices.js';
import { type Cost, type GenerationRecord, isCostFigure } from '../generation/record.js';
import { GenerationMetadata } from '../semconv/keys.js';
import type { SpanCost } from '../translate/draft.js';

/** The fields of a generation (wire JSON) its cost is computed from. */
interface CostedGeneration {
  model?: unknown;
  inputTokenCount?: unknown;
  outputTokenCount?: unknown;
  metadata?: unknown;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * What a generation cost: the span's own figure when its instrumentation recorded one, else its input and output
 * tokens (cache reads apart, from metadata `cache_read_input_tokens`) at the price table's prices for its model.
 * Null when the model has no price, a token count is missing, or a figure is not a cost a record may hold
 * (`isCostFigure`). Pure: the price table is given.
 */
export function generationCost(generation: CostedGeneration, prices: PriceTable, spanCost?: SpanCost): Cost | null {
  if (spanCost?.total !== undefined && [spanCost.input, spanCost.output, spanCost.total].every((f) => f === undefined || isCostFigure(f))) {
    return {
      input: spanCost.input ?? null,
      output: spanCost.output ?? null,
      total: spanCost.total,
      currency: COST_CURRENCY,
      source: 'span',
    };
  }
  const inputTokens = count(generation.inputTokenCount);
  const outputTokens = count(generation.outputTokenCount);
  if (inputTokens === undefined || outputTokens === undefined) return null;
  const price = priceOf(prices, typeof generation.model === 'string' ? generation.model : undefined);
  if (!price) return null;
  const metadata = generation.metadata;
  const cached =
    metadata !== null && typeof metadata === 'object'
      ? count((metadata as Record<string, unknown>)[GenerationMetadata.CACHE_READ_INPUT_TOKENS])
      : undefined;
  const cost = tokenCost(price, { inputTokens, outputTokens, cachedInputTokens: cached });
  // Token counts near the largest double times a price overflow: no cost rather than an infinite one.
  if (![cost.input, cost.output, cost.total].every(isCostFigure)) return null;
  return { ...cost, currency: COST_CURRENCY, source: 'price-table' };
}

/**
 * A record as imported: one that has a cost keeps it; one without (written before genspan kept costs, or whose model
 * had no price then) gets one from its tokens when its model has a price now.
 */
export function withCost(record: GenerationRecord, prices: PriceTable): GenerationRecord {
  if (record.cost) return record;
  const cost = generationCost(record.generation, prices);
  return cost ? { ...record, cost } : record;
}
