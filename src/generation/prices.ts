import { z } from 'zod';
import shipped from './prices.json' with { type: 'json' };

/** Prices are USD; a user's file may not name another currency, so every stored cost adds up with the others. */
export const COST_CURRENCY = 'USD';

const perMillion = z.number({ error: 'must be a number of USD per million tokens' }).finite().nonnegative();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-03');

/** One model's list prices, USD per million tokens. */
export const ModelPriceSchema = z.strictObject({
  input: perMillion,
  output: perMillion,
  /** Input tokens read from a prompt cache, where the provider prices them apart; otherwise they cost `input`. */
  cachedInput: perMillion.optional(),
  /** Where the prices were read. */
  source: z.string().optional(),
  /** When they were read, if not the table's `takenOn`. */
  takenOn: day.optional(),
});

export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * A price table: genspan's own (`prices.json`) or a user's `--prices` file, which has the same shape and is merged over
 * it model by model. Model names are matched case-insensitively (see `priceOf`).
 */
export const PriceTableSchema = z.strictObject({
  description: z.string().optional(),
  currency: z.literal(COST_CURRENCY, { error: `must be "${COST_CURRENCY}" (genspan keeps every cost in USD)` }).optional(),
  takenOn: day.optional(),
  models: z.record(z.string().min(1), ModelPriceSchema),
});

export type PriceTableData = z.infer<typeof PriceTableSchema>;

/** A price table ready for lookups: model names lowercased. Build one with `priceTable`. */
export interface PriceTable {
  readonly models: ReadonlyMap<string, ModelPrice>;
}

/** The lookup table of some price tables, each later one overriding the earlier ones model by model. */
export function priceTable(...tables: readonly PriceTableData[]): PriceTable {
  const models = new Map<string, ModelPrice>();
  for (const table of tables) {
    for (const [name, price] of Object.entries(table.models)) models.set(name.toLowerCase(), { takenOn: table.takenOn, ...price });
  }
  return { models };
}

/** The prices genspan ships (checked against the schema; a test keeps the file valid), with `overrides` merged over them. */
export function shippedPriceTable(...overrides: readonly PriceTableData[]): PriceTable {
  return priceTable(PriceTableSchema.parse(shipped), ...overrides);
}

/**
 * A trailing snapshot or version suffix: `-2024-08-06`, `-20241022`, `@20250929` (Vertex AI), `-0613`, `-001`, `-05-20`,
 * `-latest`, `-preview`, `-exp`, `-v2`, `-v1:0`. Single digits are not one: `claude-opus-4-5` is another model than
 * `claude-opus-4`, not a snapshot of it.
 */
const VERSION_SUFFIX = /[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|\d{2}-\d{2}|latest|preview|exp|v\d+(?::\d+)?)$/;

function lookup(models: ReadonlyMap<string, ModelPrice>, name: string): ModelPrice | undefined {
  let candidate = name;
  for (;;) {
    const price = models.get(candidate);
    if (price) return price;
    const suffix = VERSION_SUFFIX.exec(candidate);
    if (!suffix) return undefined;
    candidate = candidate.slice(0, suffix.index);
  }
}

/**
 * The price of a model: by its name, else by the longest known name it extends with version suffixes only
 * (`gpt-4o-2024-08-06` → `gpt-4o`, `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`, never a looser `gpt-4o` for
 * `gpt-4o-mini-...` or `claude-opus-4` for `claude-opus-4-5`); a provider prefix (`openai/gpt-4o`, `models/gemini-2.5-pro`)
 * is tried whole first, then without. Undefined for a model the table does not know.
 */
export function priceOf(table: PriceTable, model: string | null | undefined): ModelPrice | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  const name = model.trim().toLowerCase();
  const found = lookup(table.models, name);
  if (found) return found;
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? lookup(table.models, name.slice(slash + 1)) : undefined;
}

/** Token counts a cost is computed from. `cachedInputTokens` are part of `inputTokens`, as OpenAI and the GenAI conventions count. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

export interface TokenCost {
  /** USD for the input tokens, cached ones included. */
  input: number;
  output: number;
  total: number;
}

const TOKENS_PER_UNIT = 1_000_000;

/** What the tokens cost at these prices; cached input tokens at `cachedInput` when it is given. */
export function tokenCost(price: ModelPrice, usage: TokenUsage): TokenCost {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cachedPrice = price.cachedInput ?? price.input;
  const input = ((usage.inputTokens - cached) * price.input + cached * cachedPrice) / TOKENS_PER_UNIT;
  const output = (usage.outputTokens * price.output) / TOKENS_PER_UNIT;
  return { input, output, total: input + output };
}
