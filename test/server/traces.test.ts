import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationItem, ThreadDetail, ThreadList, TraceDetail, TraceList } from '../../src/generation/rest.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { makeRecord } from '../store/fixtures.js';
import { tempDir } from '../support/playground-seeds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { getJson } from '../support/sender.js';
import {
  BATCH_TOOL_CALLS,
  DOCS_THREAD,
  FIRST_QUESTION,
  hexId,
  LONG_INPUT,
  LONG_NAME,
  SECOND_QUESTION,
  type SeedBatch,
  SUPPORT_THREAD,
  seedTraces,
  supportTraces,
} from '../support/trace-seeds.js';

/**
 * The traces' and threads' REST API over real HTTP, on each store (a real SQLite file, a real PostgreSQL) seeded with
 * steps and threads as ingestion writes them.
 */

const JAEGER = 'http://127.0.0.1:16686';
const TRUNCATED = /…\[truncated by genspan, original length \d+ chars\]$/;
const TURN_ONE = hexId('turn-one', 32);
const TURN_TWO = hexId('turn-two', 32);
const LONG_DOC = hexId('long-doc', 32);
const BATCH = hexId('batch', 32);
const LONE = hexId('lone', 32);
const NEWEST_FIRST = [LONG_DOC, TURN_TWO, TURN_ONE, BATCH, LONE];

const dir = tempDir('genspan-traces-');
let postgres: PostgresServer | undefined;

afterAll(async () => {
  await postgres?.destroy();
  dir.remove();
});

const STORES: { name: string; open(): Promise<PlaygroundStore> }[] = [
  { name: 'SqliteStore', open: async () => new SqliteStore({ path: dir.file('traces.db') }) },
  {
    name: 'PostgresStore',
    open: async () => {
      postgres ??= await startPostgres();
      return new PostgresStore({ connectionString: await postgres.createDatabase('traces') });
    },
  },
];

