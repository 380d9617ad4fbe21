import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { PlaygroundLogExporter } from '../../src/export/log-exporter.js';
import { priceOf, shippedPriceTable } from '../../src/generation/prices.js';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { type PricesOption, readPriceFile } from '../../src/ingest/prices.js';
import { recordId } from '../../src/ingest/record.js';
import { createServer } from '../../src/server/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DiagCapture, exportBatch, SpanFactory, SUCCESS, tempDir } from './support.js';

/** Every entry point that takes prices takes each shape of them, through one function (`pricesFromOption`). */

const MINE = { models: { 'gpt-4o-mini': { input: 100_000, output: 200_000 } } };
const SHIPPED_INPUT = priceOf(shippedPriceTable(), 'gpt-4o-mini')?.input;

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let diagnostics: DiagCapture;

beforeEach(() => {
  dir = tempDir('genspan-prices-');
  store = new SqliteStore({ path: dir.file('genspan.db') });
  diagnostics = new DiagCapture().install();
});

afterEach(async () => {
  diagnostics.uninstall();
  await store.close();
  dir.remove();
});

function shapes(): [string, PricesOption][] {
  const file = dir.file('prices.json');
  writeFileSync(file, JSON.stringify(MINE));
  return [
    ['a price table', readPriceFile(file)],
    ['its data (JSON, as a JavaScript caller passes it)', JSON.parse(JSON.stringify(MINE))],
    ['a file path', file],
  ];
}

describe('prices: one shape accepted everywhere', () => {
  it('PlaygroundExporter prices each shape and keeps every generation', async () => {
    for (const [, prices] of shapes()) {
      const exporter = new PlaygroundExporter({ store, prices });
      const [span] = new SpanFactory().llmSpans(1);
      expect((await exportBatch(exporter, [span])).code).toBe(SUCCESS);
      const record = await store.get(recordId(span.spanContext().traceId, span.spanContext().spanId));
      // 10 input and 5 output tokens at $100,000 and $200,000 per million.
      expect(record?.cost).toEqual({ input: 1, output: 1, total: 2, currency: 'USD', source: 'price-table' });
      await exporter.shutdown();
    }
    expect(diagnostics.lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
  });

  it('PlaygroundLogExporter, GenerationIngest and the server take each shape', async () => {
    for (const [shape, prices] of shapes()) {
      const server = await createServer({ store, prices, logDestination: { write: () => true } });
      for (const ingest of [new PlaygroundLogExporter({ store, prices }).ingest, new GenerationIngest(store, { prices }), server.ingest]) {
        expect(priceOf(ingest.prices, 'gpt-4o-mini')?.input, shape).toBe(100_000);
        expect(priceOf(ingest.prices, 'gpt-4o')?.input, shape).toBeGreaterThan(0);
      }
      await server.close();
    }
  });

  it("reports a value it cannot use once, uses genspan's prices, and still records the generation", async () => {
    const exporter = new PlaygroundExporter({ store, prices: JSON.parse('{ "models": { "gpt-4o-mini": 5 } }') });
    expect((await exportBatch(exporter, new SpanFactory().llmSpans(2))).code).toBe(SUCCESS);
    expect((await store.list()).items).toHaveLength(2);
    expect(priceOf(exporter.ingest.prices, 'gpt-4o-mini')?.input).toBe(SHIPPED_INPUT);
    const reported = diagnostics.lines.filter((line) => /using genspan's own prices only/.test(line.message));
    expect(reported).toHaveLength(1);
    expect(reported[0].message).toMatch(/the prices option is not a usable price table: models\.gpt-4o-mini/);
    await exporter.shutdown();
  });

  it('the server reports a value it cannot use in its own log', async () => {
    const logged: string[] = [];
    const server = await createServer({ store, prices: dir.file('missing.json'), logDestination: { write: (line) => logged.push(line) } });
    expect(priceOf(server.ingest.prices, 'gpt-4o-mini')?.input).toBe(SHIPPED_INPUT);
    expect(logged.join('')).toMatch(/using genspan's own prices only: cannot read the price file .*missing\.json: no such file/);
    await server.close();
  });
});
