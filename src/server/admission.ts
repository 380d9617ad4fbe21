/**
 * Room held for one OTLP request: its declared body size at first, grown while the body is received and
 * inflated, so a small gzip body that inflates to the body limit is counted at its real size.
 */
export interface InFlightReservation {
  /** Bytes held for this request so far. */
  readonly bytes: number;
  /**
   * Grows the reservation to `total` bytes. False when that passes the byte limit while an older request is in
   * flight: the caller then refuses the request (429) instead of holding the bytes.
   */
  growTo(total: number): boolean;
  /** Gives the room back; later calls do nothing. */
  release(): void;
}

/** A request waiting for room; `ready` says whether its body is already here (or fills its buffer). */
interface Waiter {
  readonly bytes: number;
  readonly ready: () => boolean;
  grant(reservation: InFlightReservation): void;
}

export interface AcquireOptions {
  /** How long to wait for room before giving up. */
  waitMs: number;
  /** True when the request's body has already arrived: such a request is admitted before those still trickling in. */
  ready: () => boolean;
  /** Aborted when the client goes away while waiting. */
  signal?: AbortSignal;
}

/**
 * Bounds the OTLP requests being read, decoded and written at once, by count and by the bytes their bodies
 * occupy, so a client that sends faster than the store writes gets 429 + Retry-After instead of growing the
 * server's memory. One request is always admitted when none is in flight, however large, and the oldest request
 * in flight may always grow, so a big body is never refused forever and growing requests cannot starve each other.
 * A request may wait a little for room; freed room goes first to a waiting request whose body is already here, so
 * senders that trickle their bodies in cannot keep a ready one out.
 */
export class InFlightLimiter {
  private bytes = 0;
  /** In admission order: the first is the oldest. */
  private readonly reservations = new Set<InFlightReservation>();
  /** In arrival order. */
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly maxRequests: number,
    readonly maxBytes: number,
  ) {}

  /** Reserves room for a request of `bytes` (its Content-Length, 0 when unknown); undefined when full. */
  tryAcquire(bytes: number): InFlightReservation | undefined {
    const requests = this.reservations.size;
    if (requests > 0 && (requests >= this.maxRequests || this.bytes + bytes > this.maxBytes)) return undefined;
    this.bytes += bytes;
    let held = bytes;
    let released = false;
    const reservation: InFlightReservation = {
      get bytes() {
        return held;
      },
      growTo: (total) => {
        const added = total - held;
        if (released) return false;
        if (added <= 0) return true;
        if (this.bytes + added > this.maxBytes && this.oldest() !== reservation) return false;
        this.bytes += added;
        held = total;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.bytes -= held;
        this.reservations.delete(reservation);
        this.admitWaiters();
      },
    };
    this.reservations.add(reservation);
    return reservation;
  }

  /** Reserves room as `tryAcquire` does, waiting up to `waitMs` for it; undefined when none came in time. */
  acquire(bytes: number, options: AcquireOptions): Promise<InFlightReservation | undefined> {
    const { waitMs, ready, signal } = options;
    const now = this.waiters.size === 0 ? this.tryAcquire(bytes) : undefined;
    if (now || waitMs <= 0 || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const leave = (reservation: InFlightReservation | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve(reservation);
      };
      const onAbort = () => leave(undefined);
      const waiter: Waiter = { bytes, ready, grant: leave };
      const timer = setTimeout(() => leave(undefined), waitMs);
      signal?.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
      this.admitWaiters();
    });
  }

  /** Hands freed room to the waiters: those whose body is here first, then the others, oldest first. */
  private admitWaiters(): void {
    for (;;) {
      let next: Waiter | undefined;
      for (const waiter of this.waiters) {
        if (waiter.ready()) {
          next = waiter;
          break;
        }
        next ??= waiter;
      }
      const reservation = next && this.tryAcquire(next.bytes);
      if (!next || !reservation) return;
      next.grant(reservation);
    }
  }

  private oldest(): InFlightReservation | undefined {
    return this.reservations.values().next().value;
  }

  get inFlight(): number {
    return this.reservations.size;
  }

  /** Bytes held by the requests in flight. */
  get inFlightBytes(): number {
    return this.bytes;
  }
}
