/**
 * Orders one process's ingest work per trace: a call waits for every earlier call sharing one of its traces, so a
 * write, its reads of the other side and its rebuild never interleave with another's on the same trace (a rebuild
 * from older reads would overwrite a newer one). Calls on other traces run alongside.
 */
export class TraceLocks {
  /** Per trace, the end of the last call queued on it. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(traceIds: ReadonlySet<string>, work: () => Promise<T>): Promise<T> {
    const earlier = new Set<Promise<void>>();
    for (const traceId of traceIds) {
      const tail = this.tails.get(traceId);
      if (tail) earlier.add(tail);
    }
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    // Queued on all its traces at once, before waiting: calls are ordered as they came, so none waits on another in turn.
    for (const traceId of traceIds) this.tails.set(traceId, mine);
    await Promise.all(earlier);
    try {
      return await work();
    } finally {
      done();
      for (const traceId of traceIds) if (this.tails.get(traceId) === mine) this.tails.delete(traceId);
    }
  }
}
