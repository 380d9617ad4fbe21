import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatGeneration, CompletionGeneration } from '../../src/generation/index.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import {
  ARABIC_CITY,
  ARABIC_QUESTION,
  failedChat,
  HEBREW_ANSWER,
  haikuCompletion,
  LONG_VARIABLE,
  longVariableCompletion,
  markupCompletion,
  rightToLeftChat,
  type Seed,
  seedServer,
  tempDir,
  templatedChat,
  weatherChat,
  XSS_IMG,
  XSS_SCRIPT,
} from '../support/playground-seeds.js';

/**
 * The Prompt Playground in real headless Chromium, against real `genspan serve` processes (SQLite in a temp dir)
 * and an OpenAI-compatible fake provider, all on 127.0.0.1.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = resolve(ROOT, 'dist/src/cli/main.js');
/** The picture of the detail view in the docs, rewritten only when asked: its pixels depend on the machine's fonts. */
const DOCS_SCREENSHOT = resolve(ROOT, 'docs/playground.png');
const UPDATE_SCREENSHOT = process.env.GENSPAN_UPDATE_SCREENSHOT === '1';
const KEY_ENV = 'GENSPAN_BROWSER_TEST_KEY';
const KEY = 'sk-browser-test-secret-9f8e7d';
const TOKEN = 'browser-test-token-123';
const JAEGER = 'http://127.0.0.1:16686';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Pixels the same on every run (for docs/playground.png): whole tiles, rastered in order.
  '--disable-partial-raster',
  '--num-raster-threads=1',
];

/** Seconds since the epoch of a UTC date. */
const at = (iso: string) => Date.parse(iso) / 1000;

function bulk(index: number): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: 'bulk-model',
    messages: [{ role: 'user', content: `bulk question ${index}` }],
    messageCompletion: { role: 'assistant', content: `bulk answer ${index}` },
  });
}

const SEEDS: Seed[] = [
  { generation: templatedChat(), startSeconds: at('2025-11-01T12:00:00Z'), serviceName: 'translate-app' },
  { generation: markupCompletion(), startSeconds: at('2025-12-01T12:00:00Z'), serviceName: 'poetry-app' },
  { generation: haikuCompletion(), startSeconds: at('2026-01-01T12:00:00Z'), serviceName: 'poetry-app' },
  { generation: weatherChat(), startSeconds: at('2026-02-01T12:00:00Z'), serviceName: 'weather-app' },
  { generation: failedChat(), startSeconds: at('2026-03-01T12:00:00Z'), serviceName: 'batch-app' },
  // Older than the rest, and enough of them to need a second page (the API's page size is 50).
  ...Array.from({ length: 50 }, (_, i) => ({
    generation: bulk(i),
    startSeconds: at('2025-06-01T00:00:00Z') + i * 60,
    serviceName: 'bulk-app',
  })),
];

/** Seeded on the server with a provider only, older than its first page of the list: found with the model filter. */
const OLDER_SEEDS: Seed[] = [
  { generation: longVariableCompletion(), startSeconds: at('2025-01-01T12:00:00Z'), serviceName: 'long-app' },
  { generation: rightToLeftChat(), startSeconds: at('2025-01-02T12:00:00Z'), serviceName: 'rtl-app' },
];

interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: string[];
}

/** Starts `genspan serve` as a child process on a free port and waits for the line saying where it listens. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--grpc-port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`genspan serve did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`genspan serve exited with ${code}:\n${output.join('')}`));
    });
  });
  return { url, child, output };
}

async function stop(server: ServeProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolveExit) => server.child.once('exit', resolveExit));
  server.child.kill('SIGTERM');
  await exited;
}

/** What the docs picture shows instead of values that differ between runs. */
const STEADY = {
  providerUrl: 'http://127.0.0.1:8080/v1',
  rerunStart: '2026-03-02T09:30:00.000Z',
  rerunEnd: '2026-03-02T09:30:01.000Z',
  rerunTimings: { ttFirstToken: 61.5, duration: 1.02, tokenThroughputInSeconds: 14 },
};

type Json = Record<string, unknown>;

/** Fixed trace and span ids for a record, from what is fixed about it. */
function steadyIds(record: Json): void {
  const hex = createHash('sha256')
    .update(`${String(record.startTime)}|${String(record.serviceName)}`)
    .digest('hex');
  record.traceId = hex.slice(0, 32);
  record.spanId = hex.slice(32, 48);
}

/**
 * An API answer as the docs picture shows it: the fake provider's port, the random ids, and the re-run's clock
 * and timings replaced by fixed values. The page renders it as it would any answer.
 */
function steadyAnswer(body: Json): Json {
  if (body.provider && typeof body.provider === 'object') {
    const providers = ((body.providers ?? []) as Json[]).map((provider) => ({ ...provider, url: STEADY.providerUrl }));
    return { ...body, provider: { ...(body.provider as Json), url: STEADY.providerUrl }, providers };
  }
  const records = Array.isArray(body.items) ? (body.items as Json[]) : typeof body.traceId === 'string' ? [body] : [];
  for (const record of records) {
    if (record.serviceName === 'genspan-playground') {
      record.startTime = STEADY.rerunStart;
      record.endTime = STEADY.rerunEnd;
      Object.assign(record.generation as Json, STEADY.rerunTimings);
    }
    steadyIds(record);
  }
  return body;
}

