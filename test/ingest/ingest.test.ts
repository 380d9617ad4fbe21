import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { recordId } from '../../src/ingest/record.js';
import { GenAI } from '../../src/semconv/keys.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DiagCapture } from '../export/support.js';
import { normalizedSpan } from '../store/fixtures.js';

describe('GenerationIngest', () => {
  let dir: string;
  let store: SqliteStore;
  let diag: DiagCapture;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'genspan-ingest-'));
    store = new SqliteStore({ path: join(dir, 'genspan.db') });
    diag = new DiagCapture().install();
  });

  afterEach(async () => {
    diag.uninstall();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an LLM span a convention reader fails on, with a warning, counts it, and reports it through the diag logger', async () => {
    // A complete chat from a scope that ships no content as logs, so the span is not kept for a later join.
    const chat = {
      [GenAI.OPERATION_NAME]: 'chat',
      [GenAI.INPUT_MESSAGES]: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      [GenAI.OUTPUT_MESSAGES]: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' }]),
    };
    const span = { ...normalizedSpan({ span: 1, attributes: chat }), scope: { name: 'an-instrumentation' } };
    Object.defineProperty(span.attributes, GenAI.TOOL_DEFINITIONS, {
      enumerable: true,
      get() {
        throw new Error('reader boom');
      },
    });
    const plain = { ...normalizedSpan({ span: 2, attributes: chat }), scope: { name: 'an-instrumentation' } };

    const result = await new GenerationIngest(store).ingestSpans([span, plain]);

    expect(result).toMatchObject({ stored: 2, ignored: 0, failed: 1 });
    const record = await store.get(recordId(span.traceId, span.spanId));
    expect(record?.generation.model).toBe('gpt-4o');
    expect(record?.warnings.some((warning) => warning.includes('reader boom'))).toBe(true);
    expect((await store.get(recordId(plain.traceId, plain.spanId)))?.warnings).toEqual([]);
    const reported = diag.matching(/could not read all of LLM span/);
    expect(reported).toHaveLength(1);
    expect(reported[0].level).toBe('warn');
    expect(reported[0].message).toContain(span.spanId);
    expect(reported[0].message).toContain('reader boom');
  });
});
