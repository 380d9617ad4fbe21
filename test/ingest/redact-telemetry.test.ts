import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shippedPriceTable } from '../../src/generation/prices.js';
import { GenerationIngest } from '../../src/ingest/ingest.js';
import { recordId, toGenerationRecord } from '../../src/ingest/record.js';
import { redactLogRecord, redactSpan } from '../../src/ingest/redact-telemetry.js';
import { InstrumentationScopes, REDACTED } from '../../src/semconv/keys.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PlaygroundStore } from '../../src/store/types.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../../src/translate/types.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { HANDWRITTEN, makeSpan } from '../translate/fixtures/handwritten.js';
import { type CapturedScenarioJson, reviveLog, reviveSpan } from '../translate/revive.js';

/** Every credential planted below starts with this, so a stored copy is found by a plain search. */
const SECRET = 'sk-planted';

/** Credentials where kept spans carry them: request attributes, headers, JSON settings (deep), metadata, resource. */
function withCredentials(span: NormalizedSpan, n: number): NormalizedSpan {
  const parameters = { temperature: 0.5, nested: { deeper: { api_key: `${SECRET}-params-${n}` } }, base_url: `https://u:${SECRET}@h/` };
  return {
    ...span,
    attributes: {
      ...span.attributes,
      'gen_ai.request.api_key': `${SECRET}-attr-${n}`,
      'http.request.header.authorization': [`Bearer ${SECRET}-header-${n}`],
      'gen_ai.prompt.variable.azure_openai_key': `${SECRET}-variable-${n}`,
      'ai.telemetry.metadata.auth': `${SECRET}-metadata-${n}`,
      'llm.invocation_parameters': JSON.stringify(parameters),
    },
    events: span.events.map((event) => ({ ...event, attributes: { ...event.attributes, Authorization: `${SECRET}-event-${n}` } })),
    resource: { ...span.resource, 'deployment.credentials': { password: `${SECRET}-resource-${n}` } },
  };
}

function logWithCredentials(record: NormalizedLogRecord, n: number): NormalizedLogRecord {
  const body = record.body;
  return {
    ...record,
    attributes: { ...record.attributes, Authorization: `Bearer ${SECRET}-log-${n}`, 'gen_ai.request.api_key': `${SECRET}-log-${n}` },
    body: typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, api_key: `${SECRET}-body-${n}` } : body,
  };
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item));
}

/** Captured spans of the real instrumentations (bench/fixtures) and the hand-written ones, each with its log records. */
function corpus(): { name: string; span: NormalizedSpan; logs: NormalizedLogRecord[] }[] {
  const out: { name: string; span: NormalizedSpan; logs: NormalizedLogRecord[] }[] = [];
  const directory = fileURLToPath(new URL('../../bench/fixtures/', import.meta.url));
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.json'))) {
    const scenarios = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Record<string, CapturedScenarioJson>;
    for (const [scenario, captured] of Object.entries(scenarios)) {
      const logs = captured.logs.map(reviveLog);
      for (const span of captured.spans.map(reviveSpan)) {
        const own = logs.filter((log) => log.spanId === span.spanId);
        out.push({ name: `${file} ${scenario} ${span.name}`, span, logs: own });
      }
    }
  }
  for (const [name, fixture] of Object.entries(HANDWRITTEN)) out.push({ name, span: fixture.span, logs: fixture.logs ?? [] });
  return out;
}

