import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { runRetention } from '../../src/store/retention.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { chatData, makeRecord, makeStep } from './fixtures.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
});

/** Traces `first` to `last`, one a second, ~6 KB of message text each. */
async function write(store: PostgresStore, first: number, last: number): Promise<void> {
  const records: GenerationRecord[] = [];
  const steps: StepRecord[] = [];
  for (let trace = first; trace <= last; trace++) {
    const content = `${trace} `.repeat(1500);
    records.push(makeRecord({ trace, span: trace, atMs: trace * 1000, generation: chatData({ messages: [{ role: 'user', content }] }) }));
    steps.push(makeStep({ trace, span: trace, atMs: trace * 1000, type: 'llm' }));
  }
  await store.writeWithSpans(records, new Map(), { steps, threads: [] });
}

describe('PostgresStore --max-size', () => {
  it('after a deletion for size, counts only what the tables grew since: about what was written', async () => {
    const store = new PostgresStore({ connectionString: await server.createDatabase() });
    try {
      await write(store, 1, 200);
      // A limit well under the size: the first run deletes in proportion to the excess.
      const first = await runRetention(store, { maxBytes: 256 * 1024 });
      expect(first.generations).toBeGreaterThan(100);
      // The deleted rows' space stays in the tables, so the size is the same: nothing more to delete.
      expect(await store.generationsOverSize(256 * 1024)).toBe(0);
      // 50 more: the tables grow by about their size (the deleted space is not reusable before autovacuum), and about
      // as many generations are due (fewer: the first estimate counted the tables' fixed pages as data), not the
      // whole excess over the limit again (which would be most of the 98).
      await write(store, 201, 250);
      const due = await store.generationsOverSize(256 * 1024);
      expect(due).toBeGreaterThanOrEqual(20);
      expect(due).toBeLessThanOrEqual(65);
    } finally {
      await store.close();
    }
  });
});
