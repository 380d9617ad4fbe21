import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedTraceId } from '../../src/ingest/literal.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli, tempDir } from '../support/cli.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';

const FIXTURES = new URL('../ingest/fixtures/literal/', import.meta.url);
const fixturePath = (name: string) => new URL(name, FIXTURES).pathname;

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withStore<T>(path: string, use: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

describe('genspan import of Literal AI and Chainlit data (real SQLite files)', () => {
  it('imports Literal thread dictionaries: records with their generations, and the steps of every trace', async () => {
    const db = join(dir, 'literal.db');
    const result = await runCli(['import', fixturePath('literal-threads.json'), '--db', db]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/imported 2 generation records and 7 steps of 2 threads from Literal AI data into SQLite/);
    await withStore(db, async (store) => {
      const record = await store.get('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a03');
      expect(record?.source).toBe('literal');
      expect(record?.generation).toMatchObject({
        settings: {},
        tags: [],
        tools: [{ type: 'function', function: { name: 'refund_order' } }],
      });
      const traceId = derivedTraceId('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01');
      const links = (await store.stepLinks([traceId])).get(traceId) ?? [];
      expect(links.map((link) => link.type).sort()).toEqual(['llm', 'run', 'tool', 'undefined', 'undefined']);
      expect(links.find((link) => link.type === 'llm')?.generationId).toBe(record?.id);
    });
    const again = await runCli(['import', fixturePath('literal-threads.json'), '--db', db]);
    expect(again.stdout).toMatch(/imported 0 generation records .*\(2 already there\)/);
  });

  it('imports Chainlit Step.to_dict() dictionaries from standard input, and Literal step lines', async () => {
    const db = join(dir, 'chainlit.db');
    const chainlit = await runCli(['import', '-', '--db', db], { input: readFileSync(fixturePath('chainlit-steps.json'), 'utf8') });
    expect(chainlit.stderr).toBe('');
    expect(chainlit.stdout).toMatch(/imported 1 generation records and 5 steps of 1 threads from Chainlit data/);
    const lines = await runCli(['import', fixturePath('literal-steps.jsonl'), '--db', db]);
    expect(lines.stdout).toMatch(/imported 1 generation records and 2 steps of 0 threads from Literal AI data/);
    await withStore(db, async (store) => {
      expect((await store.get('3b4d9d88-3d3b-4a3b-9c86-4d4e9f3e5d03'))?.source).toBe('chainlit');
      const translated = await store.get('2a3c8c77-2c2a-4f2a-8b75-3c3d8e2d4c02');
      expect(translated?.generation).toMatchObject({ templateFormat: 'mustache' });
      // Priced on import from its tokens, as genspan JSON Lines are.
      expect(translated?.cost).toMatchObject({ source: 'price-table', currency: 'USD' });
    });
  });

  it('reads one JSON object spread over lines, and refuses an item of no known kind in one line, storing nothing', async () => {
    const one = join(dir, 'one-thread.json');
    writeFileSync(one, JSON.stringify((JSON.parse(readFileSync(fixturePath('literal-threads.json'), 'utf8')) as unknown[])[1], null, 2));
    const db = join(dir, 'one.db');
    const result = await runCli(['import', one, '--db', db]);
    expect(result.stdout).toMatch(/imported 1 generation records and 2 steps of 1 threads/);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 'a', startTime: '2025-01-01T00:00:00Z' }, { hello: 'world' }]));
    const refused = await runCli(['import', bad, '--db', join(dir, 'bad.db')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^genspan: nothing was imported: item 2: neither a Literal AI thread or step, a Chainlit step/);
    expect(existsSync(join(dir, 'bad.db'))).toBe(false);
  });
});

