import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { recordId } from '../../src/ingest/record.js';
import { startServer } from '../../src/server/server.js';
import type { RetentionReport } from '../../src/store/retention.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { makeRecord, makeStep } from '../store/fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-retention-server-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const HOUR = 3_600_000;
const SENDERS = 4;
const SPANS_PER_REQUEST = 20;

interface Sent {
  id: string;
  /** Older than the retention window when sent. */
  old: boolean;
  /** performance.now() when the server acknowledged it. */
  ackedAt: number;
}

/** An OTLP/JSON request of LLM spans (GenAI conventions), each in its own trace, half of them dated 2 h back. */
function request(sender: number, sequence: number): { body: string; spans: { id: string; old: boolean }[] } {
  const now = Date.now();
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, index) => {
    const old = index % 2 === 0;
    const startMs = old ? now - 2 * HOUR - index : now;
    const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
    const traceId = `${hex(sender, 4)}${hex(sequence, 12)}${hex(index, 16)}`;
    const spanId = `${(index + 1).toString(16).padStart(16, '0')}`;
    return {
      old,
      id: recordId(traceId, spanId),
      span: {
        traceId,
        spanId,
        name: 'chat gpt-4o',
        kind: 3,
        startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`,
        endTimeUnixNano: `${BigInt(startMs + 50) * 1_000_000n}`,
        attributes: [
          { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
          { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
          { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
          {
            key: 'gen_ai.input.messages',
            value: { stringValue: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]) },
          },
        ],
        status: {},
      },
    };
  });
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: `sender-${sender}` } }] },
        scopeSpans: [{ scope: { name: 'retention-test' }, spans: spans.map((entry) => entry.span) }],
      },
    ],
  });
  return { body, spans: spans.map(({ id, old }) => ({ id, old })) };
}

/** A trace a year old: a run step over an llm step and its generation. */
function yearOld(trace: number): { record: GenerationRecord; steps: StepRecord[] } {
  const span = trace * 10 + 2;
  return {
    record: makeRecord({ trace, span, atMs: trace }),
    steps: [
      makeStep({ trace, span: trace * 10 + 1, atMs: trace, durationMs: 1000 }),
      makeStep({ trace, span, parent: trace * 10 + 1, atMs: trace, type: 'llm' }),
    ],
  };
}

describe('genspan serve --retain', () => {
  it('deletes while senders keep writing, and nothing acknowledged newer than the window is lost', async () => {
    const store = new SqliteStore({ path: join(folder, 'busy.db') });
    // A backlog to delete: 6,000 year-old traces.
    for (let first = 1; first <= 6000; first += 1000) {
      const traces = Array.from({ length: 1000 }, (_, index) => yearOld(first + index));
      await store.writeWithSpans(
        traces.map((trace) => trace.record),
        new Map(),
        { steps: traces.flatMap((trace) => trace.steps), threads: [] },
      );
    }
    const logged: string[] = [];
    const server = await startServer({
      store,
      port: 0,
      retention: { retainMs: HOUR },
      logDestination: { write: (line: string) => logged.push(line) },
    });
    const sent: Sent[] = [];
    let sending = true;
    const sender = async (index: number) => {
      for (let sequence = 0; sending; sequence++) {
        const { body, spans } = request(index, sequence);
        const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        const ackedAt = performance.now();
        if (response.status === 200) for (const span of spans) sent.push({ ...span, ackedAt });
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, index) => sender(index));
    const retention = server.retention;
    if (!retention) throw new Error('the server has no retention schedule');
    const runs: { startedAt: number; report: RetentionReport | undefined; ackedBefore: number }[] = [];
    try {
      // Runs one after another while the senders write; the first is the one the server started when it was ready.
      for (let run = 0; run < 6; run++) {
        const ackedBefore = sent.length;
        const startedAt = performance.now();
        runs.push({ startedAt, report: await retention.run(), ackedBefore });
      }
    } finally {
      sending = false;
      await Promise.all(senders);
    }
    await server.close();

    const reports = runs.map((run) => run.report);
    expect(reports.every((report) => report !== undefined)).toBe(true);
    // The senders were writing during the runs: acknowledgements arrived between the first run's start and the last's.
    expect(sent.filter((entry) => entry.ackedAt > runs[0].startedAt && entry.ackedAt < runs[5].startedAt).length).toBeGreaterThan(0);
    const deleted = reports.reduce((sum, report) => sum + (report?.generations ?? 0), 0);
    expect(deleted).toBeGreaterThanOrEqual(6000);
    const longest = Math.max(...reports.map((report) => report?.longestBatchMs ?? 0));
    console.log(`retention under load: ${deleted} generations deleted, longest batch ${longest.toFixed(1)} ms, ${sent.length} spans acked`);

    // Every acknowledged record newer than the window is stored.
    const young = sent.filter((entry) => !entry.old).map((entry) => entry.id);
    const found = await store.getMany(young);
    expect(young.filter((id) => !found.has(id))).toEqual([]);
    // The old ones acknowledged before the last run started were deleted by it.
    const lastRun = runs[runs.length - 1];
    const oldBefore = sent.filter((entry) => entry.old && entry.ackedAt < lastRun.startedAt).map((entry) => entry.id);
    expect(oldBefore.length).toBeGreaterThan(0);
    expect((await store.getMany(oldBefore)).size).toBe(0);
    expect(logged.some((line) => / INFO .*retention: deleted \d+ generations/.test(line))).toBe(true);
    await store.close();
  }, 120_000);
});