/** Reads a PNG's width and height from its header. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('Prompt Playground in headless Chromium', () => {
  const dir = tempDir('genspan-browser-');
  let fake: FakeOpenAI;
  let withProvider: ServeProcess;
  let withoutProvider: ServeProcess;
  let withToken: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let dialogs: string[];
  /** Every response body the browser received, to prove the provider key never reaches it. */
  let responseBodies: string[];

  beforeAll(async () => {
    if (!existsSync(CLI) || !existsSync(resolve(ROOT, 'dist/src/ui/app.js'))) {
      throw new Error('dist/ is missing: run `npm run build` before these tests (npm test does).');
    }
    fake = await startFakeOpenAI({ chunkDelayMs: 60 });
    [withProvider, withoutProvider, withToken] = await Promise.all([
      serve(['--db', dir.file('provider.db'), '--provider-url', fake.baseURL, '--provider-key-env', KEY_ENV, '--jaeger-url', JAEGER], {
        [KEY_ENV]: KEY,
      }),
      serve(['--db', dir.file('bare.db')]),
      serve(['--db', dir.file('token.db'), '--token', TOKEN]),
    ]);
    await Promise.all([seedServer(withProvider.url, [...SEEDS, ...OLDER_SEEDS]), seedServer(withoutProvider.url, SEEDS)]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([stop(withProvider), stop(withoutProvider), stop(withToken)]);
    await fake?.close();
    dir.remove();
  });

  /** Opens the page; `steady` shows the same data, dates and time zone on every run (for the docs picture). */
  async function open(baseUrl: string, viewport = { width: 1360, height: 1000 }, steady = false): Promise<Page> {
    context = await browser.newContext(steady ? { viewport, locale: 'en-US', timezoneId: 'UTC' } : { viewport });
    page = await context.newPage();
    pageErrors = [];
    dialogs = [];
    responseBodies = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('response', (response) => {
      void response
        .text()
        .then((text) => responseBodies.push(text))
        .catch(() => undefined);
    });
    if (steady) {
      await page.route('**/api/**', async (route) => {
        // Only the JSON reads: the re-run's stream passes through untouched.
        if (route.request().method() !== 'GET') return route.continue();
        const response = await route.fetch();
        if (!(response.headers()['content-type'] ?? '').startsWith('application/json')) return route.fulfill({ response });
        return route.fulfill({ response, json: steadyAnswer((await response.json()) as Json) });
      });
    }
    await page.goto(`${baseUrl}/`);
    await settled();
    return page;
  }

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
    await context?.close();
  });

  /** Waits until the list shows a result (not "Loading…"). */
  async function settled(): Promise<string> {
    await page.waitForFunction(() => {
      const text = document.getElementById('list-status')?.textContent ?? '';
      return text !== '' && text !== 'Loading…';
    });
    return (await page.textContent('#list-status')) ?? '';
  }

  /** The label of the focused control (its <label>, or a button's text); '(body)' when focus was lost. */
  async function focusedName(): Promise<string> {
    return page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      if (!active || active === document.body) return '(body)';
      const label = (active as HTMLInputElement).labels?.[0];
      return (label ?? active).textContent?.trim() ?? '';
    });
  }

  async function models(): Promise<string[]> {
    return page.locator('#generation-list .item-model').allTextContents();
  }

  async function applyFilters(fields: Record<string, string>): Promise<string[]> {
    await page.click('#filters button[type="reset"]');
    await settled();
    for (const [id, value] of Object.entries(fields)) {
      if (id === 'filter-error') await page.check(`#${id}`);
      else await page.fill(`#${id}`, value);
    }
    await page.click('#filters button[type="submit"]');
    await settled();
    return models();
  }

  async function openItem(model: string): Promise<void> {
    // The recorded generation, not a re-run of it.
    await page
      .locator('#generation-list a.item', { has: page.locator('.item-model', { hasText: model }), hasNot: page.locator('.badge-rerun') })
      .first()
      .click();
    await page.waitForSelector('#generation-title');
    await expect.poll(() => page.textContent('#generation-title')).toContain(model);
  }

  /** Opens a generation of OLDER_SEEDS, which only the model filter brings to the list. */
  async function openOlder(model: string): Promise<void> {
    expect(await applyFilters({ 'filter-model': model })).toEqual([model]);
    await openItem(model);
  }

  /** The `dir` attribute of an element and the direction the browser resolved for it. */
  async function direction(selector: string): Promise<[string | null, string]> {
    return page
      .locator(selector)
      .first()
      .evaluate((element) => [element.getAttribute('dir'), getComputedStyle(element).direction], null, { timeout: 5000 });
  }

  it('lists generations newest first and loads the next page with the cursor', async () => {
    await open(withoutProvider.url);
    expect(await page.textContent('#list-status')).toBe('50 generations (more to load)');
    expect((await models()).slice(0, 6)).toEqual([
      'claude-test',
      'fake-chat',
      'fake-instruct',
      'markup-model',
      'fake-translate',
      'bulk-model',
    ]);
    // Bulk items are minutes apart: the newest comes first.
    const previews = await page.locator('#generation-list .item-preview').allTextContents();
    expect(previews[5]).toBe('bulk question 49');
    await page.click('#load-more');
    await expect.poll(() => page.locator('#generation-list > li').count()).toBe(55);
    expect(await page.textContent('#list-status')).toBe('55 generations');
    expect(await page.isHidden('#load-more')).toBe(true);
    const all = await page.locator('#generation-list .item-preview').allTextContents();
    expect(all[all.length - 1]).toBe('bulk question 0');
  });

  it('filters by model, provider, service, tag, errors, time range and text', async () => {
    await open(withoutProvider.url);
    expect(await applyFilters({ 'filter-model': 'fake-chat' })).toEqual(['fake-chat']);
    expect(await applyFilters({ 'filter-provider': 'anthropic' })).toEqual(['claude-test']);
    expect(await applyFilters({ 'filter-service': 'poetry-app' })).toEqual(['fake-instruct', 'markup-model']);
    expect(await applyFilters({ 'filter-tag': 'weather' })).toEqual(['fake-chat']);
    expect(await applyFilters({ 'filter-error': 'on' })).toEqual(['claude-test']);
    expect(await applyFilters({ 'filter-from': '2026-01-15T00:00:00', 'filter-to': '2026-02-15T00:00:00' })).toEqual(['fake-chat']);
    expect(await applyFilters({ 'filter-q': 'autumn rain' })).toEqual(['fake-instruct']);
    expect(await applyFilters({ 'filter-q': 'no such text anywhere' })).toEqual([]);
    expect(await page.textContent('#list-status')).toBe('No generations match.');
    await page.click('#filters button[type="reset"]');
    expect(await settled()).toBe('50 generations (more to load)');
  });

  it('opens a completion: template with highlighted variables, formatted toggle, completion, settings, timings, Jaeger link', async () => {
    await open(withProvider.url);
    await openItem('fake-instruct');
    expect(await page.locator('.generation-header .meta').textContent()).toContain('Provider openai');
    expect(await page.locator('.generation-header .meta').textContent()).toContain('Service poetry-app');
    expect(await page.locator('.generation-header .tag').allTextContents()).toEqual(['haiku', 'demo']);

    const prompt = page.locator('section.panel', { has: page.locator('h3', { hasText: /^Prompt$/ }) });
    const template = prompt.locator('[data-view="template"]');
    const formatted = prompt.locator('[data-view="formatted"]');
    expect(await template.isVisible()).toBe(true);
    expect(await formatted.isVisible()).toBe(false);
    expect(await template.locator('mark.variable').allTextContents()).toEqual(['{tone}', '{topic}']);
    expect(await template.locator('mark.variable').first().getAttribute('title')).toBe('calm');
    // The escaped braces stay as written in the template view and are not highlighted.
    expect(await template.locator('pre').textContent()).toBe('Write a {tone} haiku about {topic}. Answer as JSON: {{"haiku": "..."}}');

    const formattedButton = prompt.getByRole('button', { name: 'Formatted' });
    await formattedButton.click();
    expect(await formattedButton.getAttribute('aria-pressed')).toBe('true');
    expect(await prompt.getByRole('button', { name: 'Template' }).getAttribute('aria-pressed')).toBe('false');
    expect(await template.isVisible()).toBe(false);
    expect(await formatted.textContent()).toBe('Write a calm haiku about autumn rain. Answer as JSON: {"haiku": "..."}');
    await prompt.getByRole('button', { name: 'Template' }).click();
    expect(await template.isVisible()).toBe(true);

    const completion = page.locator('section.panel', { has: page.locator('h3', { hasText: /^Completion$/ }) });
    expect(await completion.textContent()).toContain('Soft rain on the roof');
    const metrics = Object.fromEntries(
      await page
        .locator('.recorded .metric')
        .evaluateAll((nodes) => nodes.map((n) => [n.querySelector('dt')!.textContent, n.querySelector('dd')!.textContent])),
    );
    expect(metrics).toEqual({
      'Input tokens': '21',
      'Output tokens': '17',
      'Total tokens': '38',
      'Time to first token': '312.5 ms',
      Throughput: '41.2 tokens/s',
      Duration: '0.71 s',
    });
    const settings = page.locator('section.panel', { has: page.locator('h3', { hasText: 'Settings' }) });
    expect(await settings.locator('tr').allTextContents()).toEqual(['temperature0.7', 'max_tokens128']);

    const item = (await (await fetch(`${withProvider.url}/api/generations?model=fake-instruct`)).json()).items[0] as GenerationRecord;
    expect(await page.getByRole('link', { name: 'Open trace in Jaeger' }).getAttribute('href')).toBe(`${JAEGER}/trace/${item.traceId}`);
    // The header links to the Jaeger UI the server was started with.
    expect(await page.getByRole('link', { name: 'All traces in Jaeger' }).getAttribute('href')).toBe(`${JAEGER}/`);
  });

  it('opens a chat: roles, tool calls, tool results, the message completion and the tools', async () => {
    await open(withProvider.url);
    await openItem('fake-chat');
    const messages = page.locator('.recorded section.panel', { has: page.locator('h3', { hasText: 'Messages' }) });
    expect(await messages.locator('.message .role').allTextContents()).toEqual(['system', 'user', 'assistant', 'tool']);
    const call = messages.locator('.tool-call');
    expect(await call.locator('code').textContent()).toBe('get_weather');
    expect(await call.textContent()).toContain('call_1');
    expect(await call.locator('pre').textContent()).toBe('{\n  "location": "Paris"\n}');
    expect(await messages.locator('.role-tool .message-head').textContent()).toBe('tool · result of call_1');
    expect(await messages.locator('.role-tool pre').textContent()).toBe('{"temperature_c": 18, "sky": "clear"}');
    const answer = page.locator('section.panel', { has: page.locator('h3', { hasText: 'Message completion' }) });
    expect(await answer.locator('.role').textContent()).toBe('assistant');
    expect(await answer.locator('pre').textContent()).toBe(`It is 18 °C and clear in Paris. ${XSS_IMG}`);
    const tools = page.locator('section.panel', { has: page.locator('h3', { hasText: 'Tools' }) });
    expect(await tools.textContent()).toContain('get_weather — Current weather for a city');
    expect(await page.locator('.recorded .metric dd').allTextContents()).toEqual(['52', '14', '66', '—', '—', '1.25 s']);
  });

  it('opens a chat recorded from a template: template messages with highlighted variables, toggled with the formatted ones', async () => {
    await open(withoutProvider.url);
    await openItem('fake-translate');
    const messages = page.locator('.recorded section.panel', { has: page.locator('h3', { hasText: 'Messages' }) });
    const template = messages.locator('[data-view="template"]');
    expect(await template.locator('mark.variable').allTextContents()).toEqual(['{language}', '{text}']);
    expect(await template.locator('.message pre').allTextContents()).toEqual(['You translate into {language}.', '{text}']);
    await messages.getByRole('button', { name: 'Formatted' }).click();
    expect(await template.isVisible()).toBe(false);
    expect(await messages.locator('[data-view="formatted"] .message pre').allTextContents()).toEqual([
      'You translate into French.',
      'Good morning',
    ]);
    // The editor edits the template messages; the preview formats them.
    expect(await page.locator('.messages-fieldset legend').textContent()).toBe('Template messages');
    await page.fill('textarea[data-variable="language"]', 'German');
    expect(await page.textContent('#formatted-preview')).toBe('[system]\nYou translate into German.\n\n[user]\nGood morning');
  });

  it('edits a variable and runs again: the answer streams in, is stored linked to the original, and shows side by side', async () => {
    await open(withProvider.url, { width: 1360, height: 2000 });
    await openItem('fake-instruct');
    const original = (await (await fetch(`${withProvider.url}/api/generations?model=fake-instruct`)).json()).items[0] as GenerationRecord;
    expect(await page.locator('.provider-line').textContent()).toBe(`Re-runs go to ${fake.baseURL} with the key from $${KEY_ENV}.`);

    await page.fill('textarea[data-variable="topic"]', 'winter sun');
    expect(await page.textContent('#formatted-preview')).toBe('Write a calm haiku about winter sun. Answer as JSON: {"haiku": "..."}');
    const requestsBefore = fake.requests.length;
    await page.click('#run-button');

    // Tokens arrive while the stream is still open (the fake sends one word every 60 ms).
    const partialHandle = await page.waitForFunction(() => {
      const output = document.getElementById('variant-1-output');
      const text = output?.textContent ?? '';
      return output?.getAttribute('aria-busy') === 'true' && text.startsWith('Fake reply') ? text : false;
    });
    const partial = (await partialHandle.jsonValue()) as string;
    await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
    const expected = 'Fake reply to: Write a calm haiku about winter sun. Answer as JSON: {"haiku": "..."}';
    expect(expected.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(expected.length);
    expect(await page.textContent('#variant-1-stored')).toBe(expected);
    expect(await page.textContent('#run-status')).toBe('Done. The re-run is stored as a new generation.');

    // The provider got the formatted prompt and the key, from the server.
    const sent = fake.requests.slice(requestsBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0].body.prompt).toBe('Write a calm haiku about winter sun. Answer as JSON: {"haiku": "..."}');
    expect(sent[0].headers.authorization).toBe(`Bearer ${KEY}`);

    // Stored as a new generation, linked to the original.
    const rerunId = await page.getAttribute('#variant-1-stored', 'data-id');
    const stored = (await (await fetch(`${withProvider.url}/api/generations/${rerunId}`)).json()) as GenerationRecord;
    expect(stored.serviceName).toBe('genspan-playground');
    expect(stored.generation).toMatchObject({
      completion: expected,
      variables: { tone: 'calm', topic: 'winter sun' },
      metadata: { rerunOf: { id: original.id, traceId: original.traceId, spanId: original.spanId } },
    });

    // Side by side: the recorded answer on the left, the re-run on the right, at the same height.
    const comparison = page.locator('#comparison');
    expect(await comparison.isVisible()).toBe(true);
    expect(await comparison.locator('.original-output').textContent()).toContain('Soft rain on the roof');
    const left = (await comparison.locator('.compare-column').first().boundingBox())!;
    const right = (await page.locator('#variant-1-column').boundingBox())!;
    expect(right.x).toBeGreaterThan(left.x + left.width - 1);
    expect(Math.abs(right.y - left.y)).toBeLessThan(5);

    // The list shows the re-run first.
    await expect.poll(() => page.locator('#generation-list .item').first().getAttribute('data-id')).toBe(rerunId);
    expect(await page.locator('#generation-list .item').first().locator('.badge-rerun').count()).toBe(1);

    // Opening the re-run shows its origin beside it.
    await page.click('.rerun-link');
    await page.waitForSelector('#origin-comparison');
    expect(await page.locator('#origin-comparison .original-output').textContent()).toContain('Soft rain on the roof');
    expect(await page.locator('#origin-comparison .rerun-output').textContent()).toBe(expected);
    expect(await page.getAttribute('.origin-link', 'href')).toBe(`#/g/${original.id}`);

    // The key never reached the browser.
    expect(responseBodies.length).toBeGreaterThan(5);
    for (const body of responseBodies) expect(body).not.toContain(KEY);
    expect(await page.content()).not.toContain(KEY);
  });

  it('draws the detail view after a re-run for the docs, the same on every run', async () => {
    // A server of its own, so the list holds the seeds and this one re-run whatever other tests ran.
    const docs = await serve(
      ['--db', dir.file('docs.db'), '--provider-url', fake.baseURL, '--provider-key-env', KEY_ENV, '--jaeger-url', JAEGER],
      {
        [KEY_ENV]: KEY,
      },
    );
    try {
      await seedServer(docs.url, SEEDS);
      await open(docs.url, { width: 1360, height: 2000 }, true);
      await openItem('fake-instruct');
      await page.fill('textarea[data-variable="topic"]', 'winter sun');
      await page.click('#run-button');
      await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
      await expect.poll(() => page.locator('#generation-list .item').first().locator('.badge-rerun').count()).toBe(1);
      expect(await page.locator('#variant-1-column time').textContent()).toBe(
        new Date(STEADY.rerunStart).toLocaleString('en-US', { timeZone: 'UTC' }),
      );
      expect(await page.textContent('#provider-status')).toBe(`Re-runs: ${STEADY.providerUrl}`);

      const file = UPDATE_SCREENSHOT ? DOCS_SCREENSHOT : dir.file('playground.png');
      mkdirSync(dirname(file), { recursive: true });
      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      const editor = (await page.locator('.panel.editor').boundingBox())!;
      const height = Math.ceil(editor.y + editor.height + 16);
      await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', clip: { x: 0, y: 0, width: 1360, height } });
      expect(pngSize(file)).toEqual({ width: 1360, height });
    } finally {
      // The browser first: a connection it opened ahead of a request would hold the server's shutdown until it times out.
      await context?.close();
      await stop(docs);
    }
  });

  it('edits chat messages and settings and runs again; invalid settings are reported, not sent', async () => {
    await open(withProvider.url);
    await openItem('fake-chat');
    await page.fill('#edit-settings', '{ "temperature": ');
    const requestsBefore = fake.requests.length;
    await page.click('#run-button');
    expect(await page.textContent('#run-status')).toMatch(/^Settings: /);
    expect(await page.getAttribute('#edit-settings', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('edit-settings');
    expect(fake.requests.length).toBe(requestsBefore);

    await page.fill('#edit-settings', '{ "temperature": 0.5 }');
    await page.getByLabel('Content of message 2').fill('What is the weather in Lyon?');
    // Drop the recorded tool exchange: the conversation now ends with the user's question.
    await page.getByRole('button', { name: 'Remove message 4' }).click();
    // The removed message's controls are gone: focus moves to the message before it, not to the page.
    expect(await focusedName()).toBe('Role of message 3');
    await page.getByRole('button', { name: 'Remove message 3' }).click();
    expect(await focusedName()).toBe('Role of message 2');
    await page.click('#run-button');
    await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
    const sent = fake.requests.slice(requestsBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/v1/chat/completions');
    expect(sent[0].body.temperature).toBe(0.5);
    expect(sent[0].body.messages).toEqual([
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'What is the weather in Lyon?' },
    ]);
    // With tools and a user message last, the fake answers with a tool call: shown in the re-run column.
    expect(await page.locator('#variant-1-stored .tool-call code').textContent()).toBe('get_weather');
  });

  it('changes a message role: the tool call field follows the role, focus stays on the role, a stale call id is not sent', async () => {
    await open(withProvider.url);
    await openItem('fake-chat');
    // By keyboard: arrow keys step message 2 from user to assistant to tool; each change rebuilds the message.
    const role2 = page.getByLabel('Role of message 2');
    await role2.focus();
    await page.keyboard.press('ArrowDown');
    expect(await role2.inputValue()).toBe('assistant');
    expect(await focusedName()).toBe('Role of message 2');
    expect(await page.getByLabel('Message 2 answers tool call').count()).toBe(0);
    await page.keyboard.press('ArrowDown');
    expect(await role2.inputValue()).toBe('tool');
    expect(await focusedName()).toBe('Role of message 2');
    expect(await page.getByLabel('Message 2 answers tool call').isVisible()).toBe(true);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await role2.inputValue()).toBe('user');
    expect(await page.getByLabel('Message 2 answers tool call').count()).toBe(0);

    // The tool result becomes a user message: its call id goes with the role.
    expect(await page.getByLabel('Message 4 answers tool call').inputValue()).toBe('call_1');
    await page.getByLabel('Role of message 4').selectOption('user');
    expect(await focusedName()).toBe('Role of message 4');
    expect(await page.getByLabel('Message 4 answers tool call').count()).toBe(0);
    const posted = page.waitForRequest((request) => new URL(request.url()).pathname.endsWith('/rerun'));
    await page.click('#run-button');
    const edited = (await posted).postDataJSON() as { messages: Record<string, unknown>[] };
    expect(edited.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(edited.messages[3]).toMatchObject({ content: '{"temperature_c": 18, "sky": "clear"}' });
    for (const message of edited.messages) expect(message).not.toHaveProperty('tool_call_id');
    // The assistant's call_1 is now unanswered: the server refuses the re-run rather than send it to fail at the provider.
    await expect.poll(() => page.textContent('#run-status')).toMatch(/^Tool call call_1 has no tool result in the messages/);

    // Restore rebuilds the form: focus stays on the button, and the tool result is back with its call id.
    await page.getByRole('button', { name: 'Restore original' }).click();
    expect(await focusedName()).toBe('Restore original');
    expect(await page.getByLabel('Role of message 4').inputValue()).toBe('tool');
    expect(await page.getByLabel('Message 4 answers tool call').inputValue()).toBe('call_1');
  });

  it('stops a re-run from the page: the provider call is cancelled and recorded as such', async () => {
    await open(withProvider.url);
    await openItem('fake-instruct');
    const original = (await (await fetch(`${withProvider.url}/api/generations?model=fake-instruct&service=poetry-app`)).json())
      .items[0] as GenerationRecord;
    const before = new Set(
      (
        (await (await fetch(`${withProvider.url}/api/generations?service=genspan-playground&limit=500`)).json()).items as GenerationRecord[]
      ).map((r) => r.id),
    );
    await page.click('#run-button');
    await page.waitForFunction(() => (document.getElementById('variant-1-output')?.textContent ?? '').length > 0);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.textContent('#run-status')).toBe('Stopped.');
    expect(await page.isEnabled('#run-button')).toBe(true);
    let cancelled: GenerationRecord | undefined;
    await expect
      .poll(
        async () => {
          const items = (await (await fetch(`${withProvider.url}/api/generations?service=genspan-playground&limit=500`)).json())
            .items as GenerationRecord[];
          cancelled = items.find((r) => !before.has(r.id));
          return cancelled?.generation.error ?? null;
        },
        { timeout: 20_000 },
      )
      .toBe('The re-run was cancelled: the page closed the connection.');
    expect(cancelled!.generation.metadata).toMatchObject({ rerunOf: { id: original.id } });
  });

  it('shows stored markup as text: <script> and <img onerror> payloads are not executed', async () => {
    await open(withProvider.url);
    const preview = page
      .locator('#generation-list a.item', { has: page.locator('.item-model', { hasText: 'markup-model' }) })
      .locator('.item-preview');
    expect(await preview.textContent()).toBe(`Echo ${XSS_SCRIPT} and ${XSS_IMG}`);
    await openItem('markup-model');
    const template = page.locator('[data-view="template"] pre');
    expect(await template.textContent()).toBe(`Echo {payload} and ${XSS_IMG}`);
    expect(await template.locator('mark.variable').getAttribute('title')).toBe(XSS_SCRIPT);
    const completion = page.locator('section.panel', { has: page.locator('h3', { hasText: /^Completion$/ }) });
    expect(await completion.locator('pre').textContent()).toBe(`${XSS_SCRIPT}${XSS_IMG}`);
    expect(await page.inputValue('textarea[data-variable="payload"]')).toBe(XSS_SCRIPT);
    expect(await page.textContent('#formatted-preview')).toBe(`Echo ${XSS_SCRIPT} and ${XSS_IMG}`);

    await openItem('fake-chat');
    expect(await page.locator('.recorded .role-user pre').textContent()).toBe(`What is the weather in Paris? ${XSS_SCRIPT}`);

    // Nothing ran and no element came from stored content.
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(0);
  });

  it('highlights and formats a Mustache template (Literal AI prompts) as Mustache: variables, sections, the preview', async () => {
    const mustache = new CompletionGeneration({
      provider: 'openai',
      model: 'mustache-model',
      template: 'Dear {{name}},\n{{#items}}\n- {{.}}\n{{/items}}\nKeep {literal} braces.',
      templateFormat: 'mustache',
      variables: { name: 'Ada', items: ['tea', 'cake'] },
      prompt: 'Dear Ada,\n- tea\n- cake\nKeep {literal} braces.',
      completion: 'Done.',
    });
    await seedServer(withProvider.url, [{ generation: mustache, startSeconds: at('2024-02-01T12:00:00Z'), serviceName: 'mustache-app' }]);
    await open(withProvider.url);
    await openOlder('mustache-model');
    const template = page.locator('[data-view="template"] pre');
    expect(await template.locator('mark.variable').allTextContents()).toEqual(['{{name}}', '{{.}}']);
    expect(await template.locator('mark.variable').first().getAttribute('title')).toBe('Ada');
    expect(await template.locator('mark.template-tag').allTextContents()).toEqual(['{{#items}}', '{{/items}}']);
    // `{literal}` is text in Mustache, so no variable box is asked for it.
    expect(await page.locator('textarea[data-variable]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-variable')))).toEqual(
      ['name', 'items'],
    );
    expect(await page.textContent('#formatted-preview')).toBe('Dear Ada,\n- tea\n- cake\nKeep {literal} braces.');
    await page.fill('textarea[data-variable="name"]', 'Grace');
    expect(await page.textContent('#formatted-preview')).toBe('Dear Grace,\n- tea\n- cake\nKeep {literal} braces.');
  });

  it('folds a long variable in the variables table, with a control that shows it whole, and the page stays short', async () => {
    await open(withProvider.url);
    await openOlder('long-variable-model');
    // The list answers a summary of so large a record; its whole value comes from the record's own URL.
    const listed = (await (await fetch(`${withProvider.url}/api/generations?model=long-variable-model`)).json())
      .items[0] as GenerationRecord;
    const stored = (await (await fetch(`${withProvider.url}/api/generations/${listed.id}`)).json()) as GenerationRecord;
    const documentText = String((stored.generation.variables as Record<string, unknown>).document);
    expect(documentText.length).toBeGreaterThan(LONG_VARIABLE.length / 2);
    const pageHeight = () => page.evaluate(() => document.documentElement.scrollHeight);
    // Everything else on the page is a few screens at most; the whole value would be more than twenty.
    expect(await pageHeight()).toBeLessThan(4000);

    const row = (name: string) =>
      page.locator('.recorded .variables tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
    expect(await row('audience').locator('td').textContent()).toBe('the board');
    expect(await row('audience').getByRole('button').count()).toBe(0);
    const value = row('document').locator('.long-value');
    const folded = (await value.textContent())!;
    expect(folded.length).toBeLessThan(1000);
    expect(folded.endsWith('…')).toBe(true);
    expect(documentText.startsWith(folded.slice(0, -1))).toBe(true);

    const toggle = row('document').getByRole('button');
    expect(await toggle.textContent()).toBe(`Show all ${documentText.length.toLocaleString()} characters`);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await value.textContent()).toBe(documentText);
    expect(await focusedName()).toBe('Show less');
    // Shown whole, the value scrolls in a box of its own.
    expect(await pageHeight()).toBeLessThan(4000);
    await page.keyboard.press('Enter');
    expect(await value.textContent()).toBe(folded);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    // The template's tooltip on the variable is folded too.
    expect((await page.locator('[data-view="template"] mark.variable').first().getAttribute('title'))!.length).toBeLessThan(1000);
  });

  it('shows the assistant message\'s tool calls and the call a tool result answers in the "what is sent" preview', async () => {
    await open(withProvider.url);
    await openItem('fake-chat');
    expect(await page.textContent('#formatted-preview')).toBe(
      [
        '[system]\nYou are a weather assistant.',
        `[user]\nWhat is the weather in Paris? ${XSS_SCRIPT}`,
        '[assistant]\nTool call get_weather · call_1\n{\n  "location": "Paris"\n}',
        '[tool · result of call_1]\n{"temperature_c": 18, "sky": "clear"}',
      ].join('\n\n'),
    );
    // Edited calls are previewed as edited.
    const call = { id: 'call_9', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } };
    await page.getByLabel('Tool calls (JSON)').fill(JSON.stringify([call]));
    expect(await page.textContent('#formatted-preview')).toContain('[assistant]\nTool call get_time · call_9\n{\n  "zone": "CET"\n}');
    await page.getByLabel('Message 4 answers tool call').fill('call_9');
    expect(await page.textContent('#formatted-preview')).toContain('[tool · result of call_9]');
  });

  it('fits the From and To date fields in the filter form, at the default width and on a narrow window', async () => {
    await open(withoutProvider.url);
    /** Each date field's width against the width it takes when nothing constrains it (all of its date and time parts). */
    const dateFieldFits = () =>
      page.evaluate(() =>
        ['filter-from', 'filter-to'].map((id) => {
          const input = document.getElementById(id)!;
          const free = input.cloneNode() as HTMLInputElement;
          free.removeAttribute('id');
          free.style.cssText = 'position: absolute; width: auto; visibility: hidden';
          document.body.append(free);
          const needed = free.getBoundingClientRect().width;
          free.remove();
          const box = input.getBoundingClientRect();
          const form = document.getElementById('filters')!.getBoundingClientRect();
          return { id, fits: box.width + 0.5 >= needed && box.left >= form.left && box.right <= form.right + 0.5 };
        }),
      );
    const fitting = [
      { id: 'filter-from', fits: true },
      { id: 'filter-to', fits: true },
    ];
    expect(await dateFieldFits()).toEqual(fitting);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await dateFieldFits()).toEqual(fitting);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it('keeps focus on the re-run after Run, and on Run again after Stop, rather than on the page body', async () => {
    await open(withProvider.url);
    await openItem('fake-instruct');
    await page.focus('#run-button');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('comparison');
    expect(await page.getAttribute('#comparison', 'aria-labelledby')).toBe('comparison-title');
    await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('comparison');

    await page.focus('#run-button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.getElementById('variant-1-output')?.textContent ?? '').length > 0);
    await page.getByRole('button', { name: 'Stop' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#run-status')).toBe('Stopped.');
    expect(await focusedName()).toBe('Run again');
  });

  it('says a wrong token was rejected, then takes the right one', async () => {
    await open(withToken.url);
    expect(await page.isVisible('#auth')).toBe(true);
    const authError = () => page.evaluate(() => document.getElementById('auth-error')?.textContent ?? '');
    expect(await authError()).toBe('');
    await page.fill('#auth-token', 'not-the-token');
    await page.click('#auth-form button[type="submit"]');
    await expect
      .poll(authError, { timeout: 10_000 })
      .toBe('The server rejected this token. Check it against the --token the server was started with.');
    expect(await page.isVisible('#auth-error')).toBe(true);
    expect(await page.getAttribute('#auth-token', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('auth-token');
    // The list's own request is refused a moment after the configuration's.
    await expect.poll(() => page.textContent('#list-status')).toBe('The token was rejected.');

    await page.fill('#auth-token', TOKEN);
    await page.click('#auth-form button[type="submit"]');
    // The list answers (this server may hold nothing yet).
    await page.waitForFunction(() =>
      /^(\d+ generations?|No generations match\.)$/.test(document.getElementById('list-status')?.textContent ?? ''),
    );
    expect(await page.isHidden('#auth')).toBe(true);
    expect(await page.getAttribute('#auth-token', 'aria-invalid')).toBeNull();
  });

  it('lets right-to-left text run right to left: stored and typed text is marked dir="auto"', async () => {
    await open(withProvider.url);
    await page.fill('#filter-q', ARABIC_CITY);
    expect(await direction('#filter-q')).toEqual(['auto', 'rtl']);
    await openOlder('rtl-model');
    expect(await page.textContent('#generation-list .item-preview')).toBe(ARABIC_QUESTION);
    expect(await direction('#generation-list .item-preview')).toEqual(['auto', 'rtl']);
    expect(await direction('#generation-list .item-tags .tag')).toEqual(['auto', 'rtl']);

    expect(await direction('.recorded [data-view="template"] .role-user pre')).toEqual(['auto', 'rtl']);
    expect(await direction('.recorded [data-view="formatted"] .role-user pre')).toEqual(['auto', 'rtl']);
    // Left-to-right text stays so.
    expect(await direction('.recorded [data-view="formatted"] .role-system pre')).toEqual(['auto', 'ltr']);
    const answer = page.locator('section.panel', { has: page.locator('h3', { hasText: 'Message completion' }) }).locator('pre');
    expect(await answer.textContent()).toBe(HEBREW_ANSWER);
    expect(await answer.evaluate((element) => getComputedStyle(element).direction)).toBe('rtl');
    expect(await direction('.recorded .variables td')).toEqual(['auto', 'rtl']);
    expect(await direction('.generation-header .tag')).toEqual(['auto', 'rtl']);

    // The editor's fields and the preview of what is sent.
    expect(await page.getByLabel('Content of message 2').evaluate((element) => getComputedStyle(element).direction)).toBe('rtl');
    expect(await direction('textarea[data-variable="city"]')).toEqual(['auto', 'rtl']);
    const previewed = await page.evaluate((question) => {
      const preview = document.getElementById('formatted-preview')!;
      const element = [...preview.querySelectorAll('*')].find((node) => node.textContent === question) ?? preview;
      return [element.getAttribute('dir'), getComputedStyle(element).direction];
    }, ARABIC_QUESTION);
    expect(previewed).toEqual(['auto', 'rtl']);
  });

  it('enforces its Content-Security-Policy in the browser: an injected inline script does not run', async () => {
    await open(withProvider.url);
    const violations = await page.evaluate(async () => {
      const violation = new Promise<string>((resolveLater) =>
        document.addEventListener('securitypolicyviolation', (event) => resolveLater(event.violatedDirective), { once: true }),
      );
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.append(script);
      // An inline script that may run does so as it is inserted; a blocked one is reported by the violation event.
      const ran = (window as unknown as { __inline?: number }).__inline === 1;
      return { seen: ran ? [] : [await violation], ran };
    });
    expect(violations.ran).toBe(false);
    expect(violations.seen[0]).toMatch(/^script-src/);
  });

  it('says how to configure a provider when none is, instead of failing', async () => {
    await open(withoutProvider.url);
    expect(await page.textContent('#provider-status')).toBe('Re-runs off: no provider configured');
    expect(await page.isHidden('#jaeger-link')).toBe(true);
    await openItem('fake-instruct');
    const notice = page.locator('#no-provider');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.locator('pre').textContent()).toBe('genspan serve --provider-url URL --provider-key-env ENV_NAME');
    expect(await page.isDisabled('#run-button')).toBe(true);
    // Editing still works (and previews), only running is off.
    await page.fill('textarea[data-variable="tone"]', 'stormy');
    expect(await page.textContent('#formatted-preview')).toContain('Write a stormy haiku');
  });

  it('works by keyboard and on a narrow window', async () => {
    await open(withProvider.url, { width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // Reach the first generation with Tab from the filter form's last button, open it with Enter.
    await page.focus('#filters button[type="reset"]');
    let focused = '';
    for (let presses = 0; presses < 5 && focused !== 'item'; presses++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.className ?? '');
    }
    expect(focused).toBe('item');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#generation-title');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('generation-title');
    // On a narrow window the open generation replaces the list; a link leads back.
    expect(await page.isVisible('#browser')).toBe(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.getByRole('link', { name: '← All generations' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.isVisible('#browser')).toBe(true);

    // Toggle buttons answer to the keyboard and show where focus is.
    await openItem('fake-instruct');
    const formatted = page.getByRole('button', { name: 'Formatted' });
    await formatted.focus();
    await page.keyboard.press('Space');
    expect(await formatted.getAttribute('aria-pressed')).toBe('true');
  });

  it('chooses a provider (the recorded one by default), says which settings it leaves out and flags an unanswered call', async () => {
    const second = await startFakeOpenAI({ chunkDelayMs: 5, models: ['fake-chat'] });
    const named = await serve(
      [
        '--db',
        dir.file('named.db'),
        '--provider',
        `second=${second.baseURL}`,
        '--provider-url',
        fake.baseURL,
        '--provider-key-env',
        KEY_ENV,
      ],
      { [KEY_ENV]: KEY },
    );
    try {
      await seedServer(named.url, SEEDS);
      await open(named.url);
      await openItem('fake-chat');
      const choice = page.locator('#edit-provider');
      expect(await choice.locator('option').allTextContents()).toEqual(['second', 'openai']);
      // Recorded with `openai`, which is configured: chosen although it is not the first.
      expect(await choice.inputValue()).toBe('openai');
      expect(await page.locator('.provider-line').textContent()).toBe(`Re-runs go to ${fake.baseURL} with the key from $${KEY_ENV}.`);
      await choice.selectOption('second');
      expect(await page.locator('.provider-line').textContent()).toBe(`Re-runs go to ${second.baseURL} without an API key.`);

      // Settings that are not request parameters are named, with why, before running.
      await page.fill('#edit-settings', '{ "temperature": 0, "maxRetries": 2, "toolChoice": { "type": "required" } }');
      await expect
        .poll(() => page.locator('#omitted-settings li').allTextContents())
        .toEqual(['maxRetries (an SDK option, not a request parameter)']);

      // Without its tool result, the recorded tool call is flagged before anything is sent.
      await page.getByRole('button', { name: 'Remove message 4' }).click();
      await expect
        .poll(() => page.textContent('#rerun-problem'))
        .toBe('Tool call call_1 has no tool result in the messages: add a tool message answering call_1, or remove the call.');
      expect(await page.isVisible('#rerun-problem')).toBe(true);
      await page.getByRole('button', { name: 'Remove message 3' }).click();
      await expect.poll(() => page.isHidden('#rerun-problem')).toBe(true);

      const before = fake.requests.length;
      await page.click('#run-button');
      await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
      expect(second.requests).toHaveLength(1);
      expect(second.requests[0].body).toMatchObject({ model: 'fake-chat', temperature: 0, tool_choice: 'required' });
      expect(second.requests[0].body).not.toHaveProperty('maxRetries');
      expect(fake.requests.length).toBe(before);
      expect(await page.locator('#variant-1-column .muted').first().textContent()).toContain('fake-chat · second');
      const rerunId = await page.getAttribute('#variant-1-stored', 'data-id');
      const stored = (await (await fetch(`${named.url}/api/generations/${rerunId}`)).json()) as GenerationRecord;
      expect(stored.generation.provider).toBe('second');
      for (const body of responseBodies) expect(body).not.toContain(KEY);
    } finally {
      await context?.close();
      await stop(named);
      await second.close();
    }
  });

  it('asks for the token of a --token server and then lists its generations', async () => {
    const two = SEEDS.filter((seed) => seed.generation.model === 'fake-chat' || seed.generation.model === 'fake-instruct');
    await seedServer(withToken.url, two, { authorization: `Bearer ${TOKEN}` });
    await open(withToken.url);
    expect(await page.isVisible('#auth')).toBe(true);
    expect(await page.textContent('#list-status')).toBe('A token is needed.');
    expect(await page.locator('#generation-list > li').count()).toBe(0);
    await page.fill('#auth-token', TOKEN);
    await page.click('#auth-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('list-status')?.textContent === '2 generations');
    expect(await models()).toEqual(['fake-chat', 'fake-instruct']);
    expect(await page.isHidden('#auth')).toBe(true);
  });

  it("shows a generation's cost in the list and the detail, and no cost where none is known", async () => {
    // Older than every seed, so no other test's list holds it; gpt-4o-mini is in genspan's price table.
    const priced = new ChatGeneration({
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      messages: [{ role: 'user', content: 'What does this cost?' }],
      messageCompletion: { role: 'assistant', content: 'Very little.' },
      inputTokenCount: 1200,
      outputTokenCount: 300,
    });
    await seedServer(withoutProvider.url, [{ generation: priced, startSeconds: at('2024-01-01T12:00:00Z'), serviceName: 'cost-app' }]);
    await open(withoutProvider.url);
    await openOlder('gpt-4o-mini-2024-07-18');
    // 1,200 input tokens at $0.15 and 300 output tokens at $0.60 per million.
    expect(await page.textContent('#generation-list .item-cost')).toBe(' · $0.00036');
    expect(await page.textContent('#detail .metric-cost dt')).toBe('Cost');
    expect(await page.textContent('#detail .metric-cost dd')).toBe('$0.00036');
    expect(await page.getAttribute('#detail .metric-cost dd', 'title')).toBe(
      "input $0.00018 + output $0.00018, from the model's list prices",
    );

    await applyFilters({ 'filter-model': 'fake-chat' });
    await openItem('fake-chat');
    expect(await page.locator('#generation-list .item-cost').count()).toBe(0);
    expect(await page.locator('#detail .metric-cost').count()).toBe(0);
    expect(await page.locator('#detail .metric').count()).toBeGreaterThan(0);
  });

  it('sorts the list by cost, highest or lowest first, records without a cost last, chosen from the filters by keyboard', async () => {
    // Older than every other seed and in a service of their own; the gpt-4.1 models are in genspan's price table.
    const seed = (model: string, startSeconds: number): Seed => ({
      generation: new ChatGeneration({
        provider: 'openai',
        model,
        messages: [{ role: 'user', content: `Sort me (${model})` }],
        messageCompletion: { role: 'assistant', content: 'Sorted.' },
        inputTokenCount: 1000,
        outputTokenCount: 100,
      }),
      startSeconds,
      serviceName: 'sort-app',
    });
    await seedServer(withoutProvider.url, [
      seed('gpt-4.1', at('2023-01-01T00:00:00Z')),
      seed('gpt-4.1-mini', at('2023-01-02T00:00:00Z')),
      seed('gpt-4.1-nano', at('2023-01-03T00:00:00Z')),
      seed('unpriced-model', at('2023-01-04T00:00:00Z')),
    ]);
    await open(withoutProvider.url, { width: 390, height: 844 });
    expect(await applyFilters({ 'filter-service': 'sort-app' })).toEqual(['unpriced-model', 'gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1']);
    expect(await page.getAttribute('#generation-list', 'aria-label')).toBe('Generations, newest first');

    expect(await page.locator('#filter-sort option').allTextContents()).toEqual([
      'Newest first',
      'Highest cost',
      'Lowest cost',
      'Longest',
      'Shortest',
      'Most tokens',
      'Fewest tokens',
    ]);
    await page.focus('#filter-sort');
    await page.keyboard.press('ArrowDown');
    expect(await page.inputValue('#filter-sort')).toBe('cost_desc');
    // A select does not submit its form on Enter: Tab past "Errors only" to Apply filters.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Apply filters');
    const request = page.waitForRequest((sent) => sent.url().includes('/api/generations?'));
    await page.keyboard.press('Enter');
    expect(new URL((await request).url()).searchParams.get('sort')).toBe('cost_desc');
    await settled();
    expect(await models()).toEqual(['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'unpriced-model']);
    expect(await page.getAttribute('#generation-list', 'aria-label')).toBe('Generations, highest cost');

    await page.selectOption('#filter-sort', { label: 'Lowest cost' });
    await page.click('#filters button[type="submit"]');
    await settled();
    expect(await models()).toEqual(['gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'unpriced-model']);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Clear goes back to newest first.
    await page.click('#filters button[type="reset"]');
    await settled();
    expect(await page.inputValue('#filter-sort')).toBe('newest');
    expect(await page.getAttribute('#generation-list', 'aria-label')).toBe('Generations, newest first');
  });

  describe('variants side by side', () => {
    const QUESTION = 'Good morning to all of you in the office today';
    const REPLY = `Fake reply to: ${QUESTION}`;
    const SCHEMA = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const TOOLS = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    let alpha: FakeOpenAI;
    let beta: FakeOpenAI;
    let twoProviders: ServeProcess;

    beforeAll(async () => {
      [alpha, beta] = await Promise.all([startFakeOpenAI({ chunkDelayMs: 60 }), startFakeOpenAI({ chunkDelayMs: 60 })]);
      twoProviders = await serve([
        '--db',
        dir.file('variants.db'),
        '--provider',
        `alpha=${alpha.baseURL}`,
        '--provider',
        `beta=${beta.baseURL}`,
      ]);
      const greeting = new ChatGeneration({
        provider: 'alpha',
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: QUESTION }],
        messageCompletion: { role: 'assistant', content: REPLY },
      });
      await seedServer(twoProviders.url, [
        { generation: greeting, startSeconds: at('2026-04-01T12:00:00Z'), serviceName: 'greeting-app' },
        { generation: templatedChat(), startSeconds: at('2026-03-01T12:00:00Z'), serviceName: 'translate-app' },
      ]);
    });

    afterAll(async () => {
      await stop(twoProviders);
      await Promise.all([alpha?.close(), beta?.close()]);
    });

    /** Makes the shown variant go to `provider` with `model`. */
    async function setVariant(provider: string, model: string): Promise<void> {
      await page.selectOption('#edit-provider', provider);
      await page.fill('#edit-model', model);
    }

    it('runs six variants at once, streaming side by side, each with its output, metrics, cost and a word diff', async () => {
      await open(twoProviders.url, { width: 1360, height: 2000 });
      await openItem('gpt-4o-mini');
      const plan: [string, string][] = [];
      for (const provider of ['alpha', 'beta']) for (const model of ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini']) plan.push([provider, model]);
      for (const [index, [provider, model]] of plan.entries()) {
        if (index > 0) await page.click('#add-variant');
        await setVariant(provider, model);
      }
      expect(await page.isDisabled('#add-variant')).toBe(true);
      expect(await page.locator('.variant-tab').count()).toBe(6);
      // The last variant asks about the evening: its diff marks the changed word.
      await page.getByLabel('Content of message 1').fill(QUESTION.replace('morning', 'evening'));
      const [alphaBefore, betaBefore] = [alpha.requests.length, beta.requests.length];
      await page.click('#run-button');

      // All six stream at the same time: every column holds part of its answer while all are still open.
      await page.waitForFunction(() => {
        const outputs = [...document.querySelectorAll('.variant-output')];
        return outputs.length === 6 && outputs.every((o) => o.getAttribute('aria-busy') === 'true' && o.textContent?.startsWith('Fake'));
      });
      await page.waitForFunction(() => document.querySelectorAll('.variant-stored').length === 6, null, { timeout: 30_000 });
      await expect.poll(() => page.textContent('#run-status')).toBe('Done. The 6 re-runs are stored as new generations.');
      // They run at once, so each provider gets its three models in whatever order the calls arrive.
      const models = (requests: { body: { model?: unknown } }[]) => requests.map((r) => r.body.model).sort();
      expect(models(alpha.requests.slice(alphaBefore))).toEqual(['gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini']);
      expect(models(beta.requests.slice(betaBefore))).toEqual(['gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini']);

      const columns = page.locator('.variant-column');
      expect(await columns.count()).toBe(6);
      for (const [index, [provider, model]] of plan.entries()) {
        const column = columns.nth(index);
        expect(await column.locator('h4').textContent()).toContain(`Variant ${index + 1}`);
        expect(await column.locator('.muted').first().textContent()).toContain(`${model} · ${provider}`);
        const expected = index === 5 ? REPLY.replace('morning', 'evening') : REPLY;
        expect(await column.locator('.variant-stored').textContent()).toBe(`assistant${expected}`);
        for (const metric of ['Tokens', 'Time to first token', 'Duration', 'Throughput', 'Cost']) {
          expect(await column.locator('.metric dt', { hasText: metric }).count(), metric).toBeGreaterThan(0);
        }
        expect(await column.locator('.metric-cost dd').textContent()).toMatch(/^\$/);
        // The diff holds the output's words, and the original's deleted ones beside them.
        if (index < 5) expect(await column.locator('.word-diff').textContent()).toBe(expected);
      }
      // The diff: unchanged outputs mark nothing; the evening one marks the deleted and the inserted word, as text.
      expect(await columns.nth(0).locator('.word-diff-box h5').textContent()).toBe('Against the original: the same words');
      expect(await columns.nth(0).locator('.word-diff ins, .word-diff del').count()).toBe(0);
      const changed = columns.nth(5);
      expect(await changed.locator('.word-diff del.diff-deleted').allTextContents()).toEqual(['morning']);
      expect(await changed.locator('.word-diff ins.diff-inserted').allTextContents()).toEqual(['evening']);
      expect(await changed.locator('.word-diff-box h5').textContent()).toBe('Against the original: 1 word inserted, 1 deleted');

      // Side by side: the recorded answer and the first variants share a row.
      const recorded = (await page.locator('.variants-grid > .compare-column').first().boundingBox())!;
      const first = (await columns.nth(0).boundingBox())!;
      expect(first.x).toBeGreaterThan(recorded.x + recorded.width - 1);
      expect(Math.abs(first.y - recorded.y)).toBeLessThan(5);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    });

    it('edits the tools and the response format and runs with Ctrl+Enter; invalid tools are reported, not sent', async () => {
      await open(twoProviders.url);
      await openItem('gpt-4o-mini');
      const before = alpha.requests.length;
      await page.fill('#edit-tools', '{ not json');
      await page.focus('#edit-model');
      await page.keyboard.press('Control+Enter');
      expect(await page.textContent('#run-status')).toMatch(/^Tools: /);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('edit-tools');
      expect(await page.getAttribute('#edit-tools', 'aria-invalid')).toBe('true');
      expect(alpha.requests.length).toBe(before);

      await page.fill('#edit-tools', JSON.stringify(TOOLS));
      await page.fill('#edit-response-format', JSON.stringify(SCHEMA));
      await page.focus('#edit-response-format');
      await page.keyboard.press('Control+Enter');
      await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
      const sent = alpha.requests.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0].body.tools).toEqual(TOOLS);
      expect(sent[0].body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema: SCHEMA } });
      // With tools and a user message last, the fake calls the first tool.
      expect(await page.locator('#variant-1-stored .tool-call code').textContent()).toBe('lookup');
    });

    it('keeps edits per generation across navigation until restored, and reaches the variants by keyboard', async () => {
      await open(twoProviders.url);
      await openItem('gpt-4o-mini');
      await page.fill('#edit-model', 'gpt-4o');
      // By keyboard: Add variant copies the shown variant and moves focus to its model.
      await page.focus('#add-variant');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('edit-model');
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('gpt-4.1-mini');
      await page.fill('#edit-response-format', JSON.stringify(SCHEMA));

      await openItem('fake-translate');
      expect(await page.locator('.variant-tab').count()).toBe(1);
      await openItem('gpt-4o-mini');
      expect(await page.textContent('#run-status')).toBe(
        'Your edits to this generation were kept from your last visit. Restore original discards them.',
      );
      expect(await page.locator('.variant-tab').allTextContents()).toEqual(['Variant 1 gpt-4o · alpha', 'Variant 2 gpt-4.1-mini · alpha']);
      expect(await page.inputValue('#edit-model')).toBe('gpt-4.1-mini');
      expect(JSON.parse(await page.inputValue('#edit-response-format'))).toEqual(SCHEMA);
      await page.locator('.variant-tab').first().focus();
      await page.keyboard.press('Enter');
      expect(await page.inputValue('#edit-model')).toBe('gpt-4o');
      expect(await page.locator('.variant-tab').first().getAttribute('aria-pressed')).toBe('true');

      await page.getByRole('button', { name: 'Restore original' }).click();
      expect(await focusedName()).toBe('Restore original');
      expect(await page.locator('.variant-tab').count()).toBe(1);
      expect(await page.inputValue('#edit-model')).toBe('gpt-4o-mini');
      await openItem('fake-translate');
      await openItem('gpt-4o-mini');
      expect(await page.inputValue('#edit-model')).toBe('gpt-4o-mini');
      expect(await page.textContent('#run-status')).toBe('');
    });

    it('stacks the variant columns on a narrow window', async () => {
      await open(twoProviders.url, { width: 390, height: 844 });
      await openItem('gpt-4o-mini');
      await page.click('#add-variant');
      await setVariant('beta', 'gpt-4o');
      await page.click('#run-button');
      await page.waitForSelector('#variant-2-stored', { timeout: 30_000 });
      await page.waitForSelector('#variant-1-stored', { timeout: 30_000 });
      const one = (await page.locator('#variant-1-column').boundingBox())!;
      const two = (await page.locator('#variant-2-column').boundingBox())!;
      expect(Math.abs(one.x - two.x)).toBeLessThan(2);
      expect(two.y).toBeGreaterThan(one.y + one.height - 1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    });
  });
});
