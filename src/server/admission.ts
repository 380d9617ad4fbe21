/**
 * Bounds the OTLP requests being read, decoded and written at once, by count and by declared body size, so a
 * client that sends faster than the store writes gets 429 + Retry-After instead of growing the server's memory.
 * One request is always admitted when none is in flight, however large, so a big body is never refused forever.
 */
export class InFlightLimiter {
  private requests = 0;
  private bytes = 0;

  constructor(
    readonly maxRequests: number,
    readonly maxBytes: number,
  ) {}

  /** Reserves room for a request of `bytes` (its Content-Length, 0 when unknown); returns the release, or undefined when full. */
  tryAcquire(bytes: number): (() => void) | undefined {
    if (this.requests > 0 && (this.requests >= this.maxRequests || this.bytes + bytes > this.maxBytes)) return undefined;
    this.requests++;
    this.bytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.requests--;
      this.bytes -= bytes;
    };
  }

  get inFlight(): number {
    return this.requests;
  }
}