describe('redacting kept spans and log records', () => {
  it('gives the same generation from the redacted span and logs as from the originals, with no credential left', () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThan(30);
    let generations = 0;
    cases.forEach(({ name, span, logs }, n) => {
      const planted = withCredentials(span, n);
      const plantedLogs = logs.map((log) => logWithCredentials(log, n));
      const redacted = redactSpan(planted);
      const redactedLogs = plantedLogs.map(redactLogRecord);
      expect(toJson(redacted), name).not.toContain(SECRET);
      expect(toJson(redactedLogs), name).not.toContain(SECRET);
      expect(toJson(redactSpan(redacted)), name).toBe(toJson(redacted));

      for (const [input, inputLogs] of [
        [span, logs],
        [planted, plantedLogs],
      ] as const) {
        const original = translateSpan(input, inputLogs);
        const again = translateSpan(redactSpan(input), inputLogs.map(redactLogRecord));
        expect(again?.generation, name).toEqual(original?.generation);
        if (original) generations++;
      }
    });
    expect(generations).toBeGreaterThan(40);
  });

  it('keeps tool definitions and content that merely name a credential, as the generation does', () => {
    const tools = [
      { type: 'function', function: { name: 'login', parameters: { properties: { api_key: true, password: { type: 'string' } } } } },
    ];
    const span = makeSpan('ChatCompletion', {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'log me in at https://ada:pw@example.com',
      'llm.invocation_parameters': JSON.stringify({ tools, api_key: 'sk-1', eos_token: '</s>', max_tokens: 3 }),
    });
    const redacted = redactSpan(span);
    expect(JSON.parse(redacted.attributes['llm.invocation_parameters'] as string)).toEqual({
      tools,
      api_key: REDACTED,
      eos_token: '</s>',
      max_tokens: 3,
    });
    expect(redacted.attributes['llm.input_messages.0.message.content']).toBe(span.attributes['llm.input_messages.0.message.content']);
    expect(translateSpan(redacted)?.generation).toEqual(translateSpan(span)?.generation);
  });
});

let dir: string;
let pgServer: PostgresServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'genspan-redact-'));
  pgServer = await startPostgres();
});

afterAll(async () => {
  await pgServer?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<PlaygroundStore>][] = [
  ['SQLite', async () => new SqliteStore({ path: join(dir, `redact-${Date.now()}.db`) })],
  ['PostgreSQL', async () => new PostgresStore({ connectionString: await pgServer.createDatabase('genspan_redact') })],
];

describe.each(stores)('GenerationIngest stores no credential (%s)', (name, openStore) => {
  let store: PlaygroundStore;

  beforeEach(async () => {
    store = await openStore();
  });

  afterEach(async () => {
    await store.close();
  });

  it('redacts the kept span and the log records before they are stored, and rebuilds the same generation', async () => {
    const span: NormalizedSpan = {
      ...makeSpan('chat gpt-4o', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.request.max_tokens': 7 }),
      scope: { name: InstrumentationScopes.OPENTELEMETRY_OPENAI },
    };
    const planted = withCredentials(span, 0);
    const log = (eventName: string, body: unknown): NormalizedLogRecord =>
      logWithCredentials(
        {
          traceId: span.traceId,
          spanId: span.spanId,
          timeUnixNano: span.startTimeUnixNano + 1n,
          eventName,
          body,
          attributes: { 'event.name': eventName, 'gen_ai.system': 'openai' },
          resource: {},
          scope: { name: InstrumentationScopes.OPENTELEMETRY_OPENAI },
        },
        0,
      );
    const logs = [
      log('gen_ai.user.message', { content: 'hi' }),
      log('gen_ai.choice', { index: 0, finish_reason: 'stop', message: { content: 'hello' } }),
    ];
    const ingest = new GenerationIngest(store);

    expect(await ingest.ingestSpans([planted])).toMatchObject({ stored: 1 });
    expect(await ingest.ingestLogs(logs)).toMatchObject({ stored: 2, updated: 1 });

    const key = { traceId: span.traceId, spanId: span.spanId };
    const keptSpans = await store.spansFor([key]);
    const keptLogs = await store.logsFor([key]);
    expect(keptSpans.size).toBe(1);
    expect(toJson([...keptSpans.values()])).not.toContain(SECRET);
    expect(toJson([...keptLogs.values()])).not.toContain(SECRET);
    const kept = [...keptSpans.values()][0];
    expect(kept.attributes['gen_ai.request.api_key']).toBe(REDACTED);
    expect(kept.attributes['gen_ai.request.max_tokens']).toBe(7);

    const record = await store.get(recordId(span.traceId, span.spanId));
    const fromOriginals = translateSpan(planted, logs);
    expect(fromOriginals).not.toBeNull();
    expect(record?.generation).toEqual(toGenerationRecord(planted, fromOriginals!, shippedPriceTable()).generation);
    expect(record?.generation.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(record?.generation.settings).toMatchObject({ api_key: REDACTED, max_tokens: 7 });
    expect(toJson(record)).not.toContain(SECRET);

    if (name === 'SQLite') {
      // The database file and its write-ahead log, byte for byte.
      await store.close();
      for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(SECRET), file).toBe(false);
      store = await openStore();
    }
  });
});
