/** Cost display, shared by the page and anything else that prints a cost. Browser-safe and free of zod. */

import type { Cost } from './record.js';

/** Digits after the point at least, so cents and tenths of cents both show (`$0.0123`). */
const MIN_DIGITS = 4;
/** At most: a billionth of a dollar is below anything a provider bills. */
const MAX_DIGITS = 9;

/** Shown for an amount that is no amount (a stored cost from an older server, read as JSON null). */
const NO_AMOUNT = '—';

/**
 * `$0.0123`, `$1.2500`, `$0.000060`: at least two significant digits, in USD or the given currency. Anything but a
 * finite number shows as `—`: the page renders whatever a server sends, and one bad figure must not break a list.
 */
export function formatCost(amount: unknown, currency = 'USD'): string {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return NO_AMOUNT;
  const magnitude = amount > 0 ? Math.floor(Math.log10(amount)) : 0;
  const digits = Math.min(MAX_DIGITS, Math.max(MIN_DIGITS, 1 - magnitude));
  const text = amount.toFixed(digits);
  return currency === 'USD' ? `$${text}` : `${text} ${currency}`;
}

/** What a cost is made of and where it came from, in words (a tooltip). */
export function describeCost(cost: Cost): string {
  const parts = [
    typeof cost.input !== 'number' ? null : `input ${formatCost(cost.input, cost.currency)}`,
    typeof cost.output !== 'number' ? null : `output ${formatCost(cost.output, cost.currency)}`,
  ].filter((part): part is string => part !== null);
  const source = cost.source === 'span' ? 'as recorded on the span' : "from the model's list prices";
  return parts.length > 0 ? `${parts.join(' + ')}, ${source}` : source;
}
