import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { recordId } from '../../src/ingest/record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { tempDir } from '../export/support.js';
import { type Captured, captureLayers, type Item, type LayerScenario, signalBatches } from '../support/layers.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ORDERS, ordered, treeLines } from '../support/step-trees.js';

const dir = tempDir('genspan-layers-');
let postgres: PostgresServer;
let counter = 0;
const captured = new Map<LayerScenario, Captured>();

beforeAll(async () => {
  postgres = await startPostgres();
  for (const scenario of ['openai', 'vercel'] as const) captured.set(scenario, await captureLayers(scenario));
}, 180_000);

afterAll(async () => {
  await postgres?.destroy();
  dir.remove();
});

const STORES: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: dir.file(`layers-${counter++}.db`) })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await postgres.createDatabase('genspan_layers') })],
];

/** The items of a capture: its spans as the SDK ended them, its log records where they were emitted (during the call). */
function items({ spans, logs }: Captured): Item[] {
  return [...logs.map((log) => ({ log })), ...spans.map((span) => ({ span }))];
}

async function ingestAll(store: PlaygroundStore, all: readonly Item[], batchSize: number): Promise<void> {
  const ingest = new GenerationIngest(store);
  for (const batch of signalBatches(all, batchSize)) {
    if ('span' in batch[0])
      await ingest.ingestSpans(batch.map((item) => ('span' in item ? item.span : undefined)).filter((span) => span !== undefined));
    else await ingest.ingestLogs(batch.map((item) => ('log' in item ? item.log : undefined)).filter((log) => log !== undefined));
  }
}

/** What the app's `llm` step adds (tests/ingest/fixtures/layers.mjs) and what the inner span owns. */
function expectOneMergedGeneration(store: PlaygroundStore, capture: Captured, innerName: string, city: string) {
  return async () => {
    const inner = capture.spans.find((span) => span.name === innerName);
    const outer = capture.spans.find((span) => span.attributes['genspan.step.type'] === 'llm');
    if (!inner || !outer) throw new Error('the capture lacks a layer');
    const { items: generations } = await store.list();
    expect(generations).toHaveLength(1);
    const [generation] = generations;
    expect(generation.id).toBe(recordId(inner.traceId, inner.spanId));
    expect(generation.scope.name).toBe(inner.scope.name);
    expect(generation.generation).toMatchObject({
      type: 'CHAT',
      promptId: 'weather-prompt',
      template: [{ role: 'user', content: 'Weather in {city}?' }],
      variables: { city },
      metadata: expect.objectContaining({ team: 'docs' }),
      messages: [expect.objectContaining({ role: 'user', content: `Weather in ${city}?` })],
      messageCompletion: expect.objectContaining({ role: 'assistant', content: `Fake reply to: Weather in ${city}?` }),
      inputTokenCount: expect.any(Number),
    });
    expect(generation.generation.tags).toContain('app');
    const detail = await store.getTrace(inner.traceId);
    const outerStep = detail?.steps.find((step) => step.spanId === outer.spanId);
    expect(outerStep?.generationId).toBe(generation.id);
  };
}

describe.each(STORES)('one generation per LLM call traced by two layers, into %s', (_name, open) => {
  const cases: [LayerScenario, string, string][] = [
    ['openai', 'chat gpt-4o-mini', 'Paris'],
    ['vercel', 'ai.generateText.doGenerate', 'Oslo'],
  ];
  for (const [scenario, innerName, city] of cases) {
    for (const order of ORDERS) {
      it(`${scenario} under a genspan llm step: items ${order}, in one batch per signal and one by one`, async () => {
        const capture = captured.get(scenario) as Captured;
        for (const batchSize of [0, 1]) {
          const store = await open();
          try {
            await ingestAll(store, ordered(items(capture), order), batchSize);
            await expectOneMergedGeneration(store, capture, innerName, city)();
          } finally {
            await store.close();
          }
        }
      });
    }
  }

  it('keeps the trees of both: the outer llm step, the instrumentation span under it', async () => {
    const store = await open();
    try {
      const capture = captured.get('vercel') as Captured;
      await ingestAll(store, ordered(items(capture), 'shuffled', 3), 0);
      expect(treeLines(await store.getTrace(capture.spans[0].traceId))).toEqual(
        ['weather:run<-', 'ask:llm<-weather', 'ai.generateText:run<-ask', 'ai.generateText.doGenerate:llm<-ai.generateText'].sort(),
      );
    } finally {
      await store.close();
    }
  });
});

describe.each(STORES)('a LangChain.js run under OpenInference, with the OpenAI client instrumented too, into %s', (_name, open) => {
  let capture: Captured;
  beforeAll(async () => {
    capture = await captureLayers('langchain');
  }, 120_000);

  for (const order of ORDERS) {
    it(`keeps the tree whole (chain, prompt, model, tool), one generation per model call: spans ${order}, batched or not`, async () => {
      const client = capture.spans.find((span) => span.scope.name === '@arizeai/openinference-instrumentation-openai');
      const model = capture.spans.find((span) => span.name === 'ChatOpenAI');
      if (!client || !model) throw new Error('the capture lacks a layer');
      for (const batchSize of [0, 1]) {
        const store = await open();
        try {
          await ingestAll(store, ordered(items(capture), order), batchSize);
          const detail = await store.getTrace(client.traceId);
          expect(treeLines(detail)).toEqual(
            [
              'agent:run<-',
              'RunnableSequence:run<-agent',
              'ChatPromptTemplate:undefined<-RunnableSequence',
              'ChatOpenAI:llm<-RunnableSequence',
              'OpenAI Chat Completions:llm<-agent',
              'get_weather:tool<-agent',
            ].sort(),
          );
          const { items: generations } = await store.list();
          expect(generations).toHaveLength(1);
          expect(generations[0].id).toBe(recordId(client.traceId, client.spanId));
          expect(generations[0].generation).toMatchObject({
            messages: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Weather in Lima?' },
            ],
            messageCompletion: expect.objectContaining({ content: 'Fake reply to: Weather in Lima?' }),
            // The prompt template step beside the LangChain span fed the call: the merged generation gets it.
            template: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Weather in {city}?' },
            ],
            templateFormat: 'f-string',
            variables: { city: 'Lima' },
          });
          expect(detail?.steps.find((step) => step.spanId === model.spanId)?.generationId).toBe(generations[0].id);
          expect(detail?.steps.find((step) => step.name === 'get_weather')).toMatchObject({
            output: expect.stringContaining('Sunny in Lima'),
          });
        } finally {
          await store.close();
        }
      }
    });
  }
});
