import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId } from '../../src/ingest/record.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import {
  type Captured,
  captureLayers,
  type Item,
  inTrace,
  LAYER_SCENARIOS,
  type LayerScenario,
  otlpLogsJson,
  otlpTracesJson,
  signalBatches,
} from '../support/layers.js';
import { ORDERS, ordered } from '../support/step-trees.js';

/** The span of each capture that owns the generation: the one nearest the provider. */
const INNER: Record<LayerScenario, (capture: Captured) => string | undefined> = {
  openai: (capture) => capture.spans.find((span) => span.scope.name === '@opentelemetry/instrumentation-openai')?.spanId,
  vercel: (capture) => capture.spans.find((span) => span.name === 'ai.generateText.doGenerate')?.spanId,
  langchain: (capture) => capture.spans.find((span) => span.scope.name === '@arizeai/openinference-instrumentation-openai')?.spanId,
};

describe('genspan serve: one generation per LLM call traced by two layers, over OTLP/JSON', () => {
  const dir = tempDir();
  const path = `${dir}/layers.db`;
  const captures = new Map<LayerScenario, Captured>();
  let server: CliServer;
  let store: SqliteStore;

  beforeAll(async () => {
    for (const scenario of LAYER_SCENARIOS) captures.set(scenario, await captureLayers(scenario));
    server = await startCliServer(['--db', path]);
    store = new SqliteStore({ path });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    expect(await server?.stop('SIGTERM')).toBe(0);
  });

  async function post(batch: Item[]): Promise<void> {
    const spans = batch.flatMap((item) => ('span' in item ? [item.span] : []));
    const logs = batch.flatMap((item) => ('log' in item ? [item.log] : []));
    const response = await fetch(`${server.url}${spans.length > 0 ? '/v1/traces' : '/v1/logs'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spans.length > 0 ? otlpTracesJson(spans) : otlpLogsJson(logs),
    });
    expect(response.status).toBe(200);
  }

  for (const scenario of LAYER_SCENARIOS) {
    for (const order of ORDERS) {
      it(`${scenario}: requests ${order}, one per signal and one per item`, async () => {
        for (const batchSize of [0, 1]) {
          const traceId = randomBytes(16).toString('hex');
          const capture = inTrace(captures.get(scenario) as Captured, traceId);
          const items: Item[] = [...capture.logs.map((log) => ({ log })), ...capture.spans.map((span) => ({ span }))];
          for (const batch of signalBatches(ordered(items, order), batchSize)) await post(batch);
          const { items: generations } = await store.list({ traceId });
          expect(generations.map((generation) => generation.id)).toEqual([recordId(traceId, INNER[scenario](capture) ?? '')]);
          expect(generations[0].generation.messageCompletion).toMatchObject({
            role: 'assistant',
            content: expect.stringMatching(/^Fake reply/),
          });
          const detail = await store.getTrace(traceId);
          expect(detail?.steps).toHaveLength(capture.spans.length);
          const calls = detail?.steps.filter((step) => step.type === 'llm') ?? [];
          expect(calls.length).toBeGreaterThan(1);
          for (const call of calls) expect(call.generationId).toBe(generations[0].id);
          // LangChain's prompt template step fed the call (src/ingest/templates.ts).
          if (scenario === 'langchain') {
            expect(generations[0].generation).toMatchObject({ templateFormat: 'f-string', variables: { city: 'Lima' } });
            expect(generations[0].generation.template).toEqual([
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Weather in {city}?' },
            ]);
          }
        }
      });
    }
  }
});
