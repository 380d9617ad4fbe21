import { describe, expect, it } from 'vitest';
import { GenerationValidationError } from '../../src/generation/generation.js';
import { shippedPriceTable } from '../../src/generation/prices.js';
import { GenerationRecordSchema } from '../../src/generation/record.js';
import { recordId, toGenerationRecord } from '../../src/ingest/record.js';
import { chatData, normalizedSpan, spanIdOf, traceIdOf } from '../store/fixtures.js';

describe('recordId', () => {
  it('is a deterministic UUID (version 8, RFC variant) of trace and span id, case-insensitive', () => {
    const id = recordId(traceIdOf(1), spanIdOf(1));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recordId(traceIdOf(1), spanIdOf(1))).toBe(id);
    expect(recordId(traceIdOf(1).toUpperCase(), spanIdOf(1).toUpperCase())).toBe(id);
    expect(recordId(traceIdOf(1), spanIdOf(2))).not.toBe(id);
    expect(recordId(traceIdOf(2), spanIdOf(1))).not.toBe(id);
  });

  it('keeps the ids stores already hold: SHA-256 of "traceId:spanId", first 16 bytes, version and variant set', () => {
    expect(recordId('0AF7651916CD43DD8448EB211C80319C', 'B7AD6B7169203331')).toBe('890cd546-3969-828b-9952-df1631918be6');
  });
});

const PRICES = shippedPriceTable();

describe('toGenerationRecord', () => {
  it('builds the record from the span and the translation', () => {
    const span = normalizedSpan({ span: 3, service: 'checkout', statusCode: 2 });
    span.status.message = 'upstream 500';
    const record = toGenerationRecord(span, { generation: chatData({ model: 'gpt-4o' }), source: 'genai', warnings: ['w'] }, PRICES);
    expect(record).toEqual({
      id: recordId(span.traceId, span.spanId),
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      serviceName: 'checkout',
      scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' },
      source: 'genai',
      startTime: '2026-01-01T00:00:03.000Z',
      endTime: '2026-01-01T00:00:04.500Z',
      status: { code: 2, message: 'upstream 500' },
      // gpt-4o at $2.50 / $10 per million tokens: 12 input and 3 output tokens.
      cost: { input: 0.00003, output: 0.00003, total: 0.00006, currency: 'USD', source: 'price-table' },
      warnings: ['w'],
      generation: expect.objectContaining({ type: 'CHAT', model: 'gpt-4o', messageCompletion: { role: 'assistant', content: 'Hello!' } }),
    });
    expect(Object.keys(record.generation).at(-1)).toBe('type');
    expect(GenerationRecordSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it('uses null for what the span lacks', () => {
    const span = { ...normalizedSpan({ span: 4, service: null }), parentSpanId: undefined, scope: { name: 'lib' } };
    const record = toGenerationRecord(span, { generation: chatData(), source: 'genspan', warnings: [] }, PRICES);
    expect(record).toMatchObject({
      parentSpanId: null,
      serviceName: null,
      scope: { name: 'lib', version: null },
      status: { code: 0, message: null },
    });
  });

  it('throws the generation validation error for data that does not fit the model', () => {
    const span = normalizedSpan({ span: 5 });
    expect(() => toGenerationRecord(span, { generation: chatData({ tokenCount: -1 }), source: 'genai', warnings: [] }, PRICES)).toThrow(
      GenerationValidationError,
    );
  });
});
