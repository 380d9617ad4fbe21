import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as later } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { recordId } from '../../src/ingest/record.js';
import { startServer } from '../../src/server/server.js';
import { PostgresStore } from '../../src/store/postgres.js';
import type { RetentionReport } from '../../src/store/retention.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { makeRecord, makeStep } from '../store/fixtures.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-retention-server-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const SENDERS = 2;
const SPANS_PER_REQUEST = 10;
/**
 * Each sender's pace: a request every 50 ms, 400 generations a second in all, a busy application's rate. Flat out
 * they outpace the deletes (PostgreSQL's retention deleted 300 to 800 a second here, each with its step, trace and kept
 * span, while the senders wrote over 1,000), so no run would ever finish; retention catching up is not what this
 * test is about, deleting correctly while writes go on is.
 */
const SEND_EVERY_MS = 50;

/** The retention window: short, so what the senders write during the test leaves it while they go on writing. */
const WINDOW_MS = 2000;
/** How long each span lasts: its trace ends this long after it starts. */
const SPAN_MS = 50;

interface Sent {
  id: string;
  startMs: number;
  /** Date.now() when the server acknowledged it. */
  ackedAt: number;
}

/** An OTLP/JSON request of LLM spans (GenAI conventions) starting now, each in its own trace. */
function request(sender: number, sequence: number): { body: string; spans: { id: string; startMs: number }[] } {
  const startMs = Date.now();
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, index) => {
    const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
    // Senders count from 1: sender 0's first span would have the all-zero trace id, which the server rejects.
    const traceId = `${hex(sender + 1, 4)}${hex(sequence, 12)}${hex(index, 16)}`;
    const spanId = `${(index + 1).toString(16).padStart(16, '0')}`;
    return {
      startMs,
      id: recordId(traceId, spanId),
      span: {
        traceId,
        spanId,
        name: 'chat gpt-4o',
        kind: 3,
        startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`,
        endTimeUnixNano: `${BigInt(startMs + SPAN_MS) * 1_000_000n}`,
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
  return { body, spans: spans.map(({ id, startMs: start }) => ({ id, startMs: start })) };
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

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.destroy();
});

const stores: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: join(folder, 'busy.db') })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await postgres.createDatabase() })],
];

describe.each(stores)('genspan serve --retain on %s', (name, create) => {
  it('deletes while senders keep writing, and nothing acknowledged newer than the window is lost', async () => {
    const store = await create();
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
      retention: { retainMs: WINDOW_MS },
      logDestination: { write: (line: string) => logged.push(line) },
    });
    const sent: Sent[] = [];
    /** Answers that rejected some of a request's spans (OTLP partial success): those spans were not acknowledged. */
    const rejections: string[] = [];
    let sending = true;
    const sender = async (index: number) => {
      for (let sequence = 0; sending; sequence++) {
        const paced = later(SEND_EVERY_MS);
        const { body, spans } = request(index, sequence);
        const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = await response.text();
        const ackedAt = Date.now();
        if (response.status === 200) {
          if ((JSON.parse(answer) as { partialSuccess?: unknown }).partialSuccess !== undefined) rejections.push(answer);
          else for (const span of spans) sent.push({ ...span, ackedAt });
        }
        await paced;
      }
    };
    const senders = Array.from({ length: SENDERS }, (_, index) => sender(index));
    const retention = server.retention;
    if (!retention) throw new Error('the server has no retention schedule');
    /** Each run's clock: it measures its cutoff between `startedAt` and `finishedAt`. */
    const runs: { startedAt: number; finishedAt: number; report: RetentionReport | undefined }[] = [];
    const began = Date.now();
    try {
      // Runs one after another while the senders write, until what they wrote first has left the window several times
      // over and the last run completed with acknowledgements arriving during it; the first run is the one the server
      // started when it was ready (6,000 year-old traces to delete).
      const acksDuring = (run: (typeof runs)[number]) =>
        sent.some((entry) => entry.ackedAt > run.startedAt && entry.ackedAt < run.finishedAt);
      for (;;) {
        const startedAt = Date.now();
        const report = await retention.run();
        const run = { startedAt, finishedAt: Date.now(), report };
        runs.push(run);
        if (runs.length >= 4 && Date.now() - began >= 3 * WINDOW_MS && report?.complete && acksDuring(run)) break;
      }
    } finally {
      sending = false;
      await Promise.all(senders);
    }
    await server.close();

    const reports = runs.map((run) => run.report);
    const last = runs[runs.length - 1];
    const deleted = reports.reduce((sum, report) => sum + (report?.generations ?? 0), 0);
    const longest = Math.max(...reports.map((report) => report?.longestBatchMs ?? 0));
    const cut = runs.filter((run) => !run.report?.complete).length;
    console.log(
      `retention under load, ${name}: ${runs.length} runs (${cut} cut at the time limit) deleted ${deleted} generations, ` +
        `longest batch ${longest.toFixed(1)} ms, ${sent.length} spans acked`,
    );

    // Every span sent is valid, so the server took them all: `sent` is every span written.
    expect(rejections).toEqual([]);
    // Every acknowledged record still inside the last run's window is stored.
    const young = sent.filter((entry) => entry.startMs >= last.finishedAt - WINDOW_MS).map((entry) => entry.id);
    expect(young.length).toBeGreaterThan(0);
    const found = await store.getMany(young);
    expect(young.filter((id) => !found.has(id))).toEqual([]);
    // What had left it before the last run started (its trace ended before the cutoff) was deleted, the year-old
    // backlog and the senders' own early records alike.
    const expired = sent
      .filter((entry) => entry.ackedAt < last.startedAt && entry.startMs + SPAN_MS < last.startedAt - WINDOW_MS)
      .map((entry) => entry.id);
    expect(expired.length).toBeGreaterThan(0);
    expect((await store.getMany(expired)).size).toBe(0);
    expect(deleted).toBeGreaterThanOrEqual(6000 + expired.length);
    expect(logged.some((line) => / INFO +retention: deleted \d+ generations/.test(line))).toBe(true);
    await store.close();
  }, 120_000);
});
