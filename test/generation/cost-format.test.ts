import { describe, expect, it } from 'vitest';
import { describeCost, formatCost } from '../../src/generation/cost-format.js';

describe('formatCost', () => {
  it('shows at least two significant digits', () => {
    expect(formatCost(0.0123)).toBe('$0.0123');
    expect(formatCost(0.00006)).toBe('$0.000060');
    expect(formatCost(1.25, 'EUR')).toBe('1.2500 EUR');
  });

  it('shows anything but a finite number (a null from an infinite stored total) as a dash, never throwing', () => {
    for (const amount of [null, undefined, Number.POSITIVE_INFINITY, Number.NaN, '1']) expect(formatCost(amount)).toBe('—');
  });

  it('describes a cost whose parts are not numbers without them', () => {
    const cost = { input: null, output: null, total: 1, currency: 'USD', source: 'span' } as const;
    expect(describeCost(cost)).toBe('as recorded on the span');
  });
});
