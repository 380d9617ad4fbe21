import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { recordId, toGenerationRecord } from '../../src/ingest/record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { isGenerationSpan, translateSpan } from '../../src/translate/translate.js';
import type { NormalizedSpan, TranslationResult } from '../../src/translate/types.js';
import { tempDir } from '../export/support.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { batches, ORDERS, ordered } from '../support/step-trees.js';
import { type Capture, capture } from '../translate/support.js';

// LangChain.js chains with a ChatPromptTemplate (test/translate/fixtures/langchain-harness.mjs) under both real
// instrumentations: the model call a template fed gets its template and variables, in every order and batching.
const INSTRUMENTATIONS = ['openinference-langchain', 'traceloop-langchain'] as const;
type Instrumentation = (typeof INSTRUMENTATIONS)[number];

const dir = tempDir('genspan-templates-');
let postgres: PostgresServer;
let counter = 0;
const captures = new Map<Instrumentation, Capture>();

beforeAll(async () => {
  postgres = await startPostgres();
  for (const name of INSTRUMENTATIONS) captures.set(name, await capture(name));
}, 240_000);

afterAll(async () => {
  await postgres?.destroy();
  dir.remove();
});

const STORES: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: dir.file(`templates-${counter++}.db`) })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await postgres.createDatabase('genspan_templates') })],
];

const WEATHER = (city: string) => ({
  template: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Weather in {city}?' },
  ],
  templateFormat: 'f-string',
  variables: { city },
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: `Weather in ${city}?` },
  ],
});

/** The LLM spans of a scenario, moved to a trace of their own, in the order the calls started. */
function scenarioSpans(instrumentation: Instrumentation, scenario: string): { traceId: string; spans: NormalizedSpan[]; calls: string[] } {
  const traceId = randomBytes(16).toString('hex');
  const spans = (captures.get(instrumentation) as Capture)[scenario].spans.map((span) => ({ ...span, traceId }));
  const calls = spans
    .filter((span) => isGenerationSpan(span))
    .sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano))
    .map((span) => recordId(traceId, span.spanId));
  return { traceId, spans, calls };
}

async function ingest(store: PlaygroundStore, spans: readonly NormalizedSpan[], order: (typeof ORDERS)[number], size: number) {
  const ingestion = new GenerationIngest(store);
  for (const batch of batches(ordered(spans, order), size)) await ingestion.ingestSpans(batch);
}

async function generationsOf(store: PlaygroundStore, calls: readonly string[]) {
  const records = await store.getMany(calls);
  return calls.map((id) => records.get(id)?.generation);
}

describe.each(STORES)('a prompt template feeds the model call after it, into %s', (_name, open) => {
  for (const instrumentation of INSTRUMENTATIONS) {
    for (const order of ORDERS) {
      it(`${instrumentation}: spans ${order}, in one batch, one by one and two by two`, async () => {
        const store = await open();
        try {
          for (const size of [0, 1, 2]) {
            const one = scenarioSpans(instrumentation, 'template');
            await ingest(store, one.spans, order, size);
            expect(await generationsOf(store, one.calls)).toEqual([expect.objectContaining(WEATHER('Lima'))]);

            const two = scenarioSpans(instrumentation, 'twoTemplates');
            await ingest(store, two.spans, order, size);
            const [first, second] = await generationsOf(store, two.calls);
            expect(first).toMatchObject(WEATHER('Oslo'));
            expect(second).toMatchObject({
              template: [{ role: 'user', content: 'Shorten {{this}}: {answer}' }],
              templateFormat: 'f-string',
              variables: { answer: 'Fake reply to: Weather in Oslo?' },
              messages: [{ role: 'user', content: 'Shorten {this}: Fake reply to: Weather in Oslo?' }],
            });

            const chain = scenarioSpans(instrumentation, 'chain');
            await ingest(store, chain.spans, order, size);
            const [plain] = await generationsOf(store, chain.calls);
            const call = chain.spans.find((span) => isGenerationSpan(span)) as NormalizedSpan;
            const alone = toGenerationRecord(call, translateSpan(call) as TranslationResult, new GenerationIngest(store).prices);
            expect(plain).toEqual(alone.generation);
            expect(plain?.template ?? null).toBeNull();
            expect(plain?.messages).toEqual([{ role: 'user', content: 'Weather in Lima?' }]);
          }
        } finally {
          await store.close();
        }
      });
    }
  }

  it('keeps a Mustache template as LangChain wrote it where the span says it (OpenInference); else an f-string equivalent', async () => {
    const store = await open();
    try {
      const openInference = scenarioSpans('openinference-langchain', 'mustache');
      await ingest(store, openInference.spans, 'shuffled', 1);
      expect(await generationsOf(store, openInference.calls)).toEqual([
        expect.objectContaining({
          template: [{ role: 'user', content: 'Weather in {{city}}?' }],
          templateFormat: 'mustache',
          variables: { city: 'Rome' },
        }),
      ]);
      const traceloop = scenarioSpans('traceloop-langchain', 'mustache');
      await ingest(store, traceloop.spans, 'parents first', 1);
      expect(await generationsOf(store, traceloop.calls)).toEqual([
        expect.objectContaining({ template: [{ role: 'user', content: 'Weather in {city}?' }], templateFormat: 'f-string' }),
      ]);
    } finally {
      await store.close();
    }
  });

  it('applies the template once: the same spans again change nothing', async () => {
    const store = await open();
    try {
      const one = scenarioSpans('openinference-langchain', 'template');
      await ingest(store, one.spans, 'children first', 0);
      const before = await store.getMany(one.calls);
      expect(before.get(one.calls[0])?.generation).toMatchObject(WEATHER('Lima'));
      await ingest(store, one.spans, 'parents first', 1);
      expect(await store.getMany(one.calls)).toEqual(before);
    } finally {
      await store.close();
    }
  });
});
