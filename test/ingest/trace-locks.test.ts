import { describe, expect, it } from 'vitest';
import { TraceLocks } from '../../src/ingest/trace-locks.js';

/** A call that records when it starts and ends, and ends when told. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const work = async () => {
    log.push(`${name} start`);
    started();
    await opened;
    log.push(`${name} end`);
    return name;
  };
  return { work, open, running };
}

describe('TraceLocks', () => {
  it('runs calls sharing a trace one after the other, in the order they came', async () => {
    const locks = new TraceLocks();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const first = locks.run(new Set(['t1']), a.work);
    const second = locks.run(new Set(['t1', 't2']), b.work);
    await a.running;
    a.open();
    await b.running;
    b.open();
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('runs calls on other traces alongside', async () => {
    const locks = new TraceLocks();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const first = locks.run(new Set(['t1']), a.work);
    const second = locks.run(new Set(['t2']), b.work);
    await Promise.all([a.running, b.running]);
    expect(log).toEqual(['a start', 'b start']);
    a.open();
    b.open();
    await Promise.all([first, second]);
  });

  it('lets the next call run when one fails', async () => {
    const locks = new TraceLocks();
    const failing = locks.run(new Set(['t1']), async () => {
      throw new Error('store down');
    });
    const next = locks.run(new Set(['t1']), async () => 'ran');
    await expect(failing).rejects.toThrow('store down');
    expect(await next).toBe('ran');
  });
});
