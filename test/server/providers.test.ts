import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { ErrorBody, PlaygroundConfig, RerunPreview } from '../../src/generation/rest.js';
import { REDACTED } from '../../src/semconv/keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { ServerConfigError } from '../../src/server/options.js';
import { Providers, parseProvidersFile, providerSpecs, readProvidersFile } from '../../src/server/providers.js';
import { requestSettings, unansweredToolCalls } from '../../src/server/request-parameters.js';
import { prepareRerun, previewRerun } from '../../src/server/rerun.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ECHO_KEY_MODEL, type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { haikuCompletion, ndjson, seedServer, tempDir, weatherChat } from '../support/playground-seeds.js';

const ALPHA_KEY_ENV = 'GENSPAN_PROVIDERS_TEST_ALPHA_KEY';
const BETA_KEY_ENV = 'GENSPAN_PROVIDERS_TEST_BETA_KEY';
const ALPHA_KEY = 'sk-alpha-secret-0123456789abcdef';
const BETA_KEY = 'sk-beta-secret-fedcba9876543210';

/** The message of the `ServerConfigError` that `run` throws. */
function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ServerConfigError');
}

describe('the providers file', () => {
  it('reads providers in order, with their key variables and timeouts', () => {
    const specs = parseProvidersFile(
      JSON.stringify({
        providers: [
          { name: 'openai', url: 'https://api.openai.com/v1/', keyEnv: 'OPENAI_API_KEY' },
          { name: 'local.vllm', url: 'http://127.0.0.1:8000/v1?api-version=1', timeoutSeconds: 30 },
        ],
      }),
      'providers.json',
    );
    expect(specs).toEqual([
      { name: 'openai', url: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY', timeoutMs: 300_000 },
      { name: 'local.vllm', url: 'http://127.0.0.1:8000/v1?api-version=1', keyEnv: undefined, timeoutMs: 30_000 },
    ]);
  });

  it.each([
    ['not JSON', '{ "providers": [', /^p\.json is not JSON: /],
    ['no providers list', '{}', /^p\.json is not a valid providers file: providers: is required$/],
    ['an empty list', '{ "providers": [] }', /providers: must list at least one provider$/],
    ['a list at the top', '[]', /the file: Invalid input: expected object, received array$/],
    ['a provider without a url', '{ "providers": [{ "name": "a" }] }', /providers\[0\]\.url: is required$/],
    ['a bad name', '{ "providers": [{ "name": "a b", "url": "http://x/v1" }] }', /providers\[0\]\.name: must be a name of letters/],
    ['a URL that is not http', '{ "providers": [{ "name": "a", "url": "ftp://x/v1" }] }', /providers\[0\]\.url: the URL must be an http/],
    [
      'a URL with credentials',
      '{ "providers": [{ "name": "a", "url": "http://u:p@x/v1" }] }',
      /providers\[0\]\.url: the URL must not hold credentials/,
    ],
    [
      'a bad key variable',
      '{ "providers": [{ "name": "a", "url": "http://x/v1", "keyEnv": "MY-KEY" }] }',
      /keyEnv: must be an environment/,
    ],
    [
      'a timeout of zero',
      '{ "providers": [{ "name": "a", "url": "http://x/v1", "timeoutSeconds": 0 }] }',
      /timeoutSeconds: must be a positive/,
    ],
    [
      'a timeout past what a timer holds',
      '{ "providers": [{ "name": "a", "url": "http://x/v1", "timeoutSeconds": 3000000 }] }',
      /^p\.json is not a valid providers file: providers\[0\]\.timeoutSeconds: must be a positive number of seconds from 1 to 86400 /,
    ],
    [
      'a timeout that rounds to no time',
      '{ "providers": [{ "name": "a", "url": "http://x/v1", "timeoutSeconds": 0.0001 }] }',
      /^p\.json is not a valid providers file: providers\[0\]\.timeoutSeconds: must be a positive number of seconds from 1 to 86400 /,
    ],
    ['an unknown field', '{ "providers": [{ "name": "a", "url": "http://x/v1", "model": "m" }] }', /providers\[0\]\.model: unknown field/],
    [
      'a key written into the file',
      '{ "providers": [{ "name": "a", "url": "http://x/v1", "apiKey": "sk-in-the-file" }] }',
      /providers\[0\]\.apiKey: keys never go in the file; put the key in an environment variable and name it with "keyEnv"$/,
    ],
    [
      'a name used twice',
      '{ "providers": [{ "name": "a", "url": "http://x/v1" }, { "name": "a", "url": "http://y/v1" }] }',
      /providers: the name "a" is used more than once$/,
    ],
  ])('refuses %s with one message saying what and where', (_, text, pattern) => {
    const message = configError(() => parseProvidersFile(text, 'p.json'));
    expect(message).toMatch(pattern);
    expect(message).not.toContain('sk-in-the-file');
  });

  it('names every problem of a file, each once', () => {
    const text = JSON.stringify({
      providers: [
        { name: '', url: 'nope' },
        { url: 'http://x/v1', keyEnv: '1X' },
      ],
    });
    const message = configError(() => parseProvidersFile(text, 'p.json'));
    const problems = message.replace('p.json is not a valid providers file: ', '').split('; ');
    expect(problems).toEqual([
      expect.stringMatching(/^providers\[0\]\.name: must be a name/),
      'providers[0].url: the URL is not a URL: give an http:// or https:// URL',
      'providers[1].name: is required',
      expect.stringMatching(/^providers\[1\]\.keyEnv: must be an environment variable name/),
    ]);
  });

  it('says when the file cannot be read', async () => {
    await expect(readProvidersFile('/nonexistent/providers.json')).rejects.toThrow(
      'cannot read the providers file /nonexistent/providers.json: ENOENT',
    );
  });
});

describe('providers from the command line', () => {
  it('adds the file, --provider NAME=URL and --provider-url (named openai), with named key variables', () => {
    const file = [{ name: 'from-file', url: 'http://f/v1', timeoutMs: 1000 }];
    const specs = providerSpecs({
      file,
      named: [{ name: 'local', url: 'http://127.0.0.1:1/v1' }],
      keyEnvs: [
        { name: 'local', keyEnv: 'LOCAL_KEY' },
        { name: 'from-file', keyEnv: 'FILE_KEY' },
      ],
      url: 'https://api.openai.com/v1',
      urlKeyEnv: 'OPENAI_API_KEY',
    });
    expect(specs.map(({ name, keyEnv }) => [name, keyEnv])).toEqual([
      ['from-file', 'FILE_KEY'],
      ['local', 'LOCAL_KEY'],
      ['openai', 'OPENAI_API_KEY'],
    ]);
    // The caller's file entries are copied, not given the command line's key variable.
    expect(file).toEqual([{ name: 'from-file', url: 'http://f/v1', timeoutMs: 1000 }]);
  });

  it('refuses a name twice, a key variable for no provider, and bad URLs, naming each', () => {
    const message = configError(() =>
      providerSpecs({
        named: [
          { name: 'openai', url: 'http://a/v1' },
          { name: 'b', url: 'ftp://b' },
        ],
        keyEnvs: [{ name: 'nobody', keyEnv: 'X' }],
        url: 'http://c/v1',
      }),
    );
    expect(message.split('; ')).toEqual([
      expect.stringMatching(/^--provider b=URL must be an http/),
      'the provider name "openai" is taken by --provider-url: give the other provider another name',
      '--provider-key-env nobody=X: no provider is named nobody',
    ]);
  });

  it('resolves by name, else the preferred (recorded) one when configured, else the first; reads keys when used', () => {
    const env: NodeJS.ProcessEnv = {};
    const providers = new Providers(
      [
        { name: 'a', url: 'http://a/v1', keyEnv: 'A_KEY', timeoutMs: 1 },
        { name: 'b', url: 'http://b/v1?api-key=q', timeoutMs: 2 },
      ],
      env,
    );
    expect(providers.resolve('b').name).toBe('b');
    expect(providers.resolve(undefined, 'b').name).toBe('b');
    expect(providers.resolve(undefined, 'anthropic').name).toBe('a');
    expect(() => providers.resolve('c')).toThrow('No provider is named c; the configured ones are: a, b.');
    const a = providers.resolve('a');
    expect(a.apiKey).toBeUndefined();
    env.A_KEY = 'sk-set-later';
    expect(a.apiKey).toBe('sk-set-later');
    expect(providers.info()).toEqual([
      { name: 'a', url: 'http://a/v1', keyEnv: 'A_KEY', keySet: true },
      { name: 'b', url: 'http://b/v1', keyEnv: null, keySet: false },
    ]);
    expect(providers.keyWarnings()).toEqual(['re-runs with b are sent to http://b/v1 without an API key: no --provider-key-env was given']);
  });
});

describe('settings sent to an OpenAI-compatible provider (pure)', () => {
  it('sends request parameters under their OpenAI names and shapes, and says why each other setting is left out', () => {
    const { sent, omitted } = requestSettings(
      {
        temperature: 0.2,
        maxTokens: 100,
        stopSequences: ['END'],
        toolChoice: { type: 'tool', toolName: 'get_weather' },
        responseFormat: { type: 'json', schema: { type: 'object' }, name: 'answer' },
        max_completion_tokens: 50,
        maxRetries: 2,
        timeout: 5000,
        headers: { 'x-team': 'a' },
        baseURL: 'http://elsewhere',
        topK: 40,
        api_key: REDACTED,
        stream: false,
        best_of: 2,
      },
      'chat',
      true,
    );
    expect(sent).toEqual({
      temperature: 0.2,
      max_tokens: 100,
      stop: ['END'],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } },
      max_completion_tokens: 50,
    });
    expect(omitted).toEqual([
      { setting: 'maxRetries', reason: 'an SDK option, not a request parameter' },
      { setting: 'timeout', reason: 'an SDK option, not a request parameter' },
      { setting: 'headers', reason: 'an SDK option, not a request parameter' },
      { setting: 'baseURL', reason: 'an SDK option, not a request parameter' },
      { setting: 'topK', reason: 'not an OpenAI chat request parameter' },
      { setting: 'api_key', reason: 'redacted when it was recorded' },
      { setting: 'stream', reason: 'set by the playground' },
      { setting: 'best_of', reason: 'a completions parameter, not a chat one' },
    ]);
  });

  it('translates the AI SDK tool choices and leaves out one it cannot read', () => {
    const choice = (value: unknown) => requestSettings({ tool_choice: value }, 'chat', true);
    expect(choice({ type: 'required' }).sent).toEqual({ tool_choice: 'required' });
    expect(choice('none').sent).toEqual({ tool_choice: 'none' });
    expect(choice({ type: 'function', function: { name: 'f' } }).sent).toEqual({
      tool_choice: { type: 'function', function: { name: 'f' } },
    });
    expect(choice({ kind: 'weird' }).omitted).toEqual([{ setting: 'tool_choice', reason: 'not a tool choice OpenAI understands' }]);
    expect(requestSettings({ toolChoice: 'auto', maxOutputTokens: 9 }, 'completions', false)).toEqual({
      sent: { max_tokens: 9 },
      omitted: [{ setting: 'toolChoice', reason: 'a chat parameter, not a completions one' }],
    });
  });

  it('finds the tool calls no tool message answers', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
    expect(
      unansweredToolCalls([
        { role: 'user', content: 'q' },
        { role: 'assistant', content: null, tool_calls: [call('call_1'), call('call_2')] },
        { role: 'tool', tool_call_id: 'call_2', content: 'ok' },
      ]),
    ).toEqual(['call_1']);
    expect(unansweredToolCalls(weatherChat().toJSON().messages as never)).toEqual([]);
  });

  it('finds unanswered tool calls in one pass: an answer counts only after its call, and order is kept', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
    expect(
      unansweredToolCalls([
        { role: 'tool', tool_call_id: 'late', content: 'too early' },
        { role: 'assistant', content: null, tool_calls: [call('late'), call('a'), { type: 'function' }] },
        { role: 'tool', tool_call_id: 'a', content: 'ok' },
      ]),
    ).toEqual(['late', '(without an id, in message 2)']);
    // Thousands of calls, each answered: a quadratic scan of the later messages takes seconds here.
    const many = Array.from({ length: 20_000 }, (_, index) => [
      { role: 'assistant', content: null, tool_calls: [call(`c${index}`)] },
      { role: 'tool', tool_call_id: `c${index}`, content: 'ok' },
    ]).flat();
    const started = performance.now();
    expect(unansweredToolCalls(many)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('leaves out tool_choice and parallel_tool_calls when the request sends no tools', () => {
    const settings = { tool_choice: 'auto', parallelToolCalls: false, temperature: 0 };
    expect(requestSettings(settings, 'chat', false)).toEqual({
      sent: { temperature: 0 },
      omitted: [
        { setting: 'tool_choice', reason: 'no tools in the request' },
        { setting: 'parallelToolCalls', reason: 'no tools in the request' },
      ],
    });
    expect(requestSettings(settings, 'chat', true).sent).toEqual({ tool_choice: 'auto', parallel_tool_calls: false, temperature: 0 });
    const chat = { type: 'CHAT', model: 'm', settings, messages: [{ role: 'user', content: 'hi' }] };
    const prepared = prepareRerun(chat, { id: 'o', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }, 'openai');
    expect(prepared.request.body).not.toHaveProperty('tool_choice');
    expect(prepared.omitted).toContainEqual({ setting: 'tool_choice', reason: 'no tools in the request' });
    expect(previewRerun(chat, 'openai').omitted).toContainEqual({ setting: 'parallelToolCalls', reason: 'no tools in the request' });
  });
});

