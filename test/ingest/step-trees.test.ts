import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import type { KeepSpans } from '../../src/ingest/steps.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { normalizeReadableSpan } from '../../src/translate/normalize.js';
import { tempDir } from '../export/support.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { appTraces, batches, httpTree, ORDERS, ordered, TURN_TREE, treeLines } from '../support/step-trees.js';

const dir = tempDir('genspan-step-trees-');
let postgres: PostgresServer;
let counter = 0;

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.destroy();
  dir.remove();
});

const STORES: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: dir.file(`trees-${counter++}.db`) })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await postgres.createDatabase('genspan_trees') })],
];

/** Ingests the app's spans in an order and in batches, then checks each trace's tree, thread and generations. */
async function ingestAndCheck(store: PlaygroundStore, keepSpans: KeepSpans, order: (typeof ORDERS)[number], batchSize: number) {
  const app = await appTraces(`${order}-${batchSize}-${keepSpans}`);
  const ingest = new GenerationIngest(store, { keepSpans });
  for (const batch of batches(ordered(app.spans.map(normalizeReadableSpan), order), batchSize)) await ingest.ingestSpans(batch);

  for (const [index, traceId] of app.turns.entries()) {
    const detail = await store.getTrace(traceId);
    expect(treeLines(detail)).toEqual(TURN_TREE(`turn-${index + 1}`));
    expect(detail?.threadId).toBe(`thread-${order}-${batchSize}-${keepSpans}`);
    const llm = detail?.steps.find((step) => step.type === 'llm');
    expect(llm?.generationId).toBe(llm?.id);
    expect((await store.get(llm?.id ?? ''))?.generation.messages).toEqual(
      [{ role: 'user', content: expect.stringContaining('first') }].slice(0, 0).length === 0 ? expect.any(Array) : [],
    );
    const tool = detail?.steps.find((step) => step.type === 'tool');
    expect(tool).toMatchObject({ input: expect.stringContaining('question'), output: 'found it', generationId: null });
  }
  expect(treeLines(await store.getTrace(app.http))).toEqual(httpTree(keepSpans));
  expect(await store.getTrace(app.plain)).toBeUndefined();
}

describe.each(STORES)('GenerationIngest: step trees into %s', (_name, open) => {
  for (const keepSpans of ['ai', 'all'] as const) {
    for (const order of ORDERS) {
      it(`keeps the trees whole (keepSpans ${keepSpans}), spans ${order}, in one batch and in batches of 1 and 3`, async () => {
        for (const batchSize of [0, 1, 3]) {
          const store = await open();
          try {
            await ingestAndCheck(store, keepSpans, order, batchSize);
          } finally {
            await store.close();
          }
        }
      });
    }
  }
});
