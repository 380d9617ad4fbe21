import { readFileSync } from 'node:fs';
import { type PriceTable, PriceTableSchema, shippedPriceTable } from '../generation/prices.js';

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
