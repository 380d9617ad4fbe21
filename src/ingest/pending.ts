import type { NormalizedSpan } from '../translate/types.js';
import { report } from './diagnostics.js';

/**
 * Spans held in memory at most (all traces together): spans of traces whose AI work has not been seen yet. Past it,
 * the oldest traces' spans are dropped, counted and reported.
 */
export const MAX_PENDING_SPANS = 10_000;

/**
 * How long a span waits for AI work in its trace, from when its trace's first held span arrived: longer than the
 * SDK's batch delay (5 s) and a slow LLM call, so a trace's other spans are there when its AI spans are exported.
 */
export const PENDING_SPAN_TTL_MS = 120_000;

/** Evictions are warned about at most this often (an app with many traces and no AI work could evict all the time). */
export const PENDING_WARNING_INTERVAL_MS = 60_000;

/** Trace ids remembered as having AI work, so their later spans are kept without a store lookup. */
export const MAX_AI_TRACES_REMEMBERED = 10_000;

interface PendingTrace {
  spans: NormalizedSpan[];
  since: number;
}

/** What the buffer let go of since it was created: spans of traces that showed no AI work in time, and spans evicted. */
export interface PendingStats {
  /** Spans held now. */
  held: number;
  /** Spans whose trace showed no AI work within `PENDING_SPAN_TTL_MS`: not stored, as the keep policy says. */
  expired: number;
  /** Spans dropped because the buffer was full before their time was up: reported as a warning. */
  evicted: number;
}

/**
 * Spans waiting for their trace's AI work (the keep policy keeps a trace's other spans only when it has some),
 * by trace, oldest trace first. Bounded in spans and in time; nothing leaves it unseen: expired spans are counted
 * (and logged at debug level, as most apps have many traces without AI work), evicted ones logged as a warning (at
 * most once a minute, with the running count).
 */
export class PendingSpans {
  private readonly traces = new Map<string, PendingTrace>();
  private held = 0;
  private expired = 0;
  private evicted = 0;
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: { maxSpans: number; ttlMs: number } = { maxSpans: MAX_PENDING_SPANS, ttlMs: PENDING_SPAN_TTL_MS },
    private readonly now: () => number = Date.now,
  ) {}

  get stats(): PendingStats {
    return { held: this.held, expired: this.expired, evicted: this.evicted };
  }

  /** Holds spans until their trace shows AI work (see `take`). */
  hold(spans: readonly NormalizedSpan[]): void {
    if (spans.length === 0) return;
    const now = this.now();
    this.expire(now);
    for (const span of spans) {
      let entry = this.traces.get(span.traceId);
      if (!entry) {
        entry = { spans: [], since: now };
        this.traces.set(span.traceId, entry);
      }
      entry.spans.push(span);
      this.held++;
    }
    this.evictOverflow();
  }

  /** Takes out the spans held for these traces. */
  take(traceIds: Iterable<string>): NormalizedSpan[] {
    const taken: NormalizedSpan[] = [];
    for (const traceId of traceIds) {
      const entry = this.traces.get(traceId);
      if (!entry) continue;
      this.traces.delete(traceId);
      this.held -= entry.spans.length;
      taken.push(...entry.spans);
    }
    return taken;
  }

  /** Puts back spans taken out for a write that failed, so a retry finds them again. */
  restore(spans: readonly NormalizedSpan[]): void {
    this.hold(spans);
  }

  private expire(now: number): void {
    let count = 0;
    for (const [traceId, entry] of this.traces) {
      if (now - entry.since < this.limits.ttlMs) break;
      this.traces.delete(traceId);
      this.held -= entry.spans.length;
      count += entry.spans.length;
    }
    if (count === 0) return;
    this.expired += count;
    report(
      'debug',
      `genspan: let go of ${count} spans whose traces showed no AI work within ${this.limits.ttlMs} ms (${this.expired} in total)`,
    );
  }

  private evictOverflow(): void {
    let count = 0;
    for (const [traceId, entry] of this.traces) {
      if (this.held <= this.limits.maxSpans) break;
      this.traces.delete(traceId);
      this.held -= entry.spans.length;
      count += entry.spans.length;
    }
    if (count === 0) return;
    this.evicted += count;
    const now = this.now();
    if (now - this.lastWarning < PENDING_WARNING_INTERVAL_MS) return;
    this.lastWarning = now;
    report(
      'warn',
      `genspan: dropped ${count} spans waiting for AI work in their traces: more than ${this.limits.maxSpans} were waiting ` +
        `(${this.evicted} dropped in total); ancestors and, with keepSpans 'all', other spans of those traces may be missing`,
    );
  }
}

/** Trace ids known to have AI work, the most recent `MAX_AI_TRACES_REMEMBERED`. */
export class AiTraces {
  private readonly ids = new Set<string>();

  constructor(private readonly max = MAX_AI_TRACES_REMEMBERED) {}

  has(traceId: string): boolean {
    return this.ids.has(traceId);
  }

  add(traceId: string): void {
    if (this.ids.has(traceId)) return;
    this.ids.add(traceId);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
  }
}
