import { createServer as createHttpServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceTable } from '../../src/generation/prices.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { ErrorBody, GenerationList, PlaygroundConfig, RerunEvent } from '../../src/generation/rest.js';
import type { GenerationMessage } from '../../src/generation/schema.js';
import { GenerationIngest, type IngestResult } from '../../src/ingest/ingest.js';
import { Genspan, REDACTED } from '../../src/semconv/keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { CONFIGURE_COMMAND, registerPlayground } from '../../src/server/playground.js';
import { Providers } from '../../src/server/providers.js';
import {
  ProviderStreamLimitError,
  prepareRerun,
  RERUN_SERVICE_NAME,
  RerunRunner,
  SecretScrubber,
  scrubSecrets,
  sseData,
} from '../../src/server/rerun.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import {
  ECHO_KEY_MODEL,
  FAIL_MODEL,
  FAKE_TOOL_ARGUMENTS,
  type FakeOpenAI,
  startFakeOpenAI,
  UNAUTHORIZED_MODEL,
} from '../support/fake-openai.js';
import { haikuCompletion, ndjson, seedServer, tempDir, weatherChat } from '../support/playground-seeds.js';

const KEY_ENV = 'GENSPAN_UI_TEST_PROVIDER_KEY';
const KEY = 'sk-test-never-in-the-browser-4242';
const ORIGIN = { id: 'origin-id', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      // Split mid-line to exercise buffering across reads.
      controller.enqueue(bytes.subarray(0, 7));
      controller.enqueue(bytes.subarray(7));
      controller.close();
    },
  });
}

