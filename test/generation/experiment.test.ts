import { describe, expect, it } from 'vitest';
import { ExperimentRequestSchema, variantEdit } from '../../src/generation/experiment.js';
import { experimentCell, quantile, summarizeColumn } from '../../src/generation/experiment-summary.js';
import type { ExperimentCell } from '../../src/generation/rest.js';

const source = {
  type: 'CHAT',
  model: 'gpt-4o-mini',
  settings: { temperature: 0.2, max_tokens: 50, response_format: { type: 'json_object' } },
  template: [{ role: 'user', content: 'Hello {name}' }],
  variables: { name: 'Ada', city: 'Paris' },
  messages: [{ role: 'user', content: 'Hello Ada' }],
  tools: [{ type: 'function', function: { name: 'weather' } }],
};

describe('variantEdit', () => {
  it('lays the model and settings over the source, keeping what the variant does not set', () => {
    const variant = ExperimentRequestSchema.shape.variants.element.parse({ provider: 'p', model: 'gpt-4o', settings: { temperature: 1 } });
    expect(variantEdit(source, variant)).toMatchObject({
      model: 'gpt-4o',
      settings: { temperature: 1, max_tokens: 50, model: 'gpt-4o', response_format: { type: 'json_object' } },
      template: source.template,
      variables: source.variables,
      tools: source.tools,
    });
  });

  it('sets a template with variables laid over the source, or messages without a template, tools and the response format', () => {
    const parse = (value: unknown) => ExperimentRequestSchema.shape.variants.element.parse(value);
    const templated = variantEdit(
      source,
      parse({ provider: 'p', model: 'm', template: [{ role: 'user', content: 'Hi {name} from {city}' }], variables: { name: 'Bo' } }),
    );
    expect(templated.template).toEqual([{ role: 'user', content: 'Hi {name} from {city}' }]);
    expect(templated.variables).toEqual({ name: 'Bo', city: 'Paris' });
    const messages = variantEdit(source, parse({ provider: 'p', model: 'm', messages: [{ role: 'user', content: 'Hi' }], tools: null }));
    expect(messages).toMatchObject({ template: null, messages: [{ role: 'user', content: 'Hi' }], tools: null });
    const schema = { type: 'object' };
    expect(variantEdit(source, parse({ provider: 'p', model: 'm', responseFormat: schema })).settings).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema } },
    });
    expect(variantEdit(source, parse({ provider: 'p', model: 'm', responseFormat: null })).settings).not.toHaveProperty('response_format');
  });
});

describe('experiment summary', () => {
  const cell = (output: string | null, overrides: Partial<ExperimentCell> = {}): ExperimentCell => ({
    ...experimentCell(undefined),
    generationId: 'g',
    output,
    ...overrides,
  });

  it('takes quantiles by nearest rank', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([10, 20, 30, 40], 0.5)).toBe(20);
    expect(quantile([10, 20, 30, 40], 0.95)).toBe(40);
  });

  it('totals a column: errors, tokens, cost, latency, identical outputs and valid JSON', () => {
    const cells = [
      cell('{"a":1}', { tokens: 10, cost: 0.5, latencyMs: 100 }),
      cell('same', { tokens: 20, cost: 0.25, latencyMs: 300 }),
      cell(null, { error: 'The provider answered 500', latencyMs: 200 }),
    ];
    const originals = [cell('{"a":2}'), cell('same'), cell('x')];
    expect(summarizeColumn(cells, originals, true)).toEqual({
      results: 3,
      errors: 1,
      errorRate: 1 / 3,
      tokens: { total: 30, mean: 15 },
      cost: { total: 0.75, mean: 0.375 },
      latencyMs: { p50: 200, p95: 300 },
      identicalShare: 1 / 3,
      validJsonShare: 1 / 3,
    });
    expect(summarizeColumn([])).toMatchObject({ results: 0, errorRate: null, identicalShare: null, validJsonShare: null });
  });
});
