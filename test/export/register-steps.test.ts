import { SpanKind, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../../src/export/register.js';
import { ChatGeneration } from '../../src/generation/index.js';
import { step } from '../../src/step/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { treeLines } from '../support/step-trees.js';
import { tempDir } from './support.js';

const dir = tempDir('genspan-register-steps-');
afterAll(() => dir.remove());

describe('register({ keepSpans })', () => {
  it("passes the keep policy to its exporter: 'all' keeps the database query beside the run", async () => {
    const path = dir.file('all.db');
    const telemetry = register({ path, keepSpans: 'all', otlp: false, serviceName: 'chat-api' });
    const tracer = trace.getTracer('http-server');
    const traceId = await tracer.startActiveSpan('POST /chat', { kind: SpanKind.SERVER }, async (root) => {
      tracer.startSpan('SELECT users', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }).end();
      await step({ name: 'handle', type: 'run', thread: 'support-42', input: 'hi' }, async () => {
        await step({ name: 'answer', type: 'llm' }, async (llm) => {
          llm.generation = new ChatGeneration({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
        });
      });
      root.end();
      return root.spanContext().traceId;
    });
    await telemetry.shutdown();

    const store = new SqliteStore({ path });
    try {
      const detail = await store.getTrace(traceId);
      expect(treeLines(detail)).toEqual(
        ['POST /chat:run<-', 'SELECT users:undefined<-POST /chat', 'handle:run<-POST /chat', 'answer:llm<-handle'].sort(),
      );
      expect(detail?.threadId).toBe('support-42');
      expect(detail?.steps.every((step) => step.serviceName === 'chat-api')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
