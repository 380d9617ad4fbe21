import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId } from '../../src/ingest/record.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { isGenerationSpan } from '../../src/translate/translate.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { otlpTracesJson } from '../support/layers.js';
import { batches, ORDERS, ordered } from '../support/step-trees.js';
import { type Capture, capture } from '../translate/support.js';

// LangChain.js chains with prompt templates under both real instrumentations, sent to `genspan serve` over
// OTLP/JSON: each model call gets the template that fed it and its variables, in any order of requests.
const INSTRUMENTATIONS = ['openinference-langchain', 'traceloop-langchain'] as const;

describe('genspan serve: a LangChain prompt template gives the model call it fed its template and variables', () => {
  const dir = tempDir();
  const path = `${dir}/templates.db`;
  const captures = new Map<string, Capture>();
  let server: CliServer;
  let store: SqliteStore;

  beforeAll(async () => {
    for (const name of INSTRUMENTATIONS) captures.set(name, await capture(name));
    server = await startCliServer(['--db', path]);
    store = new SqliteStore({ path });
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    expect(await server?.stop('SIGTERM')).toBe(0);
  });

  async function post(spans: NormalizedSpan[]): Promise<void> {
    const response = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: otlpTracesJson(spans),
    });
    expect(response.status).toBe(200);
  }

  for (const instrumentation of INSTRUMENTATIONS) {
    for (const order of ORDERS) {
      it(`${instrumentation}: two templates, two calls; a chain without one; requests ${order}, one per span and one in all`, async () => {
        for (const size of [0, 1]) {
          const traceId = randomBytes(16).toString('hex');
          const captured = captures.get(instrumentation) as Capture;
          const spans = [...captured.twoTemplates.spans, ...captured.chain.spans].map((span) => ({ ...span, traceId }));
          for (const batch of batches(ordered(spans, order), size)) await post(batch);
          const calls = spans
            .filter((span) => isGenerationSpan(span))
            .sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))
            .map((span) => recordId(traceId, span.spanId));
          const records = await store.getMany(calls);
          // The capture ran the chain without a template first.
          const [plain, weather, shorten] = calls.map((id) => records.get(id)?.generation);
          expect(weather).toMatchObject({
            template: [{ role: 'system' }, { role: 'user', content: 'Weather in {city}?' }],
            variables: { city: 'Oslo' },
          });
          expect(shorten).toMatchObject({
            template: [{ role: 'user', content: 'Shorten {{this}}: {answer}' }],
            variables: { answer: 'Fake reply to: Weather in Oslo?' },
          });
          expect(plain).toMatchObject({ messages: [{ role: 'user', content: 'Weather in Lima?' }], variables: {} });
          expect(plain?.template ?? null).toBeNull();
        }
      });
    }
  }
});