describe('re-runs with named providers (real HTTP, SQLite, two fake providers)', () => {
  const dir = tempDir('genspan-providers-');
  let alpha: FakeOpenAI;
  let beta: FakeOpenAI;
  let store: SqliteStore;
  let server: RunningServer;
  const logLines: string[] = [];
  let chat: GenerationRecord;
  let completion: GenerationRecord;
  let recordedBeta: GenerationRecord;

  beforeAll(async () => {
    alpha = await startFakeOpenAI({ chunkDelayMs: 1, models: ['fake-chat', 'fake-instruct', ECHO_KEY_MODEL] });
    beta = await startFakeOpenAI({ chunkDelayMs: 1, models: ['beta-chat', 'beta-instruct', ECHO_KEY_MODEL] });
    const file = dir.file('providers.json');
    writeFileSync(
      file,
      JSON.stringify({
        providers: [
          { name: 'alpha', url: alpha.baseURL, keyEnv: ALPHA_KEY_ENV },
          { name: 'beta', url: beta.baseURL, keyEnv: BETA_KEY_ENV, timeoutSeconds: 30 },
        ],
      }),
    );
    store = new SqliteStore({ path: dir.file('providers.db') });
    server = await startServer({
      store,
      port: 0,
      providers: await readProvidersFile(file),
      env: { [ALPHA_KEY_ENV]: ALPHA_KEY, [BETA_KEY_ENV]: BETA_KEY },
      logLevel: 'debug',
      logDestination: { write: (line: string) => logLines.push(line) },
    });
    const betaHaiku = haikuCompletion('beta-instruct');
    betaHaiku.provider = 'beta';
    await seedServer(server.url, [
      { generation: weatherChat(), startSeconds: 1_767_225_600, serviceName: 'seed-app' },
      { generation: haikuCompletion(), startSeconds: 1_767_229_200, serviceName: 'seed-app' },
      { generation: betaHaiku, startSeconds: 1_767_232_800, serviceName: 'seed-app' },
    ]);
    const { items } = await store.list({});
    chat = items.find((r) => r.generation.type === 'CHAT')!;
    completion = items.find((r) => r.generation.model === 'fake-instruct')!;
    recordedBeta = items.find((r) => r.generation.model === 'beta-instruct')!;
    expect(recordedBeta.generation.provider).toBe('beta');
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await alpha?.close();
    await beta?.close();
    dir.remove();
  });

  const post = (id: string, body: unknown, provider?: string, path = 'rerun') =>
    fetch(`${server.url}/api/generations/${id}/${path}${provider ? `?provider=${provider}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** Every text genspan let out: answers, its log and its stored records. */
  async function everythingOut(answers: string[]): Promise<string> {
    const records = await store.list({ limit: 500 });
    return [...answers, ...logLines, JSON.stringify(records.items)].join('\n');
  }

  it('lists the providers to the page in order, with their public URLs and whether each key is set, never a key', async () => {
    const text = await (await fetch(`${server.url}/api/playground/config`)).text();
    for (const key of [ALPHA_KEY, BETA_KEY]) expect(text).not.toContain(key);
    const config = JSON.parse(text) as PlaygroundConfig;
    expect(config.providers).toEqual([
      { name: 'alpha', url: alpha.baseURL, keyEnv: ALPHA_KEY_ENV, keySet: true },
      { name: 'beta', url: beta.baseURL, keyEnv: BETA_KEY_ENV, keySet: true },
    ]);
    expect(config.provider).toEqual({ configured: true, url: alpha.baseURL, keyEnv: ALPHA_KEY_ENV, keySet: true });
  });

  it('re-runs with the provider chosen by name, with its own key, and records that name as the provider', async () => {
    for (const [name, fake, other, model, key] of [
      ['alpha', alpha, beta, 'fake-chat', ALPHA_KEY],
      ['beta', beta, alpha, 'beta-chat', BETA_KEY],
    ] as const) {
      const [before, otherBefore] = [fake.requests.length, other.requests.length];
      const edited = { ...chat.generation, model };
      const events = await ndjson(await post(chat.id, edited, name));
      expect(events[0]).toMatchObject({ type: 'start', provider: name, model, api: 'chat', omitted: [] });
      const done = events.at(-1)!;
      expect(done).toMatchObject({ type: 'done', error: null });
      expect(fake.requests.slice(before).map((r) => [r.body.model, r.headers.authorization])).toEqual([[model, `Bearer ${key}`]]);
      expect(other.requests.length).toBe(otherBefore);
      const stored = await store.get(done.id as string);
      expect(stored!.generation).toMatchObject({ provider: name, model, messageCompletion: { role: 'assistant' } });
    }
  });

  it("without a name, re-runs with the generation's recorded provider when configured, else the first", async () => {
    const betaBefore = beta.requests.length;
    const fromBeta = await ndjson(await post(recordedBeta.id, recordedBeta.generation));
    expect(fromBeta[0]).toMatchObject({ type: 'start', provider: 'beta' });
    expect(fromBeta.at(-1)).toMatchObject({ type: 'done', error: null });
    expect(beta.requests.length).toBe(betaBefore + 1);

    // Recorded as `openai`, which is not configured here: the first provider.
    const fromOpenAI = await ndjson(await post(completion.id, completion.generation));
    expect(fromOpenAI[0]).toMatchObject({ type: 'start', provider: 'alpha' });
    expect((await store.get(fromOpenAI.at(-1)!.id as string))!.generation.provider).toBe('alpha');
  });

  it('answers 400 naming the configured providers for an unknown name, before any call', async () => {
    const before = alpha.requests.length + beta.requests.length;
    for (const path of ['rerun', 'rerun/preview']) {
      const response = await post(chat.id, chat.generation, 'gamma', path);
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).message).toBe('No provider is named gamma; the configured ones are: alpha, beta.');
    }
    expect(alpha.requests.length + beta.requests.length).toBe(before);
  });

  it('keeps each provider’s echoed key out of the stream, the log and the store', async () => {
    const answers: string[] = [];
    for (const name of ['alpha', 'beta']) {
      const response = await post(chat.id, { ...chat.generation, model: ECHO_KEY_MODEL, tools: null }, name);
      const text = await response.text();
      answers.push(text);
      const events = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const streamed = events.filter((e) => e.type === 'delta').map((e) => e.text as string);
      expect(streamed.join('')).toBe(`Your key is ${REDACTED}; it ends in ...${REDACTED}.`);
    }
    const out = await everythingOut(answers);
    for (const key of [ALPHA_KEY, BETA_KEY]) {
      expect(out).not.toContain(key);
      expect(out).not.toContain(key.slice(-8));
    }
  });

  it('reports the settings it leaves out, in the start event and the preview, and sends the rest in OpenAI’s shape', async () => {
    const settings = {
      temperature: 0,
      maxRetries: 2,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      timeout: 1000,
      headers: { 'x-team': 'a' },
    };
    const edited = { ...chat.generation, settings };
    const omitted = [
      { setting: 'maxRetries', reason: 'an SDK option, not a request parameter' },
      { setting: 'timeout', reason: 'an SDK option, not a request parameter' },
      { setting: 'headers', reason: 'an SDK option, not a request parameter' },
    ];
    const preview = (await (await post(chat.id, edited, 'beta', 'rerun/preview')).json()) as RerunPreview;
    expect(preview).toEqual({
      provider: 'beta',
      api: 'chat',
      settings: { temperature: 0, tool_choice: { type: 'function', function: { name: 'get_weather' } } },
      omitted,
      problem: null,
    });
    const before = alpha.requests.length;
    const events = await ndjson(await post(chat.id, edited, 'alpha'));
    expect(events[0]).toMatchObject({ type: 'start', provider: 'alpha', omitted });
    const sent = alpha.requests[before].body;
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    for (const key of ['maxRetries', 'toolChoice', 'timeout', 'headers']) expect(sent).not.toHaveProperty(key);
    // What was recorded stays recorded: the re-run's settings are the edit's (its headers redacted, as any are).
    const { headers: _, ...kept } = settings;
    expect((await store.get(events.at(-1)!.id as string))!.generation.settings).toEqual({ ...kept, headers: REDACTED });
  });

  it('flags a tool call without its tool result before sending: 400 naming the call, and the preview says so', async () => {
    const messages = (chat.generation.messages as Record<string, unknown>[]).filter((m) => m.role !== 'tool');
    const edited = { ...chat.generation, messages };
    const before = alpha.requests.length + beta.requests.length;
    const refused = await post(chat.id, edited);
    expect(refused.status).toBe(400);
    const message = 'Tool call call_1 has no tool result in the messages: add a tool message answering call_1, or remove the call.';
    expect(((await refused.json()) as ErrorBody).message).toBe(message);
    const preview = (await (await post(chat.id, edited, undefined, 'rerun/preview')).json()) as RerunPreview;
    expect(preview).toMatchObject({ provider: 'alpha', problem: message });
    expect(alpha.requests.length + beta.requests.length).toBe(before);
  });
});
