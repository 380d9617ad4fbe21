import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PlaygroundProcessorOptions, playgroundProcessors, register } from '../../src/export/register.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import { readPriceFile } from '../../src/ingest/prices.js';
import { step } from '../../src/step/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { GenerationStore, PlaygroundStore } from '../../src/store/types.js';
import { chatGeneration, DiagCapture, tempDir } from './support.js';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  name: string;
  serviceName: string | undefined;
}

/** A tiny OTLP/HTTP (JSON) receiver on 127.0.0.1, standing in for Jaeger or a collector. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; paths: string[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const serviceName = (resourceSpans.resource?.attributes ?? []).find((a: { key: string }) => a.key === 'service.name')?.value
          ?.stringValue;
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? [])
            spans.push({ traceId: span.traceId, spanId: span.spanId, name: span.name, serviceName });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function allRecords(store: GenerationStore): Promise<GenerationRecord[]> {
  return (await store.list({ limit: 500 })).items;
}

function opened(store: PlaygroundStore | undefined): PlaygroundStore {
  if (!store) throw new Error('register() has no store');
  return store;
}

/**
 * Makes a folder or file that nobody can write, as on a read-only root filesystem. Tests run as root here, where
 * permission bits stop nothing, so as root it is made immutable (`chattr +i`, which binds root too); otherwise
 * `chmod`. Returns how to undo it.
 */
function makeReadOnly(path: string, mode: number): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', path]);
    return () => execFileSync('chattr', ['-i', path]);
  }
  chmodSync(path, mode);
  return () => chmodSync(path, 0o755);
}

function runSteps(count: number): { llm: string[]; plain: string[] } {
  const llm: string[] = [];
  const plain: string[] = [];
  for (let i = 0; i < count; i++) {
    step({ name: 'agent', type: 'run' }, (run) => {
      plain.push(run.spanId);
      step({ name: 'call model', type: 'llm' }, (s) => {
        s.generation = chatGeneration(i);
        llm.push(s.spanId);
      });
    });
  }
  return { llm, plain };
}

const ENV_KEYS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_SERVICE_NAME'] as const;

