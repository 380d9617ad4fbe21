import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeepSpans } from '../../src/ingest/steps.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { captureExportBody } from '../support/otlp-bodies.js';
import { appTraces, batches, httpTree, ORDERS, ordered, TURN_TREE, treeLines } from '../support/step-trees.js';

describe.each(['ai', 'all'] as const satisfies KeepSpans[])('genspan serve --keep-spans %s: step trees over OTLP', (keepSpans) => {
  const dir = tempDir();
  const path = `${dir}/trees.db`;
  let server: CliServer;
  let store: SqliteStore;

  beforeAll(async () => {
    server = await startCliServer(['--db', path, '--keep-spans', keepSpans]);
    store = new SqliteStore({ path });
  });

  afterAll(async () => {
    await store?.close();
    expect(await server?.stop('SIGTERM')).toBe(0);
  });

  it('says which spans it keeps when it starts', () => {
    expect(server.stdout()).toContain(keepSpans === 'all' ? 'all spans of traces with AI work' : 'AI spans and their ancestors');
  });

  for (const order of ORDERS) {
    it(`stores the trees whole, spans sent ${order}, in one request and in requests of 1 and 3`, async () => {
      for (const batchSize of [0, 1, 3]) {
        const tag = `serve-${order}-${batchSize}-${keepSpans}`;
        const app = await appTraces(tag);
        for (const batch of batches(ordered(app.spans, order), batchSize)) {
          const response = await fetch(`${server.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: new Uint8Array(await captureExportBody(batch, 'protobuf')),
          });
          expect(response.status).toBe(200);
        }
        for (const [index, traceId] of app.turns.entries()) {
          const detail = await store.getTrace(traceId);
          expect(treeLines(detail)).toEqual(TURN_TREE(`turn-${index + 1}`));
          expect(detail?.threadId).toBe(`thread-${tag}`);
        }
        expect(treeLines(await store.getTrace(app.http))).toEqual(httpTree(keepSpans));
        expect(await store.getTrace(app.plain)).toBeUndefined();
      }
    });
  }
});
