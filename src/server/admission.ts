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

/**
 * Bounds the OTLP requests being read, decoded and written at once, by count and by the bytes their bodies
 * occupy, so a client that sends faster than the store writes gets 429 + Retry-After instead of growing the
 * server's memory. One request is always admitted when none is in flight, however large, and the oldest request
 * in flight may always grow, so a big body is never refused forever and growing requests cannot starve each other.
 */
export class InFlightLimiter {
  private bytes = 0;
  /** In admission order: the first is the oldest. */
  private readonly reservations = new Set<InFlightReservation>();

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
      },
    };
    this.reservations.add(reservation);
    return reservation;
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
