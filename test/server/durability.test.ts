import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { CompletionGeneration, step } from '../../src/index.js';
import type { GenerationList } from '../../src/server/index.js';
import { startCliServer, tempDir } from '../support/cli.js';
import { captureExportBody } from '../support/otlp-bodies.js';
import { getJson } from '../support/sender.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function generationSpans(count: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('durability');
  for (let index = 0; index < count; index++) {
    step({ name: `llm ${index}`, type: 'llm', tracer }, (current) => {
      current.generation = new CompletionGeneration({
        model: 'durable-model',
        prompt: `prompt ${index}`,
        completion: `completion ${index}`,
      });
    });
  }
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

describe('durability', () => {
  it('keeps every span answered with 200 when the server is killed with SIGKILL right after', async () => {
    const db = join(dir, 'durable.db');
    const spans = await generationSpans(50);
    const body = await captureExportBody(spans, 'protobuf');

    const first = await startCliServer(['--db', db]);
    const response = await fetch(`${first.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(body),
    });
    // Killed in the same tick the 200 arrives: nothing after the answer may be needed to keep the data.
    if (response.status === 200) first.child.kill('SIGKILL');
    expect(response.status).toBe(200);
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = await startCliServer(['--db', db]);
    try {
      const { body: page } = await getJson<GenerationList>(`${second.url}/api/generations?model=durable-model&limit=500`);
      expect(page.items).toHaveLength(50);
      expect(new Set(page.items.map((item) => item.spanId))).toEqual(new Set(spans.map((span) => span.spanContext().spanId)));
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });
});