describe.each(STORES)('the traces and threads API on $name', ({ open }) => {
  let store: PlaygroundStore;
  let server: RunningServer;
  let seeded: SeedBatch;
  /** The server's log: no request of these tests may log an error. */
  const logLines: string[] = [];
  /** A generation stored without steps, as every record was before steps. */
  const stepless = makeRecord({ span: 901 });

  beforeAll(async () => {
    store = await open();
    seeded = await seedTraces(store, supportTraces());
    await store.write([stepless]);
    server = await startServer({ store, port: 0, jaegerUrl: JAEGER, logDestination: { write: (line: string) => logLines.push(line) } });
  }, 90_000);

  afterAll(async () => {
    expect(logLines.filter((line) => / ERROR /.test(line))).toEqual([]);
    await server?.close();
    await store?.close();
  });

  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    return getJson<T>(`${server.url}${path}`);
  }

  async function message(path: string): Promise<[number, string]> {
    const { status, body } = await get<{ message: string }>(path);
    return [status, body.message];
  }

  describe('GET /api/traces', () => {
    it('lists traces newest first with their root name, duration, step and generation counts, tokens and error', async () => {
      const { status, body } = await get<TraceList>('/api/traces');
      expect(status).toBe(200);
      expect(body.items.map((trace) => trace.traceId)).toEqual(NEWEST_FIRST);
      expect(body.nextCursor).toBeNull();
      expect(body.items[1]).toEqual({
        traceId: TURN_TWO,
        threadId: SUPPORT_THREAD,
        name: 'answer-question',
        serviceName: 'support-bot',
        startTime: '2026-05-01T10:05:00.000Z',
        endTime: '2026-05-01T10:05:01.800Z',
        durationMs: 1800,
        steps: 3,
        generations: 1,
        tokens: 28,
        error: true,
      });
      expect(body.items[2]).toMatchObject({ traceId: TURN_ONE, durationMs: 2400, steps: 3, generations: 1, error: false });
      expect(body.items[3]).toMatchObject({
        traceId: BATCH,
        threadId: null,
        name: 'batch-run',
        steps: BATCH_TOOL_CALLS + 2,
        generations: 1,
      });
    });

    it("cuts a long root name in the list as the generation list cuts strings, and the trace's detail keeps it whole", async () => {
      const { body } = await get<TraceList>('/api/traces');
      const long = body.items[0];
      expect(long.name).toMatch(TRUNCATED);
      expect(long.name!.startsWith(LONG_NAME.slice(0, 300))).toBe(true);
      expect(long.name!.length).toBeLessThan(400);
      const detail = await get<TraceDetail>(`/api/traces/${LONG_DOC}`);
      expect(detail.body.steps[0].name).toBe(LONG_NAME);
      expect(detail.body.steps[0].input).toBe(LONG_INPUT);
    });

    it("filters by the generation list's parameters and pages with the cursor", async () => {
      const docs = await get<TraceList>('/api/traces?service=docs-app');
      expect(docs.body.items.map((trace) => trace.traceId)).toEqual([LONG_DOC]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: TraceList } = await get<TraceList>(
          `/api/traces?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.body.items).toHaveLength(1);
        seen.push(page.body.items[0].traceId);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(NEWEST_FIRST);
    });

    it('answers 400 with one message naming each unusable parameter', async () => {
      expect(await message('/api/traces?limit=0')).toEqual([400, 'query parameter "limit" must be an integer from 1 to 500']);
      expect(await message('/api/traces?from=yesterday&error=maybe')).toEqual([
        400,
        'query parameter "error" must be true or false; query parameter "from" must be an ISO-8601 time, got "yesterday"',
      ]);
      const [status, text] = await message('/api/traces?cursor=not-a-cursor');
      expect(status).toBe(400);
      expect(text).toMatch(/cursor/);
    });
  });

  describe('GET /api/traces/:traceId', () => {
    it('returns the steps in tree order with their parents, generations and the Jaeger link', async () => {
      const { status, body } = await get<TraceDetail>(`/api/traces/${TURN_TWO}`);
      expect(status).toBe(200);
      expect(body.traceId).toBe(TURN_TWO);
      expect(body.threadId).toBe(SUPPORT_THREAD);
      expect(body.jaegerUrl).toBe(`${JAEGER}/trace/${TURN_TWO}`);
      expect(body.steps).toEqual(seeded.steps.filter((step) => step.traceId === TURN_TWO));
      const [root, llm, tool] = body.steps;
      expect([root.parentId, llm.parentId, tool.parentId]).toEqual([null, root.id, root.id]);
      expect(llm.generationId).toBe(llm.id);
      expect(tool).toMatchObject({ type: 'tool', error: 'Address service unavailable', generationId: null });
      // Siblings by start time: the batch's tool calls in their order, then its llm step.
      const batch = await get<TraceDetail>(`/api/traces/${BATCH}`);
      expect(batch.body.steps.map((step) => step.name)).toEqual([
        'batch-run',
        ...Array.from({ length: BATCH_TOOL_CALLS }, (_, index) => `fetch-page-${index}`),
        'summarise the pages',
      ]);
    });

    it('answers 404 for a trace without steps and 400 for what is no trace id', async () => {
      expect(await message(`/api/traces/${'0'.repeat(31)}1`)).toEqual([404, `no trace with id ${'0'.repeat(31)}1`]);
      expect(await message(`/api/traces/${stepless.traceId}`)).toEqual([404, `no trace with id ${stepless.traceId}`]);
      expect(await message('/api/traces/not-hex')).toEqual([400, 'a trace id is 32 hex characters, got "not-hex"']);
    });
  });

  describe('GET /api/threads', () => {
    it('lists threads most recently active first, named by their first user input, with user and trace count', async () => {
      const { status, body } = await get<ThreadList>('/api/threads');
      expect(status).toBe(200);
      expect(body.items.map((thread) => thread.id)).toEqual([DOCS_THREAD, SUPPORT_THREAD]);
      expect(body.items[1]).toEqual({
        id: SUPPORT_THREAD,
        name: FIRST_QUESTION,
        userId: 'user-42',
        startTime: '2026-05-01T10:00:00.000Z',
        endTime: '2026-05-01T10:05:01.800Z',
        traces: 2,
      });
    });

    it('cuts a name that is a long first input, filters by user and pages with the cursor', async () => {
      const { body } = await get<ThreadList>('/api/threads');
      expect(body.items[0].name).toMatch(TRUNCATED);
      expect(body.items[0].name!.length).toBeLessThan(400);
      expect((await get<ThreadList>('/api/threads?userId=user-42')).body.items.map((thread) => thread.id)).toEqual([SUPPORT_THREAD]);
      expect((await get<ThreadList>('/api/threads?userId=nobody')).body.items).toEqual([]);
      const first = await get<ThreadList>('/api/threads?limit=1');
      expect(first.body.items.map((thread) => thread.id)).toEqual([DOCS_THREAD]);
      const second = await get<ThreadList>(`/api/threads?limit=1&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
      expect(second.body.items.map((thread) => thread.id)).toEqual([SUPPORT_THREAD]);
      expect(second.body.nextCursor).toBeNull();
    });

    it('answers 400 for a bad limit or cursor', async () => {
      expect(await message('/api/threads?limit=many')).toEqual([400, 'query parameter "limit" must be an integer from 1 to 500']);
      expect(await message('/api/threads?limit=501')).toEqual([400, 'query parameter "limit" must be an integer from 1 to 500']);
      expect(await message('/api/threads?userId=a&userId=b')).toEqual([400, 'query parameter "userId" must be given once, as text']);
      const [status, text] = await message('/api/threads?cursor=not-a-cursor');
      expect(status).toBe(400);
      expect(text).toMatch(/cursor/);
    });
  });

  describe('GET /api/threads/:id', () => {
    it("returns the thread's turns in time order with each root step's input, output and error", async () => {
      const { status, body } = await get<ThreadDetail>(`/api/threads/${SUPPORT_THREAD}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: SUPPORT_THREAD, name: FIRST_QUESTION, userId: 'user-42' });
      expect(body.traces).toEqual([
        {
          traceId: TURN_ONE,
          name: 'answer-question',
          startTime: '2026-05-01T10:00:00.000Z',
          endTime: '2026-05-01T10:00:02.400Z',
          input: FIRST_QUESTION,
          output: 'Order 1234 ships tomorrow.',
          error: null,
        },
        {
          traceId: TURN_TWO,
          name: 'answer-question',
          startTime: '2026-05-01T10:05:00.000Z',
          endTime: '2026-05-01T10:05:01.800Z',
          input: SECOND_QUESTION,
          output: 'I could not change it: the address service is down.',
          error: 'Address service unavailable',
        },
      ]);
    });

    it('answers 404 for an unknown thread', async () => {
      expect(await message('/api/threads/no-such-thread')).toEqual([404, 'no thread with id no-such-thread']);
    });
  });

  describe('GET /api/generations/:id', () => {
    it('names the step that owns the generation and its trace’s thread', async () => {
      const llm = seeded.steps.find((step) => step.traceId === TURN_ONE && step.type === 'llm')!;
      const { status, body } = await get<GenerationItem>(`/api/generations/${llm.generationId}`);
      expect(status).toBe(200);
      expect(body.stepId).toBe(llm.id);
      expect(body.threadId).toBe(SUPPORT_THREAD);
      expect(body.jaegerUrl).toBe(`${JAEGER}/trace/${TURN_ONE}`);
    });

    it('leaves both out for a generation stored without steps, and the list never carries them', async () => {
      const { body } = await get<GenerationItem>(`/api/generations/${stepless.id}`);
      expect(body.id).toBe(stepless.id);
      expect(body).not.toHaveProperty('stepId');
      expect(body).not.toHaveProperty('threadId');
      const list = await get<{ items: GenerationItem[] }>('/api/generations');
      for (const item of list.body.items) {
        expect(item).not.toHaveProperty('stepId');
        expect(item).not.toHaveProperty('threadId');
      }
    });
  });
});
