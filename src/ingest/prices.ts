import { readFileSync } from 'node:fs';
import { type PriceTable, type PriceTableData, PriceTableSchema, shippedPriceTable } from '../generation/prices.js';
import { errorMessage, report } from './diagnostics.js';

/** A user's price table that cannot be used: one message naming the file (or option) and every problem in it. */
export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
}

/**
 * genspan's prices with a user's table merged over them, model by model (same shape as `prices.json`). `origin` names
 * the table in the error: a file, or an option. Throws `PriceTableError`.
 */
export function withUserPrices(user: unknown, origin: string): PriceTable {
  const parsed = PriceTableSchema.safeParse(user);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(the table)'} ${issue.message}`);
    throw new PriceTableError(`${origin} is not a usable price table: ${problems.join('; ')}`);
  }
  return shippedPriceTable(parsed.data);
}

/** Reads a user's price file (`--prices FILE`) and merges it over genspan's prices. Throws `PriceTableError`. */
export function readPriceFile(path: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new PriceTableError(`cannot read the price file ${path}: ${reason}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PriceTableError(`the price file ${path} is not JSON: ${(error as Error).message}`);
  }
  return withUserPrices(data, `the price file ${path}`);
}

/**
 * What every entry point that takes prices accepts (`register`, the exporters, `GenerationIngest`, the server): a price
 * table ready for lookups (`shippedPriceTable(...)`, `readPriceFile(path)`), the data of one (the shape of genspan's
 * `prices.json`, merged over genspan's prices) or the path of a JSON file holding one (likewise).
 */
export type PricesOption = PriceTable | PriceTableData | string;

function isPriceTable(prices: PricesOption): prices is PriceTable {
  return typeof prices === 'object' && prices !== null && prices.models instanceof Map;
}

/**
 * The price table of a `prices` option (see `PricesOption`); genspan's own without one. One that cannot be used (a
 * JavaScript caller's wrong shape, an unreadable file) is reported once, through the OpenTelemetry diagnostic logger
 * unless `warn` is given (the server's log), and genspan's own prices are used: prices never cost a generation its
 * record. Never throws.
 */
export function pricesFromOption(prices: PricesOption | undefined, warn = (message: string) => report('error', message)): PriceTable {
  if (prices === undefined) return shippedPriceTable();
  try {
    if (typeof prices === 'string') return readPriceFile(prices);
    return isPriceTable(prices) ? prices : withUserPrices(prices, 'the prices option');
  } catch (error) {
    warn(`genspan: using genspan's own prices only: ${errorMessage(error)}`);
    return shippedPriceTable();
  }
}
