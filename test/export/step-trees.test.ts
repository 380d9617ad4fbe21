import { afterAll, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import type { KeepSpans } from '../../src/ingest/steps.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { appTraces, batches, httpTree, ORDERS, ordered, TURN_TREE, treeLines } from '../support/step-trees.js';
import { exportBatch, SUCCESS, tempDir } from './support.js';

const dir = tempDir('genspan-export-trees-');
afterAll(() => dir.remove());

describe('PlaygroundExporter: step trees', () => {
  for (const keepSpans of ['ai', 'all'] as const satisfies KeepSpans[]) {
    for (const order of ORDERS) {
      it(`stores the trees whole (keepSpans ${keepSpans}), spans exported ${order}, in one export and in exports of 1 and 3`, async () => {
        for (const batchSize of [0, 1, 3]) {
          const tag = `export-${order}-${batchSize}-${keepSpans}`;
          const app = await appTraces(tag);
          const store = new SqliteStore({ path: dir.file(`${tag}.db`) });
          try {
            const exporter = new PlaygroundExporter({ store, keepSpans });
            for (const batch of batches(ordered(app.spans, order), batchSize))
              expect((await exportBatch(exporter, batch)).code).toBe(SUCCESS);
            await exporter.forceFlush();
            for (const [index, traceId] of app.turns.entries()) {
              const detail = await store.getTrace(traceId);
              expect(treeLines(detail)).toEqual(TURN_TREE(`turn-${index + 1}`));
              expect(detail?.threadId).toBe(`thread-${tag}`);
            }
            expect(treeLines(await store.getTrace(app.http))).toEqual(httpTree(keepSpans));
            expect(await store.getTrace(app.plain)).toBeUndefined();
            expect((await store.list()).items).toHaveLength(3);
            // The trace without AI work waits in memory until its time is up, then is let go of (counted).
            expect(exporter.ingest.pendingSpans.held).toBe(keepSpans === 'ai' ? 3 : 2);
          } finally {
            await store.close();
          }
        }
      });
    }
  }
});
