import type { ExportResult } from '@opentelemetry/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteQueue } from '../../src/export/write-queue.js';
import { InvalidRecordError, RecordsRejectedError, StoreUnavailableError, StoreUnwritableError } from '../../src/store/errors.js';
import { DiagCapture, FAILED, SUCCESS } from './support.js';

/** A store stand-in: records are strings; a write holding any "bad" one fails, as one transaction would. */
class FakeStore {
  readonly writes: string[][] = [];
  readonly stored = new Set<string>();
  failure: (items: readonly string[]) => Error | undefined = (items) =>
    items.some((item) => item.startsWith('bad'))
      ? new RecordsRejectedError(`value ${items.find((item) => item.startsWith('bad'))} cannot be held`)
      : undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  /** Holds the next writes until `release()`, so batches queue up behind them and get coalesced. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  write = async (items: readonly string[]): Promise<void> => {
    await this.gate;
    this.writes.push([...items]);
    const error = this.failure(items);
    if (error) throw error;
    for (const item of items) this.stored.add(item);
  };
}

function enqueue(queue: WriteQueue<string>, items: string[]): Promise<ExportResult> {
  return new Promise((resolve) => queue.enqueue(items, resolve));
}

describe('WriteQueue when the store rejects some records', () => {
  const diagnostics = new DiagCapture();
  let store: FakeStore;

  beforeEach(() => {
    store = new FakeStore();
    diagnostics.lines.length = 0;
    diagnostics.install();
  });

  afterEach(() => diagnostics.uninstall());

  it('splits a coalesced write so only the rejected records are dropped, and only their batch answers FAILED', async () => {
    const queue = new WriteQueue(store.write, 'generation records', { initialBackoffMillis: 1, maxRetries: 3 });
    store.hold();
    const first = enqueue(queue, ['a1']);
    const batches = [
      ['b1', 'b2', 'b3'],
      ['c1', 'bad-c2', 'c3', 'c4', 'bad-c5'],
      ['d1', 'd2'],
    ];
    const results = batches.map((items) => enqueue(queue, items));
    store.release();

    expect((await first).code).toBe(SUCCESS);
    const [b, c, d] = await Promise.all(results);
    expect([b.code, c.code, d.code]).toEqual([SUCCESS, FAILED, SUCCESS]);
    expect(c.error?.message).toMatch(/^genspan: dropped 2 of 5 generation records: the store rejected them: value bad-c\d cannot be held/);
    expect(c.error?.cause).toBeInstanceOf(RecordsRejectedError);
    expect([...store.stored].sort()).toEqual(['a1', 'b1', 'b2', 'b3', 'c1', 'c3', 'c4', 'd1', 'd2']);
    // The three queued batches went to the store as one write first.
    expect(store.writes[1]).toEqual(batches.flat());
    expect(queue.droppedRecords).toBe(2);
    expect(queue.bufferedRecords).toBe(0);
    const drops = diagnostics.matching(/dropped 1 generation records: the store rejected them: value bad-c\d cannot be held/);
    expect(drops.map((line) => line.level)).toEqual(['error', 'error']);
    expect(diagnostics.matching(/\(2 dropped in total\)/)).toHaveLength(1);
  });

  it('drops a batch whose every record is rejected, with one answer per batch, and does not retry rejections', async () => {
    const queue = new WriteQueue(store.write, 'log records', { initialBackoffMillis: 1, maxRetries: 3 });
    store.failure = () => new InvalidRecordError('startTime is not an ISO-8601 time');
    let calls = 0;
    const result = await new Promise<ExportResult>((resolve) =>
      queue.enqueue(['x', 'y', 'z'], (value) => {
        calls++;
        resolve(value);
      }),
    );
    expect(result.code).toBe(FAILED);
    expect(result.error?.message).toBe('genspan: dropped 3 log records: the store rejected them: startTime is not an ISO-8601 time');
    expect(calls).toBe(1);
    expect(queue.droppedRecords).toBe(3);
    // One write, halves, then singles: each subset tried once.
    expect(store.writes.map((items) => items.join())).toEqual(['x,y,z', 'x,y', 'x', 'y', 'z']);
  });

  it('drops the whole write at once, without splitting, when the store refuses every write', async () => {
    const queue = new WriteQueue(store.write, 'generation records', { initialBackoffMillis: 1, maxRetries: 3 });
    store.failure = () => new StoreUnwritableError('SQLite database x.db cannot be used (SQLITE_READONLY)');
    store.hold();
    const results = [enqueue(queue, ['a']), enqueue(queue, ['b', 'c']), enqueue(queue, ['d'])];
    store.release();
    const [a, bc, d] = await Promise.all(results);
    expect([a.code, bc.code, d.code]).toEqual([FAILED, FAILED, FAILED]);
    expect(bc.error?.message).toBe(
      'genspan: dropped 2 generation records: the store refused them: SQLite database x.db cannot be used (SQLITE_READONLY)',
    );
    expect(store.writes).toHaveLength(2);
    expect(queue.droppedRecords).toBe(4);
  });

  it('retries an outage while splitting, and once retries run out drops the rest of the group without waiting again', async () => {
    const queue = new WriteQueue(store.write, 'generation records', { initialBackoffMillis: 1, maxBackoffMillis: 2, maxRetries: 2 });
    store.hold();
    const results = [enqueue(queue, ['a']), enqueue(queue, ['b1', 'bad-b2']), enqueue(queue, ['c'])];
    const reject = store.failure;
    store.failure = (items) => {
      // Write 1 (a) succeeds, write 2 (b1, bad-b2, c) is rejected for bad-b2, then the store is down.
      if (store.writes.length === 1) return undefined;
      if (store.writes.length === 2) return reject(items);
      return new StoreUnavailableError('PostgreSQL at db:5432 is unreachable');
    };
    store.release();
    const [a, b, c] = await Promise.all(results);
    expect([a.code, b.code, c.code]).toEqual([SUCCESS, FAILED, FAILED]);
    expect(b.error?.message).toBe(
      'genspan: dropped 2 generation records: the store still failed after 2 retries: PostgreSQL at db:5432 is unreachable',
    );
    expect(c.error?.message).toBe(b.error?.message.replace('dropped 2', 'dropped 1'));
    // b's part: one try and two retries; c's part is not tried once the retries ran out.
    expect(store.writes.map((items) => items.join())).toEqual(['a', 'b1,bad-b2,c', 'b1,bad-b2', 'b1,bad-b2', 'b1,bad-b2']);
    expect(queue.droppedRecords).toBe(3);
  });
});