describe('register()', () => {
  let dir: ReturnType<typeof tempDir>;
  const savedEnv = new Map<string, string | undefined>();
  const savedCwd = process.cwd();

  beforeEach(() => {
    dir = tempDir();
    for (const key of ENV_KEYS) {
      savedEnv.set(key, process.env[key]);
      delete process.env[key];
    }
  });

  afterEach(() => {
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    process.chdir(savedCwd);
    trace.disable();
    logs.disable();
    context.disable();
    propagation.disable();
    dir.remove();
  });

  it('sends LLM steps to the SQLite file and every span to the OTLP endpoint; shutdown() flushes both', async () => {
    const receiver = await startOtlpReceiver();
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
      process.env.OTEL_SERVICE_NAME = 'checkout-bot';
      const path = dir.file('app.db');
      const telemetry = register({ path });
      expect(telemetry.otlp).toBe(true);

      const { llm, plain } = runSteps(25);
      await telemetry.shutdown();

      expect(receiver.paths.every((line) => line.startsWith('POST /v1/traces application/json'))).toBe(true);
      const received = new Set(receiver.spans.map((span) => span.spanId));
      for (const spanId of [...llm, ...plain]) expect(received.has(spanId), `span ${spanId} at the OTLP endpoint`).toBe(true);
      expect(receiver.spans.every((span) => span.serviceName === 'checkout-bot')).toBe(true);

      const store = new SqliteStore({ path });
      try {
        const records = await allRecords(store);
        expect(records.map((r) => r.spanId).sort()).toEqual([...llm].sort());
        expect(records.every((r) => r.serviceName === 'checkout-bot')).toBe(true);
        expect(records[0].generation).toMatchObject({ type: 'CHAT', model: 'gpt-4o-mini' });
        // The same spans in both places: ids recorded in the store are the ones Jaeger would show.
        for (const record of records) expect(received.has(record.spanId)).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await receiver.close();
    }
  });

  it('uses the per-signal OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    const receiver = await startOtlpReceiver();
    try {
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.url}/custom/traces`;
      const telemetry = register({ path: dir.file('app.db'), serviceName: 'from-option' });
      const { llm } = runSteps(2);
      await telemetry.forceFlush();
      expect(receiver.paths[0]).toMatch(/^POST \/custom\/traces /);
      expect(receiver.spans.map((s) => s.spanId)).toEqual(expect.arrayContaining(llm));
      expect(receiver.spans[0].serviceName).toBe('from-option');
      expect((await allRecords(opened(telemetry.store))).map((r) => r.spanId).sort()).toEqual([...llm].sort());
      await telemetry.shutdown();
    } finally {
      await receiver.close();
    }
  });

  it('writes ./genspan.db by default, without OTLP when no endpoint is set, and closes the store it opened', async () => {
    process.chdir(dir.path);
    const telemetry = register();
    expect(telemetry.otlp).toBe(false);
    const { llm } = runSteps(3);
    await telemetry.shutdown();
    expect(existsSync(dir.file('genspan.db'))).toBe(true);
    await expect(opened(telemetry.store).list()).rejects.toThrow(/closed/);
    const store = new SqliteStore({ path: dir.file('genspan.db') });
    expect((await allRecords(store)).map((r) => r.spanId).sort()).toEqual([...llm].sort());
    await store.close();
  });

  it('leaves a store it was given open', async () => {
    const store = new SqliteStore({ path: dir.file('given.db') });
    const telemetry = register({ store });
    const { llm } = runSteps(2);
    await telemetry.shutdown();
    expect((await allRecords(store)).map((r) => r.spanId).sort()).toEqual([...llm].sort());
    await store.close();
  });

  it('reports one clear message, and does not throw, when the default file is not a genspan database', async () => {
    const diagnostics = new DiagCapture().install();
    try {
      const path = dir.file('notes.txt');
      writeFileSync(path, 'not a database at all, just some notes that happen to be here');
      const telemetry = register({ path });
      expect(telemetry.storeError?.message).toMatch(/is not a genspan database/);
      expect(diagnostics.matching(/is not a genspan database/)).toHaveLength(1);
      await telemetry.shutdown();
    } finally {
      diagnostics.uninstall();
    }
  });
});

describe('register() when the SQLite file cannot be opened', () => {
  let dir: ReturnType<typeof tempDir>;
  let diagnostics: DiagCapture;
  const undo: (() => void)[] = [];
  const savedCwd = process.cwd();

  beforeEach(() => {
    dir = tempDir();
    diagnostics = new DiagCapture().install();
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  });

  afterEach(() => {
    for (const restore of undo.splice(0)) restore();
    process.chdir(savedCwd);
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    diagnostics.uninstall();
    trace.disable();
    logs.disable();
    context.disable();
    propagation.disable();
    dir.remove();
  });

  /** Each case returns the `path` option (undefined: the default ./genspan.db, in the current folder it picks). */
  const cases: [string, RegExp, () => Promise<string | undefined>][] = [
    ['a missing folder', /folder .* does not exist/, async () => dir.file('missing/app.db')],
    [
      'a file as its folder',
      /unable to open database file/,
      async () => {
        writeFileSync(dir.file('notes.txt'), 'notes');
        return dir.file('notes.txt/app.db');
      },
    ],
    ['a folder', /it is a folder/, async () => dir.path],
    [
      'a file that is not SQLite',
      /is not a genspan database: it is not an SQLite file/,
      async () => {
        writeFileSync(dir.file('notes.txt'), 'not a database at all, just some notes that happen to be here');
        return dir.file('notes.txt');
      },
    ],
    [
      'the default ./genspan.db in a read-only folder',
      /unable to open database file/,
      async () => {
        mkdirSync(dir.file('app'));
        process.chdir(dir.file('app'));
        undo.push(makeReadOnly(dir.file('app'), 0o555));
        return undefined;
      },
    ],
    [
      'a genspan database in a read-only folder (its WAL index cannot be created)',
      /unable to open database file/,
      async () => {
        mkdirSync(dir.file('data'));
        await new SqliteStore({ path: dir.file('data/app.db') }).close();
        undo.push(makeReadOnly(dir.file('data'), 0o555));
        return dir.file('data/app.db');
      },
    ],
  ];

  it.each(cases)('%s: reports it once, naming the file, and goes on sending spans over OTLP without a store', async (_, reason, setUp) => {
    const receiver = await startOtlpReceiver();
    try {
      const path = await setUp();
      const shown = path ?? join(process.cwd(), 'genspan.db');
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;

      expect(() => new SqliteStore({ path: shown })).toThrow(shown);
      const telemetry = register({ path });

      expect(telemetry.store).toBeUndefined();
      expect(telemetry.storeError?.message).toContain(shown);
      expect(telemetry.storeError?.message).toMatch(reason);
      const reported = diagnostics.lines.filter((line) => line.message.includes(shown));
      expect(reported).toHaveLength(1);
      expect(reported[0].level).toBe('error');
      expect(reported[0].message).toMatch(reason);
      const { llm, plain } = runSteps(3);
      await telemetry.shutdown();
      const received = new Set(receiver.spans.map((span) => span.spanId));
      for (const spanId of [...llm, ...plain]) expect(received.has(spanId), `span ${spanId} at the OTLP endpoint`).toBe(true);
      expect(diagnostics.lines.filter((line) => line.message.includes(shown))).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('playgroundProcessors() reports it and gives processors that do nothing', async () => {
    const path = dir.file('missing/own.db');
    const genspan = playgroundProcessors({ path });
    expect(genspan.store).toBeUndefined();
    expect(genspan.storeError?.message).toContain(path);
    const provider = new BasicTracerProvider({ spanProcessors: [genspan.spanProcessor] });
    step({ name: 'llm', type: 'llm', tracer: provider.getTracer('app') }, (s) => {
      s.generation = chatGeneration(0);
    });
    await provider.shutdown();
    await genspan.close();
    expect(diagnostics.matching(/own\.db/)).toHaveLength(1);
  });

  it('register({ store: false }) creates no database file and sends spans over OTLP', async () => {
    const receiver = await startOtlpReceiver();
    try {
      process.chdir(dir.path);
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
      const telemetry = register({ store: false });
      expect(telemetry.store).toBeUndefined();
      expect(telemetry.storeError).toBeUndefined();
      const { llm } = runSteps(2);
      await telemetry.shutdown();
      expect(receiver.spans.map((span) => span.spanId)).toEqual(expect.arrayContaining(llm));
      expect(readdirSync(dir.path)).toEqual([]);
      expect(diagnostics.lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('register({ store: false }) without an OTLP endpoint says that spans go nowhere', async () => {
    const telemetry = register({ store: false });
    await telemetry.shutdown();
    expect(diagnostics.matching(/store: false.*spans go nowhere/)).toHaveLength(1);
  });
});

describe('playgroundProcessors() for an app that has its own provider', () => {
  it('adds genspan to an existing tracer provider', async () => {
    const dir = tempDir();
    try {
      const genspan = playgroundProcessors({ path: dir.file('own.db') });
      const provider = new BasicTracerProvider({ spanProcessors: [genspan.spanProcessor] });
      const tracer = provider.getTracer('app');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        step({ name: 'llm', type: 'llm', tracer }, (s) => {
          s.generation = chatGeneration(i);
          ids.push(s.spanId);
        });
      }
      step({ name: 'tool', type: 'tool', tracer }, () => undefined);
      await provider.shutdown();
      expect((await allRecords(opened(genspan.store))).map((r) => r.spanId).sort()).toEqual(ids.sort());
      await genspan.close();
    } finally {
      dir.remove();
    }
  });
});

describe('playgroundProcessors({ prices })', () => {
  async function storedCost(prices: PlaygroundProcessorOptions['prices'], dir: ReturnType<typeof tempDir>) {
    const genspan = playgroundProcessors({ path: dir.file(`prices-${Math.random()}.db`), prices });
    const provider = new BasicTracerProvider({ spanProcessors: [genspan.spanProcessor] });
    step({ name: 'llm', type: 'llm', tracer: provider.getTracer('app') }, (s) => {
      s.generation = chatGeneration(0);
    });
    await provider.shutdown();
    const [record] = await allRecords(opened(genspan.store));
    await genspan.close();
    return record.cost;
  }

  it("prices generations with the user's table, given as data, a built table or a file, merged over genspan's", async () => {
    const dir = tempDir();
    try {
      // gpt-4o-mini at genspan's $0.15 / $0.60 per million: 10 input and 5 output tokens.
      expect((await storedCost(undefined, dir))?.total).toBeCloseTo((10 * 0.15 + 5 * 0.6) / 1e6, 15);
      const mine = { models: { 'gpt-4o-mini': { input: 100_000, output: 200_000 } } };
      expect(await storedCost(mine, dir)).toEqual({ input: 1, output: 1, total: 2, currency: 'USD', source: 'price-table' });
      const file = dir.file('prices.json');
      writeFileSync(file, JSON.stringify(mine));
      expect((await storedCost(file, dir))?.total).toBe(2);
      // A table already built, as the exporters take one: used as it is, not refused as data.
      expect((await storedCost(readPriceFile(file), dir))?.total).toBe(2);
    } finally {
      dir.remove();
    }
  });

  it("reports a price table it cannot use, does not throw, and uses genspan's prices", async () => {
    const dir = tempDir();
    const diagnostics = new DiagCapture().install();
    try {
      // A JavaScript caller's table, unchecked by the compiler.
      const cost = await storedCost(JSON.parse('{ "models": { "gpt-4o-mini": { "input": "cheap" } } }'), dir);
      expect(cost?.total).toBeCloseTo((10 * 0.15 + 5 * 0.6) / 1e6, 15);
      expect(diagnostics.lines.map((line) => line.message).join('\n')).toMatch(
        /genspan: using genspan's own prices only: the prices option is not a usable price table: models\.gpt-4o-mini\.input/,
      );
    } finally {
      diagnostics.uninstall();
      dir.remove();
    }
  });
});