describe('re-run request building (pure)', () => {
  it('formats a completion template with the edited variables and keeps the template', () => {
    const edited = { ...haikuCompletion().toJSON(), variables: { tone: 'grim', topic: 'snow' } };
    const prepared = prepareRerun(edited, ORIGIN, 'openai');
    expect(prepared.request.path).toBe('/completions');
    expect(prepared.request.body).toMatchObject({
      model: 'fake-instruct',
      prompt: 'Write a grim haiku about snow. Answer as JSON: {"haiku": "..."}',
      stream: true,
      temperature: 0.7,
      max_tokens: 128,
    });
    expect(prepared.generation.type === 'COMPLETION' && prepared.generation.template).toContain('{tone}');
    expect(prepared.generation.metadata.rerunOf).toEqual(ORIGIN);
    expect(prepared.generation.toJSON().completion).toBeNull();
  });

  it('sends chat messages without genspan-only keys, and never a redacted or controlled setting', () => {
    const edited = {
      type: 'CHAT',
      model: 'fake-chat',
      settings: { temperature: 0.2, api_key: REDACTED, n: 3, stream: false, model: 'other', seed: 7 },
      template: [{ role: 'user', content: 'Hello {who}', uuid: 'u-1', templated: true }],
      variables: { who: 'world' },
      messages: [],
    };
    const prepared = prepareRerun(edited, ORIGIN, 'openai');
    expect(prepared.request.path).toBe('/chat/completions');
    expect(prepared.request.body.messages).toEqual([{ role: 'user', content: 'Hello world' }]);
    expect(prepared.request.body).toMatchObject({ model: 'fake-chat', temperature: 0.2, seed: 7, stream: true });
    expect(prepared.request.body).not.toHaveProperty('api_key');
    expect(prepared.request.body).not.toHaveProperty('n');
  });

  it('formats a Mustache template as Mustache (Literal AI prompts), and keeps its format on the new generation', () => {
    const edited = {
      type: 'CHAT',
      model: 'fake-chat',
      template: [{ role: 'user', content: 'Hello {{who}}{{#polite}}, please{{/polite}} {keep}' }],
      templateFormat: 'mustache',
      variables: { who: 'world', polite: true },
      messages: [],
    };
    const prepared = prepareRerun(edited, ORIGIN, 'openai');
    expect(prepared.request.body.messages).toEqual([{ role: 'user', content: 'Hello world, please {keep}' }]);
    expect(prepared.generation.toJSON()).toMatchObject({ templateFormat: 'mustache' });
    const completion = prepareRerun(
      { type: 'COMPLETION', model: 'fake-instruct', template: 'Say {{x}}', variables: { x: 'hi' } },
      ORIGIN,
      'openai',
    );
    // Not said, but the template and its variables show it.
    expect(completion.request.body.prompt).toBe('Say hi');
  });

  it('sends tool_call_id only on a tool message', () => {
    const edited = {
      type: 'CHAT',
      model: 'fake-chat',
      messages: [
        { role: 'user', content: 'was a tool result', tool_call_id: 'call_stale' },
        { role: 'tool', content: '{"ok":true}', tool_call_id: 'call_1' },
      ],
    };
    expect(prepareRerun(edited, ORIGIN, 'openai').request.body.messages).toEqual([
      { role: 'user', content: 'was a tool result' },
      { role: 'tool', content: '{"ok":true}', tool_call_id: 'call_1' },
    ]);
  });

  it('redacts a secret, and any run of its last 8 or more characters, from text a provider sends back', () => {
    const key = 'sk-test-0123456789abcdef';
    expect(scrubSecrets(`bad key ${key}, or sk-****89abcdef, or ***456789abcdef; "cdef" alone is not the key`, [key])).toBe(
      'bad key [REDACTED], or sk-****[REDACTED], or ***[REDACTED]; "cdef" alone is not the key',
    );
    expect(scrubSecrets('nothing secret here', [key, ''])).toBe('nothing secret here');
    expect(scrubSecrets('a short one: abc', ['abc'])).toBe('a short one: [REDACTED]');
  });

  it('scrubs secrets from text streamed in pieces, wherever the pieces split a key', () => {
    const secrets = ['sk-test-0123456789abcdef', 'q-secret-77'];
    const text = 'key sk-test-0123456789abcdef, tail ...456789abcdef, query q-secret-77 and sk-test-0123 (no key) end';
    const expected = scrubSecrets(text, secrets);
    expect(expected).toBe('key [REDACTED], tail ...[REDACTED], query [REDACTED] and sk-test-0123 (no key) end');
    for (let first = 0; first <= text.length; first++) {
      for (const second of [first, first + 1, first + 7, first + 20]) {
        const scrubber = new SecretScrubber(secrets);
        const pieces = [text.slice(0, first), text.slice(first, second), text.slice(second)];
        const released = pieces.map((piece) => scrubber.push(piece));
        expect(released.join('') + scrubber.flush(), `split at ${first}, ${second}`).toBe(expected);
        for (const piece of released) expect(piece).not.toMatch(/456789|cdef,|q-secret/);
      }
    }
  });

  it('rejects a generation without a model or messages with a message saying so', () => {
    expect(() => prepareRerun({ type: 'COMPLETION', prompt: 'x' }, ORIGIN, 'openai')).toThrow(/no model/);
    expect(() => prepareRerun({ type: 'CHAT', model: 'm', messages: [] }, ORIGIN, 'openai')).toThrow(/no messages/);
    expect(() => prepareRerun({ type: 'NOPE' }, ORIGIN, 'openai')).toThrow(/Invalid generation JSON/);
  });

  it('reads server-sent events across reads, CRLF lines, multi-line data and comments, up to [DONE]', async () => {
    const body = ': keep-alive\r\n\r\ndata: {"a":1}\r\n\r\ndata: {"b":\ndata: 2}\n\nevent: x\ndata: [DONE]\n\ndata: {"after":true}\n\n';
    const payloads: string[] = [];
    for await (const payload of sseData(streamOf(body))) payloads.push(payload);
    expect(payloads).toEqual(['{"a":1}', '{"b":\n2}']);
  });
});

