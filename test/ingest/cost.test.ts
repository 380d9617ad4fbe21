import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PriceTableSchema, priceOf, priceTable, shippedPriceTable } from '../../src/generation/prices.js';
import shipped from '../../src/generation/prices.json' with { type: 'json' };
import { generationCost, withCost } from '../../src/ingest/cost.js';
import { PriceTableError, readPriceFile, withUserPrices } from '../../src/ingest/prices.js';
import { makeRecord } from '../store/fixtures.js';

const PRICES = shippedPriceTable();

describe('the shipped price table', () => {
  it('is valid, dated, and names a source for every model', () => {
    const table = PriceTableSchema.parse(shipped);
    expect(table.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.currency).toBe('USD');
    for (const [model, price] of Object.entries(table.models)) {
      expect(price.source, model).toMatch(/^https:\/\//);
      expect(model, 'names are matched lowercased').toBe(model.toLowerCase());
    }
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-pro', 'gemini-2.5-flash'])
      expect(priceOf(PRICES, model), model).toBeDefined();
  });
});

describe('priceOf', () => {
  it('matches a dated snapshot to its model, by the longest known name', () => {
    expect(priceOf(PRICES, 'gpt-4o-2024-08-06')).toBe(priceOf(PRICES, 'gpt-4o'));
    expect(priceOf(PRICES, 'gpt-4o-mini-2024-07-18')).toBe(priceOf(PRICES, 'gpt-4o-mini'));
    expect(priceOf(PRICES, 'gpt-4o-mini')).not.toBe(priceOf(PRICES, 'gpt-4o'));
    expect(priceOf(PRICES, 'claude-3-5-haiku-20241022')).toBe(priceOf(PRICES, 'claude-3-5-haiku'));
    expect(priceOf(PRICES, 'claude-sonnet-4-5@20250929')).toBe(priceOf(PRICES, 'claude-sonnet-4-5'));
    expect(priceOf(PRICES, 'claude-opus-4-1-20250805')).toBe(priceOf(PRICES, 'claude-opus-4-1'));
    expect(priceOf(PRICES, 'claude-opus-4-20250514')).toBe(priceOf(PRICES, 'claude-opus-4'));
    expect(priceOf(PRICES, 'gemini-2.5-flash-preview-05-20')).toBe(priceOf(PRICES, 'gemini-2.5-flash'));
    expect(priceOf(PRICES, 'GPT-4o-2024-08-06')).toBe(priceOf(PRICES, 'gpt-4o'));
  });

  it('matches provider-prefixed names', () => {
    expect(priceOf(PRICES, 'openai/gpt-4o')).toBe(priceOf(PRICES, 'gpt-4o'));
    expect(priceOf(PRICES, 'models/gemini-2.5-pro')).toBe(priceOf(PRICES, 'gemini-2.5-pro'));
    expect(priceOf(PRICES, 'anthropic/claude-haiku-4-5-20251001')).toBe(priceOf(PRICES, 'claude-haiku-4-5'));
  });

  it('gives no price to an unknown model, nor a looser match than a version suffix', () => {
    expect(priceOf(PRICES, 'llama-3.1-8b-instruct')).toBeUndefined();
    expect(priceOf(PRICES, 'gpt-4o-audio-preview')).toBeUndefined();
    // `-9` is a model number, not a snapshot: claude-opus-4-9 is not claude-opus-4.
    expect(priceOf(PRICES, 'claude-opus-4-9')).toBeUndefined();
    expect(priceOf(PRICES, '')).toBeUndefined();
    expect(priceOf(PRICES, null)).toBeUndefined();
    const table = priceTable({ models: { 'gpt-4': { input: 30, output: 60 } } });
    expect(priceOf(table, 'gpt-4-turbo')).toBeUndefined();
    expect(priceOf(table, 'gpt-4-0613')).toBeDefined();
  });
});

describe('generationCost', () => {
  it('prices input and output tokens', () => {
    const cost = generationCost({ model: 'gpt-4o-2024-08-06', inputTokenCount: 1_000_000, outputTokenCount: 500_000 }, PRICES);
    expect(cost).toEqual({ input: 2.5, output: 5, total: 7.5, currency: 'USD', source: 'price-table' });
  });

  it('prices cached input tokens apart where the model has a cached price', () => {
    const generation = {
      model: 'claude-sonnet-4-5',
      inputTokenCount: 1_000_000,
      outputTokenCount: 0,
      metadata: { cache_read_input_tokens: 400_000 },
    };
    // 600k at $3 + 400k at $0.30.
    expect(generationCost(generation, PRICES)?.input).toBeCloseTo(1.8 + 0.12, 10);
    // Without a cached price, cached tokens cost the input price.
    const plain = priceTable({ models: { m: { input: 1, output: 2 } } });
    expect(generationCost({ ...generation, model: 'm' }, plain)?.input).toBeCloseTo(1, 10);
  });

  it('is null for an unknown model or missing token counts', () => {
    expect(generationCost({ model: 'my-local-model', inputTokenCount: 10, outputTokenCount: 5 }, PRICES)).toBeNull();
    expect(generationCost({ model: 'gpt-4o', inputTokenCount: 10, outputTokenCount: null }, PRICES)).toBeNull();
    expect(generationCost({ model: null, inputTokenCount: 10, outputTokenCount: 5 }, PRICES)).toBeNull();
  });

  it('is null when the tokens at the price overflow to an infinite cost', () => {
    const huge = { model: 'gpt-4o', inputTokenCount: Number.MAX_VALUE, outputTokenCount: Number.MAX_VALUE };
    expect(generationCost(huge, PRICES)).toBeNull();
  });

  it("prefers the span's own cost", () => {
    const generation = { model: 'gpt-4o', inputTokenCount: 10, outputTokenCount: 5 };
    expect(generationCost(generation, PRICES, { input: undefined, output: undefined, total: 0.42 })).toEqual({
      input: null,
      output: null,
      total: 0.42,
      currency: 'USD',
      source: 'span',
    });
  });
});

describe('user prices', () => {
  const folder = mkdtempSync(join(tmpdir(), 'genspan-prices-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('extend and override the shipped table, model by model', () => {
    const table = withUserPrices({ models: { 'GPT-4o': { input: 1, output: 1 }, 'my-model': { input: 2, output: 4 } } }, 'test');
    expect(priceOf(table, 'gpt-4o-2024-08-06')).toMatchObject({ input: 1, output: 1 });
    expect(priceOf(table, 'my-model-latest')).toMatchObject({ input: 2, output: 4 });
    expect(priceOf(table, 'gpt-4o-mini')).toEqual(priceOf(PRICES, 'gpt-4o-mini'));
  });

  it('come from a file, and a bad file gets one message naming it and every problem', () => {
    const good = join(folder, 'good.json');
    writeFileSync(good, JSON.stringify({ takenOn: '2026-12-01', models: { 'my-model': { input: 2, output: 4, cachedInput: 1 } } }));
    expect(priceOf(readPriceFile(good), 'my-model')).toMatchObject({ input: 2, cachedInput: 1, takenOn: '2026-12-01' });

    const bad = join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ currency: 'EUR', models: { m: { input: -1, output: 'x' } } }));
    expect(() => readPriceFile(bad)).toThrow(PriceTableError);
    expect(() => readPriceFile(bad)).toThrow(
      /bad\.json is not a usable price table: currency .*USD.*; models\.m\.input .*; models\.m\.output/,
    );
    const notJson = join(folder, 'not.json');
    writeFileSync(notJson, '{ models');
    expect(() => readPriceFile(notJson)).toThrow(/not\.json is not JSON/);
    expect(() => readPriceFile(join(folder, 'missing.json'))).toThrow(/cannot read the price file .*missing\.json: no such file/);
  });
});

describe('withCost (import)', () => {
  it('keeps a cost and computes a missing one', () => {
    const priced = makeRecord({ span: 1, generation: undefined });
    const spanCost = { ...priced, cost: { input: null, output: null, total: 9, currency: 'USD', source: 'span' as const } };
    expect(withCost(spanCost, PRICES)).toBe(spanCost);
    const older = { ...priced, cost: null };
    expect(withCost(older, PRICES).cost).toEqual(priced.cost);
    expect(priced.cost).not.toBeNull();
  });
});