describe('genspan export --format literal (real SQLite files)', () => {
  it('Literal threads → genspan → Literal dictionaries → genspan: the same records, steps and threads', async () => {
    const first = join(dir, 'export-first.db');
    const second = join(dir, 'export-second.db');
    expect((await runCli(['import', fixturePath('literal-threads.json'), '--db', first])).code).toBe(0);
    const file = join(dir, 'literal-export.jsonl');
    const exported = await runCli(['export', '--format', 'literal', '--db', first, '--output', file]);
    expect(exported.stderr).toMatch(/exported 7 steps \(2 with a generation\) and 2 threads as Literal AI data/);
    expect(exported.code).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => Array.isArray(line.steps))).toHaveLength(2);
    const llm = lines.find((line) => line.id === '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a03');
    expect(llm).toMatchObject({
      type: 'llm',
      threadId: '5b6f0a38-51e4-4b7e-9f2b-0c6b1e7c7a01',
      rootRunId: '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01',
    });
    expect(lines.find((line) => line.id === '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01')).toMatchObject({ type: 'user_message' });

    const imported = await runCli(['import', file, '--db', second]);
    expect(imported.stdout).toMatch(/imported 2 generation records and 7 steps of 2 threads from Literal AI data/);
    const read = async (path: string) =>
      withStore(path, async (store) => {
        const traceIds = [derivedTraceId('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01'), derivedTraceId('1f2b7b66-1b1f-4e1f-9a64-2b2c7d1c3b01')];
        return {
          traces: await Promise.all(traceIds.map((id) => store.getTrace(id))),
          records: await store.getMany(['0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a03', '1f2b7b66-1b1f-4e1f-9a64-2b2c7d1c3b02']),
          thread: await store.getThread('5b6f0a38-51e4-4b7e-9f2b-0c6b1e7c7a01'),
        };
      });
    const before = await read(first);
    expect(before.traces.every((trace) => trace !== undefined && trace.steps.length > 0)).toBe(true);
    expect(before.thread).toMatchObject({ name: 'Refund for order 1234', userId: 'ada@example.com' });
    expect(await read(second)).toEqual(before);
  });

  it('exports spans-born steps with their OpenTelemetry ids, and they import back to the same traces', async () => {
    const source = join(dir, 'spans.db');
    const target = join(dir, 'spans-again.db');
    const traceId = 'cd'.repeat(16);
    const step = {
      id: 'a8f1a9a0-1111-8222-9333-444455556666',
      traceId,
      spanId: '3'.repeat(16),
      parentId: null,
      parentSpanId: null,
      name: 'answer',
      type: 'run' as const,
      input: 'q',
      output: 'a',
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:00:01.000Z',
      error: null,
      tags: ['x'],
      metadata: { k: 'v' },
      generationId: null,
      serviceName: null,
    };
    await withStore(source, (store) =>
      store.write([], { steps: [step], threads: [{ traceId, threadId: 't-9', threadName: 'Nine', userId: null }] }),
    );
    const file = join(dir, 'spans-literal.jsonl');
    expect((await runCli(['export', '--format', 'literal', '--db', source, '--output', file])).code).toBe(0);
    expect((await runCli(['import', file, '--db', target])).code).toBe(0);
    const [before, after] = await Promise.all([source, target].map((path) => withStore(path, (store) => store.getTrace(traceId))));
    expect(after).toEqual(before);
    expect(after?.steps[0]).toMatchObject({ id: step.id, spanId: step.spanId, metadata: { k: 'v' } });

    // genspan's own JSON Lines, told apart by the same first-line check, carry the steps and threads too.
    const jsonl = join(dir, 'spans.jsonl');
    const third = join(dir, 'spans-jsonl.db');
    expect((await runCli(['export', '--db', source, '--output', jsonl])).code).toBe(0);
    expect(readFileSync(jsonl, 'utf8')).toMatch(/^\{"kind":"step"/);
    expect((await runCli(['import', jsonl, '--db', third])).code).toBe(0);
    expect(await withStore(third, (store) => store.getTrace(traceId))).toEqual(before);
    expect(await withStore(third, (store) => store.getThread('t-9'))).toMatchObject({ name: 'Nine' });
  });
});

describe('Literal AI data through PostgreSQL (a real server)', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await postgres?.destroy();
  });

  it('imports Literal threads into PostgreSQL, exports them as Literal dictionaries, and SQLite reads the same traces', async () => {
    const url = await postgres.createDatabase('literal');
    const imported = await runCli(['import', fixturePath('literal-threads.json'), '--postgres', url]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/imported 2 generation records and 7 steps of 2 threads from Literal AI data into PostgreSQL/);
    const file = join(dir, 'from-postgres.jsonl');
    const exported = await runCli(['export', '--format', 'literal', '--postgres', url, '--output', file]);
    expect(exported.stderr).toMatch(/exported 7 steps \(2 with a generation\) and 2 threads as Literal AI data/);
    const sqlite = join(dir, 'from-postgres.db');
    expect((await runCli(['import', file, '--db', sqlite])).code).toBe(0);
    const traceId = derivedTraceId('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01');
    const store = new PostgresStore({ connectionString: url });
    try {
      const fromPostgres = await store.getTrace(traceId);
      expect(fromPostgres?.steps).toHaveLength(5);
      expect(await withStore(sqlite, (sqliteStore) => sqliteStore.getTrace(traceId))).toEqual(fromPostgres);
    } finally {
      await store.close();
    }
  });
});