describe('playground routes on genspan serve (real HTTP, SQLite, fake provider)', () => {
  const dir = tempDir();
  let fake: FakeOpenAI;
  let store: SqliteStore;
  let server: RunningServer;
  let bare: RunningServer;
  let bareStore: SqliteStore;
  let completionRecord: GenerationRecord;
  let chatRecord: GenerationRecord;

  beforeAll(async () => {
    process.env[KEY_ENV] = KEY;
    fake = await startFakeOpenAI({ chunkDelayMs: 2 });
    store = new SqliteStore({ path: dir.file('playground.db') });
    server = await startServer({ store, port: 0, providerUrl: fake.baseURL, providerApiKeyEnv: KEY_ENV });
    bareStore = new SqliteStore({ path: dir.file('bare.db') });
    bare = await startServer({ store: bareStore, port: 0 });
    const seeds = [
      { generation: haikuCompletion(), startSeconds: 1_767_225_600, serviceName: 'seed-app' },
      { generation: weatherChat(), startSeconds: 1_767_229_200, serviceName: 'seed-app' },
    ];
    await seedServer(server.url, seeds);
    await seedServer(bare.url, seeds);
    const page = await store.list({});
    completionRecord = page.items.find((r) => r.generation.type === 'COMPLETION')!;
    chatRecord = page.items.find((r) => r.generation.type === 'CHAT')!;
    expect(completionRecord).toBeDefined();
    expect(chatRecord).toBeDefined();
  });

  afterAll(async () => {
    delete process.env[KEY_ENV];
    await server?.close();
    await bare?.close();
    await store?.close();
    await bareStore?.close();
    await fake?.close();
    dir.remove();
  });

  const post = (base: string, id: string, body: unknown) =>
    fetch(`${base}/api/generations/${id}/rerun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('serves the page with a Content-Security-Policy that forbids inline scripts, and no inline script in it', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)];
    expect([...html.matchAll(/<script\b/gi)]).toHaveLength(scripts.length);
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\ssrc="\/ui\/[a-z-]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);

    const script = await fetch(`${server.url}/ui/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain("from './api.js'");
    expect((await fetch(`${server.url}/ui/playground.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${server.url}/ui/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/ui/nope.js`)).status).toBe(404);
  });

  it('tells the page whether a provider is configured, and never the key', async () => {
    const response = await fetch(`${server.url}/api/playground/config`);
    const text = await response.text();
    expect(text).not.toContain(KEY);
    expect(JSON.parse(text)).toEqual({
      provider: { configured: true, url: fake.baseURL, keyEnv: KEY_ENV, keySet: true },
      providers: [{ name: 'openai', url: fake.baseURL, keyEnv: KEY_ENV, keySet: true }],
      jaegerUrl: null,
      configureCommand: CONFIGURE_COMMAND,
    });
    const none = (await (await fetch(`${bare.url}/api/playground/config`)).json()) as PlaygroundConfig;
    expect(none.provider).toEqual({ configured: false, url: null, keyEnv: null, keySet: false });
    expect(none.configureCommand).toBe('genspan serve --provider-url URL --provider-key-env ENV_NAME');
  });

  it('answers a re-run without a provider with 503 and how to configure one', async () => {
    const response = await post(bare.url, completionRecord.id, completionRecord.generation);
    expect(response.status).toBe(503);
    expect(((await response.json()) as ErrorBody).message).toContain('--provider-url URL --provider-key-env ENV_NAME');
  });

  it('answers 404 for an unknown generation and 400 for an edit that is not a generation', async () => {
    expect((await post(server.url, '00000000-0000-8000-8000-000000000000', completionRecord.generation)).status).toBe(404);
    const invalid = await post(server.url, completionRecord.id, { type: 'COMPLETION', model: 'm', tags: 'not-a-list' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorBody).message).toMatch(/tags/);
    const noModel = await post(server.url, completionRecord.id, { ...completionRecord.generation, model: '' });
    expect(noModel.status).toBe(400);
  });

  it('re-runs an edited completion: formats it server-side, streams the tokens, stores a linked generation', async () => {
    const requestsBefore = fake.requests.length;
    const edited = { ...completionRecord.generation, variables: { tone: 'bright', topic: 'winter sun' } };
    const response = await post(server.url, completionRecord.id, edited);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const events = await ndjson(response);

    const sent = fake.requests.slice(requestsBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/v1/completions');
    expect(sent[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent[0].body).toMatchObject({
      model: 'fake-instruct',
      prompt: 'Write a bright haiku about winter sun. Answer as JSON: {"haiku": "..."}',
      stream: true,
      temperature: 0.7,
      max_tokens: 128,
    });

    expect(events[0]).toMatchObject({ type: 'start', rerunOf: completionRecord.id, api: 'completions' });
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    const streamed = deltas.map((e) => e.text).join('');
    expect(streamed).toBe('Fake reply to: Write a bright haiku about winter sun. Answer as JSON: {"haiku": "..."}');
    const done = events[events.length - 1];
    expect(done).toMatchObject({ type: 'done', error: null });

    const stored = await store.get(done.id as string);
    expect(stored).toBeDefined();
    expect(stored!.serviceName).toBe(RERUN_SERVICE_NAME);
    expect(stored!.traceId).not.toBe(completionRecord.traceId);
    const generation = stored!.generation;
    expect(generation).toMatchObject({
      type: 'COMPLETION',
      model: 'fake-instruct',
      provider: 'openai',
      completion: streamed,
      prompt: 'Write a bright haiku about winter sun. Answer as JSON: {"haiku": "..."}',
      template: completionRecord.generation.template,
      variables: { tone: 'bright', topic: 'winter sun' },
      metadata: { rerunOf: { id: completionRecord.id, traceId: completionRecord.traceId, spanId: completionRecord.spanId } },
      error: null,
    });
    expect(generation.outputTokenCount).toBeGreaterThan(0);
    expect(generation.tokenCount).toBe((generation.inputTokenCount as number) + (generation.outputTokenCount as number));
    expect(generation.ttFirstToken).toBeGreaterThan(0);
    expect(generation.duration).toBeGreaterThan(0);
    expect(generation.tokenThroughputInSeconds).toBeGreaterThan(0);

    // The re-run is listed through the REST API like any generation, and filterable by its service.
    const listed = (await (await fetch(`${server.url}/api/generations?service=${RERUN_SERVICE_NAME}`)).json()) as GenerationList;
    expect(listed.items.map((item: GenerationRecord) => item.id)).toContain(done.id);
  });

  it('re-runs a chat with tools: sends the messages and tools, stores the streamed tool call', async () => {
    const requestsBefore = fake.requests.length;
    const edited = {
      ...chatRecord.generation,
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: 'And in Lyon?', uuid: 'm-1', templated: false },
      ],
    };
    const events = await ndjson(await post(server.url, chatRecord.id, edited));
    const sent = fake.requests.slice(requestsBefore);
    expect(sent[0].path).toBe('/v1/chat/completions');
    expect(sent[0].body.messages).toEqual([
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'And in Lyon?' },
    ]);
    expect(sent[0].body.tools).toEqual(chatRecord.generation.tools);
    const done = events[events.length - 1];
    expect(done.type).toBe('done');
    const stored = await store.get(done.id as string);
    expect(stored!.generation.messageCompletion).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
    expect(stored!.generation.metadata).toMatchObject({ rerunOf: { id: chatRecord.id } });
  });

  it('refuses a re-run another web site could start: only application/json, only from its own origin', async () => {
    const requestsBefore = fake.requests.length;
    const url = `${server.url}/api/generations/${completionRecord.id}/rerun`;
    const body = JSON.stringify(completionRecord.generation);
    // What a form, or a fetch without a preflight, can send from any page to a server without a token.
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      expect(response.status, type).toBe(415);
      expect(((await response.json()) as ErrorBody).message).toContain('Content-Type: application/json');
    }
    expect((await fetch(url, { method: 'POST', body: new Blob([body]) })).status).toBe(415);

    const { port } = new URL(server.url);
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${Number(port) + 1}`, `http://localhost:${port}`]) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body });
      expect(response.status, origin).toBe(403);
      expect(((await response.json()) as ErrorBody).message).toBe("Only this server's own page may start a re-run.");
    }
    expect(fake.requests.length).toBe(requestsBefore);

    // The page itself: its fetch names its own origin.
    const own = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', origin: server.url },
      body,
    });
    expect(own.status).toBe(200);
    expect((await ndjson(own)).at(-1)).toMatchObject({ type: 'done', error: null });
    expect(fake.requests.length).toBe(requestsBefore + 1);
  });

  it('never forwards the API key a provider echoes in an error: whole or as its tail', async () => {
    const response = await post(server.url, chatRecord.id, { ...chatRecord.generation, model: UNAUTHORIZED_MODEL });
    const text = await response.text();
    expect(text).not.toContain(KEY.slice(-8));
    const events = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const done = events[events.length - 1];
    expect(done.error).toBe(
      'The provider answered 401: Incorrect API key provided: [REDACTED]. Keys ending in ...[REDACTED] are not valid here.',
    );
    const stored = await store.get(done.id as string);
    expect(stored!.generation.error).toBe(done.error);
    expect(JSON.stringify(stored)).not.toContain(KEY.slice(-8));
  });

  it('scrubs a key the provider echoes in its streamed answer, split across chunks, from the deltas and the store', async () => {
    const response = await post(server.url, chatRecord.id, { ...chatRecord.generation, tools: null, model: ECHO_KEY_MODEL });
    const text = await response.text();
    expect(text).not.toContain(KEY.slice(-8));
    const events = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; text?: string; id?: string });
    const streamed = events
      .filter((event) => event.type === 'delta')
      .map((event) => event.text)
      .join('');
    expect(streamed).toBe('Your key is [REDACTED]; it ends in ...[REDACTED].');
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', error: null });
    const stored = await store.get(done.id as string);
    expect(stored!.generation).toMatchObject({ type: 'CHAT', messageCompletion: { role: 'assistant', content: streamed } });
    expect(JSON.stringify(stored)).not.toContain(KEY.slice(-8));
  });

  it('scrubs a secret query parameter of the provider URL echoed in a streamed answer', async () => {
    const queryKey = 'azure-query-key-fedcba9876543210';
    const azure = await startServer({ store, port: 0, providerUrl: `${fake.baseURL}?api-version=2024-06-01&api-key=${queryKey}` });
    try {
      const response = await post(azure.url, chatRecord.id, { ...chatRecord.generation, tools: null, model: ECHO_KEY_MODEL });
      const text = await response.text();
      expect(text).not.toContain(queryKey.slice(-8));
      const done = JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(JSON.stringify(await store.get(done.id as string))).not.toContain(queryKey.slice(-8));
    } finally {
      await azure.close();
    }
  });

  it('keeps a key in the provider URL query (Azure style) out of the config, the messages and the store', async () => {
    const queryKey = 'azure-query-key-0123456789abcdef';
    const azure = await startServer({ store, port: 0, providerUrl: `${fake.baseURL}?api-version=2024-06-01&api-key=${queryKey}` });
    try {
      const config = (await (await fetch(`${azure.url}/api/playground/config`)).json()) as PlaygroundConfig;
      expect(config.provider.url).toBe(fake.baseURL);

      // The query stays a query: the endpoint path goes before it.
      const requestsBefore = fake.requests.length;
      const ok = await ndjson(await post(azure.url, chatRecord.id, { ...chatRecord.generation, tools: null }));
      expect(ok.at(-1)).toMatchObject({ type: 'done', error: null });
      expect(fake.requests[requestsBefore]).toMatchObject({
        path: '/v1/chat/completions',
        search: `?api-version=2024-06-01&api-key=${queryKey}`,
      });

      const response = await post(azure.url, chatRecord.id, { ...chatRecord.generation, model: UNAUTHORIZED_MODEL });
      const text = await response.text();
      expect(text).not.toContain(queryKey.slice(-8));
      const done = JSON.parse(text.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(done.error).toBe(
        'The provider answered 401: Incorrect API key provided: [REDACTED]. Keys ending in ...[REDACTED] are not valid here.',
      );
      expect(JSON.stringify(await store.get(done.id as string))).not.toContain(queryKey.slice(-8));
    } finally {
      await azure.close();
    }
  });

  it('times the first token at the first content chunk, and without usage data counts only content chunks', async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 150, usage: false });
    const slowServer = await startServer({ store, port: 0, providerUrl: slow.baseURL });
    try {
      const edited = { ...chatRecord.generation, tools: null, messages: [{ role: 'user', content: 'And in Lyon?' }] };
      const events = await ndjson(await post(slowServer.url, chatRecord.id, edited));
      const done = events[events.length - 1];
      expect(done).toMatchObject({ type: 'done', error: null });
      const generation = (await store.get(done.id as string))!.generation;
      expect(generation.messageCompletion).toMatchObject({ content: 'Fake reply to: And in Lyon?' });
      // The fake sends the role-only chunk at once, then each chunk 150 ms after the one before.
      expect(generation.ttFirstToken).toBeGreaterThanOrEqual(140);
      // Six content chunks ("Fake ", "reply ", "to: ", "And ", "in ", "Lyon?"); the role and finish chunks are not tokens.
      expect(generation.outputTokenCount ?? null).toBeNull();
      expect(Math.round((generation.tokenThroughputInSeconds as number) * (generation.duration as number))).toBe(6);
    } finally {
      await slowServer.close();
      await slow.close();
    }
  });

  it('stores a failed provider call as a generation with the error, and says so in the stream', async () => {
    const events = await ndjson(await post(server.url, chatRecord.id, { ...chatRecord.generation, model: FAIL_MODEL }));
    const done = events[events.length - 1];
    expect(done).toMatchObject({ type: 'done' });
    expect(done.error).toBe('The provider answered 500: The fake model failed on purpose');
    const stored = await store.get(done.id as string);
    expect(stored!.status.code).toBe(2);
    expect(stored!.generation.error).toBe('The provider answered 500: The fake model failed on purpose');
  });

  it('reports an unreachable provider in one line, and stores the failed attempt', async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = await startServer({ store, port: 0, providerUrl: `http://127.0.0.1:${port}/v1?api-key=dead-provider-query-key-42` });
    try {
      const events = await ndjson(await post(dead.url, completionRecord.id, completionRecord.generation));
      const done = events[events.length - 1];
      expect(done.error).toMatch(new RegExp(`^Could not reach the provider at http://127\\.0\\.0\\.1:${port}/v1/completions: `));
      // Neither the query nor the key in it.
      expect(done.error).not.toMatch(/\?|api-key|query-key/);
      expect((await store.get(done.id as string))!.generation.error).toBe(done.error);
    } finally {
      await dead.close();
    }
  });

  it('cancels the provider call when the page goes away, and records the re-run as cancelled', async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 400 });
    const slowServer = await startServer({ store, port: 0, providerUrl: slow.baseURL });
    // The re-run's span goes through the server's ingest once the re-run has ended: that is when its record is stored.
    const ingestSpans = slowServer.ingest.ingestSpans.bind(slowServer.ingest);
    const recorded = new Promise<IngestResult>((resolve, reject) => {
      slowServer.ingest.ingestSpans = (spans) => {
        const result = ingestSpans(spans);
        result.then(resolve, reject);
        return result;
      };
    });
    try {
      const before = new Set((await store.list({ serviceName: RERUN_SERVICE_NAME, limit: 500 })).items.map((r) => r.id));
      const body = JSON.stringify(completionRecord.generation);
      // A plain HTTP request closed after the first line, as a browser tab closing mid-stream does.
      const first = await new Promise<string>((resolve, reject) => {
        const request = httpRequest(
          `${slowServer.url}/api/generations/${completionRecord.id}/rerun`,
          { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (response) => {
            response.once('data', (chunk: Buffer) => {
              request.destroy();
              resolve(chunk.toString('utf8'));
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      });
      expect(first).toContain('"type":"start"');
      expect(await recorded).toMatchObject({ stored: 1 });
      const page = await store.list({ serviceName: RERUN_SERVICE_NAME, limit: 500 });
      const cancelled = page.items.find((r) => !before.has(r.id));
      expect(cancelled?.generation.error).toBe('The re-run was cancelled: the page closed the connection.');
      // Far fewer than the ~15 chunks the slow provider would have sent.
      expect(String(cancelled?.generation.completion ?? '').split(' ').length).toBeLessThan(8);
    } finally {
      await slowServer.close();
      await slow.close();
    }
  });

  it('prices a re-run with the prices given to registerPlayground', async () => {
    const prices = priceTable({ models: { 'fake-chat': { input: 1_000_000, output: 1_000_000 } } });
    const app = Fastify();
    registerPlayground(app, { store, providerUrl: fake.baseURL, prices });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const events = await ndjson(await post(`http://127.0.0.1:${port}`, chatRecord.id, chatRecord.generation));
      const done = events[events.length - 1] as { type: string; id: string };
      expect(done.type).toBe('done');
      const stored = await store.get(done.id);
      // A dollar a token: the given table's price, not genspan's own for an unknown model (none).
      expect(stored?.cost?.total).toBe(stored?.generation.tokenCount);
      expect(stored?.generation.tokenCount).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('traces the re-run as an llm step whose span names the original (genspan.rerun_of)', async () => {
    const ingested: NormalizedSpan[] = [];
    class RecordingIngest extends GenerationIngest {
      override async ingestSpans(spans: readonly NormalizedSpan[]): Promise<IngestResult> {
        ingested.push(...spans);
        return super.ingestSpans(spans);
      }
    }
    const app = Fastify();
    registerPlayground(app, { store, ingest: new RecordingIngest(store), providerUrl: fake.baseURL });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const events = await ndjson(await post(`http://127.0.0.1:${port}`, completionRecord.id, completionRecord.generation));
      expect(events[events.length - 1].type).toBe('done');
      expect(ingested).toHaveLength(1);
      const span = ingested[0];
      expect(span.attributes[Genspan.RERUN_OF]).toBe(completionRecord.spanId);
      expect(span.attributes[Genspan.STEP_TYPE]).toBe('llm');
      expect(span.attributes[Genspan.STEP_NAME]).toBe('playground re-run');
      expect(span.kind).toBe(3);
      expect(span.parentSpanId).toBeUndefined();
      expect(span.resource['service.name']).toBe(RERUN_SERVICE_NAME);
    } finally {
      await app.close();
    }
  });
});

/** A provider on 127.0.0.1 that answers every call with `respond`; `closed` resolves when a client drops its connection. */
async function startRawProvider(
  respond: (response: ServerResponse) => void,
): Promise<{ url: string; closed: Promise<void>; close(): Promise<void> }> {
  let dropped: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    dropped = resolve;
  });
  const server = createHttpServer((request, response) => {
    request.resume();
    response.on('close', () => {
      if (!response.writableFinished) dropped();
    });
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    respond(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('re-runs past the content cap, and tool calls with a key in them (real HTTP, SQLite, raw providers)', () => {
  const dir = tempDir();
  let store: SqliteStore;
  const original = (model: string) =>
    ({
      id: 'original',
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      generation: { type: 'CHAT', provider: 'raw', model, messages: [{ role: 'user', content: 'hi' }] },
    }) as unknown as GenerationRecord;

  beforeAll(() => {
    store = new SqliteStore({ path: dir.file('limits.db') });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  async function rerun(url: string, options: { maxAnswerChars?: number; apiKey?: string } = {}) {
    const env = options.apiKey ? { RAW_KEY: options.apiKey } : {};
    const providers = new Providers([{ name: 'raw', url, keyEnv: 'RAW_KEY', timeoutMs: 60_000 }], env);
    const runner = new RerunRunner({ store, providers, maxAnswerChars: options.maxAnswerChars });
    const events: RerunEvent[] = [];
    try {
      const record = original('m');
      const plan = runner.prepare(record, record.generation);
      const id = await runner.run(record, plan, (event) => events.push(event), new AbortController().signal);
      return { events, stored: await store.get(id) };
    } finally {
      await runner.shutdown();
    }
  }

  it('stops a stream that never ends a line at the cap, closing the call, and stores the re-run with an error', async () => {
    const provider = await startRawProvider((response) => {
      const more = () => {
        if (!response.destroyed) response.write(`data: ${'x'.repeat(512)}`, more);
      };
      more();
    });
    try {
      const { events, stored } = await rerun(provider.url, { maxAnswerChars: 4096 });
      await provider.closed;
      expect(events.at(-1)).toMatchObject({
        type: 'done',
        error: expect.stringMatching(/more than 4096 characters: the call was stopped/),
      });
      expect(stored?.generation.error).toMatch(/more than 4096 characters/);
    } finally {
      await provider.close();
    }
  });

  it('stops an answer that passes the cap, keeping it cut at the cap, and says so', async () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
    const provider = await startRawProvider((response) => {
      const more = () => {
        if (!response.destroyed) response.write(chunk('abcdefghij'), more);
      };
      more();
    });
    try {
      const { events, stored } = await rerun(provider.url, { maxAnswerChars: 95 });
      await provider.closed;
      const done = events.at(-1) as Extract<RerunEvent, { type: 'done' }>;
      expect(done.error).toBe("The provider's answer passed 95 characters: the call was stopped and the answer cut there.");
      const content = (stored?.generation as { messageCompletion?: GenerationMessage } | undefined)?.messageCompletion?.content;
      expect(content).toBe('abcdefghij'.repeat(10).slice(0, 95));
      const streamed = events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join('');
      expect(streamed).toBe(content);
    } finally {
      await provider.close();
    }
  });

  it('throws past the cap from sseData itself, for a line and for an event', async () => {
    const read = async (text: string) => {
      for await (const _ of sseData(streamOf(text), 10)) void _;
    };
    await expect(read(`data: ${'x'.repeat(20)}`)).rejects.toThrow(ProviderStreamLimitError);
    await expect(read('data: 12345\ndata: 67890\n\n')).rejects.toThrow(ProviderStreamLimitError);
    await expect(read('data: 1234\n\n')).resolves.toBeUndefined();
  });

  it('scrubs the key from every string of a streamed tool call: id, type, name and arguments', async () => {
    const key = 'sk-raw-secret-abcdef0123456789';
    const call = { index: 0, id: `call_${key}`, type: `function${key}`, function: { name: `f_${key}`, arguments: `{"k":"${key}"}` } };
    const provider = await startRawProvider((response) => {
      response.end(`data: ${JSON.stringify({ choices: [{ delta: { tool_calls: [call] } }] })}\n\ndata: [DONE]\n\n`);
    });
    try {
      const { events, stored } = await rerun(provider.url, { apiKey: key });
      expect(JSON.stringify(events)).not.toContain(key.slice(-8));
      expect(JSON.stringify(stored)).not.toContain(key.slice(-8));
      const calls = (stored?.generation as { messageCompletion?: GenerationMessage } | undefined)?.messageCompletion?.tool_calls;
      // The stored type is the conventions' own (`function`); the scrubbed id, name and arguments are kept as they came.
      expect(calls?.[0]).toMatchObject({
        id: `call_${REDACTED}`,
        function: { name: `f_${REDACTED}`, arguments: `{"k":"${REDACTED}"}` },
      });
    } finally {
      await provider.close();
    }
  });
});
