import { afterEach, describe, expect, it } from 'vitest';
import { AiTraces, PendingSpans } from '../../src/ingest/pending.js';
import { DiagCapture } from '../export/support.js';
import { normalizedSpan } from '../store/fixtures.js';

const diagnostics = new DiagCapture().install();
afterEach(() => {
  diagnostics.lines.length = 0;
});

function spansOf(trace: number, count: number) {
  return Array.from({ length: count }, (_, index) => normalizedSpan({ trace, span: trace * 100 + index }));
}

describe('PendingSpans', () => {
  it("holds spans by trace and gives a trace's spans back once", () => {
    const pending = new PendingSpans();
    pending.hold([...spansOf(1, 2), ...spansOf(2, 1)]);
    expect(pending.stats).toEqual({ held: 3, expired: 0, evicted: 0 });
    expect(pending.take([spansOf(1, 1)[0].traceId]).map((span) => span.spanId)).toEqual(spansOf(1, 2).map((span) => span.spanId));
    expect(pending.take([spansOf(1, 1)[0].traceId])).toEqual([]);
    expect(pending.stats.held).toBe(1);
  });

  it('lets go of the spans of traces whose time is up, counted and logged at debug level', () => {
    let now = 0;
    const pending = new PendingSpans({ maxSpans: 100, ttlMs: 1000 }, () => now);
    pending.hold(spansOf(1, 2));
    now = 600;
    pending.hold(spansOf(2, 1));
    now = 1000;
    pending.hold(spansOf(3, 1));
    expect(pending.stats).toEqual({ held: 2, expired: 2, evicted: 0 });
    expect(pending.take([spansOf(1, 1)[0].traceId])).toEqual([]);
    expect(diagnostics.matching(/let go of 2 spans whose traces showed no AI work within 1000 ms/)[0].level).toBe('debug');
  });

  it('drops the oldest traces past its size, counted, with a warning at most once a minute', () => {
    let now = 0;
    const pending = new PendingSpans({ maxSpans: 3, ttlMs: 120_000 }, () => now);
    pending.hold(spansOf(1, 2));
    pending.hold(spansOf(2, 2));
    expect(pending.stats).toEqual({ held: 2, expired: 0, evicted: 2 });
    pending.hold(spansOf(3, 2));
    now = 61_000;
    pending.hold(spansOf(4, 2));
    expect(pending.stats).toEqual({ held: 2, expired: 0, evicted: 6 });
    const warnings = diagnostics.matching(/dropped \d+ spans waiting for AI work/);
    expect(warnings.map((line) => line.level)).toEqual(['warn', 'warn']);
    expect(warnings[1].message).toMatch(/\(6 dropped in total\)/);
  });
});

describe('AiTraces', () => {
  it('remembers the most recent trace ids only', () => {
    const traces = new AiTraces(2);
    traces.add('a');
    traces.add('b');
    traces.add('c');
    expect([traces.has('a'), traces.has('b'), traces.has('c')]).toEqual([false, true, true]);
  });
});
