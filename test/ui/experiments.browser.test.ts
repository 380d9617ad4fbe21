import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { summarizeColumn } from '../../src/generation/experiment-summary.js';
import { ChatGeneration } from '../../src/generation/index.js';
import type { ExperimentCell, ExperimentDetail, PlaygroundConfig } from '../../src/generation/rest.js';
import { type CliServer, startCliServer } from '../support/cli.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { type Seed, seedServer, tempDir } from '../support/playground-seeds.js';

/**
 * The experiments' pages in real headless Chromium, against a real `genspan serve` (SQLite in a temp dir) with two
 * fake OpenAI-compatible providers on 127.0.0.1: a fast one, and a slow one to cancel.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The picture of the experiment view in the docs, rewritten only when asked: its pixels depend on the machine's fonts. */
const DOCS_SCREENSHOT = resolve(ROOT, 'docs/experiment.png');
const UPDATE_SCREENSHOT = process.env.GENSPAN_UPDATE_SCREENSHOT === '1';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-partial-raster',
  '--num-raster-threads=1',
];
const MODEL = 'support-bot';
const at = (iso: string) => Date.parse(iso) / 1000;

function chat(question: string, answer: string, extra: ConstructorParameters<typeof ChatGeneration>[0] = {}): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: MODEL,
    messages: [{ role: 'user', content: question }],
    messageCompletion: { role: 'assistant', content: answer },
    inputTokenCount: question.split(' ').length,
    outputTokenCount: answer.split(' ').length,
    ...extra,
  });
}

const LONG_ANSWER = ['Step one: open the settings.', 'Step two: choose Billing.', 'Step three: press Export.', 'Step four: wait.'].join(
  '\n',
);
const SEEDS: Seed[] = [
  // Answered just as the fake provider answers it: identical to the original.
  {
    generation: chat('Where is my order', 'Fake reply to: Where is my order'),
    startSeconds: at('2026-04-01T10:00:00Z'),
    serviceName: 'support',
  },
  {
    generation: chat('How do I reset my password', 'Use the link on the sign-in page.'),
    startSeconds: at('2026-04-01T10:01:00Z'),
    serviceName: 'support',
  },
  { generation: chat('How do I export my invoices', LONG_ANSWER), startSeconds: at('2026-04-01T10:02:00Z'), serviceName: 'support' },
  // An unanswered tool call: no variant can run it, so each gets an error.
  {
    generation: new ChatGeneration({
      provider: 'openai',
      model: MODEL,
      messages: [
        { role: 'user', content: 'What is the weather' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
      ],
      messageCompletion: { role: 'assistant', content: 'Sunny.' },
    }),
    startSeconds: at('2026-04-01T10:03:00Z'),
    serviceName: 'support',
  },
  // Not this model: the filter leaves it out.
  {
    generation: chat('Unrelated', 'Other model', { model: 'other-model' }),
    startSeconds: at('2026-04-01T10:04:00Z'),
    serviceName: 'other',
  },
];
const SOURCE_COUNT = 4;

type Json = Record<string, unknown>;

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value).toLocaleString('en-US')} ms`);

describe('Experiments in headless Chromium', () => {
  const dir = tempDir('genspan-experiments-');
  let fast: FakeOpenAI;
  let slow: FakeOpenAI;
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  /** The experiment the first test starts from the page, for the tests after it. */
  let experimentId = '';

  beforeAll(async () => {
    [fast, slow] = await Promise.all([startFakeOpenAI({ chunkDelayMs: 1 }), startFakeOpenAI({ chunkDelayMs: 5000 })]);
    server = await startCliServer([
      '--db',
      dir.file('experiments.db'),
      '--provider',
      `fast=${fast.baseURL}`,
      '--provider',
      `slow=${slow.baseURL}`,
    ]);
    await seedServer(server.url, SEEDS);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all([fast?.close(), slow?.close()]);
    dir.remove();
  });

  async function open(hash = '', viewport = { width: 1360, height: 900 }, steady = false): Promise<Page> {
    context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    if (steady) {
      await page.route('**/api/experiments/*', steadyExperiment);
      // The fake providers' ports differ between runs.
      await page.route('**/api/playground/config', async (route) => {
        const response = await route.fetch();
        const config = (await response.json()) as PlaygroundConfig;
        const url = 'http://127.0.0.1:8080/v1';
        return route.fulfill({
          response,
          json: { ...config, provider: { ...config.provider, url }, providers: config.providers.map((provider) => ({ ...provider, url })) },
        });
      });
    }
    await page.goto(`${server.url}/${hash}`);
    return page;
  }

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    await context?.close();
  });

  async function api(id: string): Promise<ExperimentDetail> {
    return (await (await fetch(`${server.url}/api/experiments/${id}`)).json()) as ExperimentDetail;
  }

  async function shownSources(): Promise<string[]> {
    return page.locator('.experiment-table tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-source') ?? ''));
  }

  async function waitForStatus(status: string): Promise<void> {
    await page.waitForSelector(`.experiment-progress .status-${status}`, { timeout: 30_000 });
  }

  it('starts an experiment from the list filters with two variants, watches it finish, and totals as the API does', async () => {
    await open();
    await page.waitForFunction(() => /generation/.test(document.getElementById('list-status')?.textContent ?? ''));
    await page.fill('#filter-model', MODEL);
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('list-status')?.textContent === '4 generations');
    await page.click('#replay-these');
    await page.waitForSelector('.new-experiment');
    expect(await page.textContent('.source-filter')).toBe(`model: ${MODEL}`);
    expect(await page.locator('.variant-fields select[name="provider"] option').allTextContents()).toEqual(['fast', 'slow']);
    await page.fill('.new-experiment input[name="name"]', 'mini vs 4o');
    await page.locator('.variant-fields').nth(0).locator('input[name="model"]').fill('gpt-4o-mini');
    await page.click('.add-variant');
    const second = page.locator('.variant-fields').nth(1);
    expect(await second.locator('legend').textContent()).toBe('Variant 2');
    await second.locator('input[name="model"]').fill('gpt-4o');
    // Invalid JSON is reported and not sent.
    await second.locator('textarea[name="settings"]').fill('{temperature: 0}');
    await page.click('.new-experiment button[type="submit"]');
    expect(await page.textContent('.new-experiment .error-box')).toBe("Variant 2's settings is not valid JSON.");
    await second.locator('textarea[name="settings"]').fill('{"temperature": 0}');
    await second.locator('textarea[name="responseFormat"]').fill('{"type": "object", "properties": {"answer": {"type": "string"}}}');
    await page.click('.new-experiment button[type="submit"]');

    await page.waitForFunction(() => /^#\/experiments\/[^/]+$/.test(location.hash) && !location.hash.endsWith('/new'));
    experimentId = decodeURIComponent(await page.evaluate(() => location.hash.slice('#/experiments/'.length)));
    await waitForStatus('finished');
    expect(await page.textContent('#experiment-title')).toBe('mini vs 4o');
    expect(await page.textContent('.progress-text')).toBe(`${SOURCE_COUNT * 2} of ${SOURCE_COUNT * 2} done, 2 errors`);
    expect(await page.locator('.cancel-experiment').count()).toBe(0);
    expect(await page.locator('.column-head').allTextContents()).toEqual([
      'Original',
      'Variant 1: gpt-4o-mini · fast',
      'Variant 2: gpt-4o · fast',
    ]);
    expect(await page.textContent('.row-count')).toBe(`${SOURCE_COUNT} of ${SOURCE_COUNT} source generations`);

    const detail = await api(experimentId);
    expect(detail.experiment.status).toBe('finished');
    const columns = [detail.original, ...detail.variants];
    const total = (key: string, column: number) =>
      page.textContent(`tfoot tr[data-total="${key}"] td[data-column="${column}"] .total-value`);
    for (const [index, column] of columns.entries()) {
      expect(await total('results', index - 1)).toBe(String(column.results));
      const mean = column.tokens.mean?.toLocaleString('en-US', { maximumFractionDigits: 1 }) ?? '—';
      expect(await total('tokens', index - 1)).toBe(`${column.tokens.total.toLocaleString('en-US')} / ${mean}`);
      expect(await total('latency', index - 1)).toBe(`${ms(column.latencyMs.p50)} / ${ms(column.latencyMs.p95)}`);
    }
    expect(detail.variants[0].errors).toBe(1);
    expect(await total('errors', 0)).toBe('25% (1)');
    // One source of four answered just as the fake does; the error and the others differ.
    expect(await total('identical', 0)).toBe('25%');
    expect(await total('identical', -1)).toBe('—');
    expect(await total('json', 0)).toBe('—');
    expect(await total('json', 1)).toBe('0%');
    // gpt-4o-mini is priced: its cost totals show in dollars.
    expect(detail.variants[0].cost.total).toBeGreaterThan(0);
    expect(await total('cost', 0)).toMatch(/^\$0\.0\d+ \/ \$0\.0\d+$/);
  });

  it('sorts and filters the rows, folds long outputs, and opens a cell’s generation', async () => {
    await open(`#/experiments/${encodeURIComponent(experimentId)}`);
    await waitForStatus('finished');
    const detail = await api(experimentId);
    expect(await shownSources()).toEqual(detail.rows.map((row) => row.sourceId));

    await page.getByLabel('Sort rows by').selectOption({ label: 'Variant 1 latency' });
    await page.getByLabel('Order').selectOption({ label: 'Highest first' });
    const byLatency = [...detail.rows].sort((a, b) => {
      const x = a.results[0]?.latencyMs ?? null;
      const y = b.results[0]?.latencyMs ?? null;
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return y - x;
    });
    expect(await shownSources()).toEqual(byLatency.map((row) => row.sourceId));
    await page.getByLabel('Sort rows by').selectOption({ label: 'Original tokens' });
    await page.getByLabel('Order').selectOption({ label: 'Lowest first' });
    const tokens = await page
      .locator('.experiment-table tbody td[data-column="-1"] .metric-tokens')
      .allTextContents()
      .then((texts) => texts.map((text) => Number.parseInt(text, 10)));
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));

    await page.locator('.experiment-controls').getByLabel('Errors only').check();
    const failed = detail.rows.filter((row) => row.results.some((cell) => cell?.error));
    expect(failed).toHaveLength(1);
    expect(await shownSources()).toEqual([failed[0].sourceId]);
    expect(await page.textContent('.experiment-table tbody .cell-error-text')).toMatch(/^Tool call c1 has no tool result/);
    expect(await page.textContent('.row-count')).toBe(`1 of ${SOURCE_COUNT} source generations`);
    // The totals are those of the rows shown.
    expect(await page.textContent('tfoot tr[data-total="results"] td[data-column="0"] .total-value')).toBe('1');
    await page.locator('.experiment-controls').getByLabel('Errors only').uncheck();
    await page.getByLabel('Differs from original').check();
    const same = detail.rows.find((row) => row.original?.output === 'Fake reply to: Where is my order');
    expect(same).toBeDefined();
    expect(await shownSources()).not.toContain(same!.sourceId);
    expect(await shownSources()).toHaveLength(SOURCE_COUNT - 1);
    await page.getByLabel('Differs from original').uncheck();

    // The long original is folded, and shown whole on demand.
    const folded = page.locator('.cell-output.folded');
    expect(await folded.count()).toBe(1);
    expect(await folded.textContent()).toBe(LONG_ANSWER);
    const toggle = page.locator('.fold-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('.cell-output.folded').count()).toBe(0);

    const link = page.locator('.experiment-table tbody td[data-column="1"] .open-generation').first();
    const href = (await link.getAttribute('href'))!;
    await link.click();
    await page.waitForSelector('#generation-title');
    expect(await page.evaluate(() => location.hash)).toBe(href);
    expect(await page.textContent('#generation-title')).toContain('gpt-4o');
    expect(await page.isHidden('#experiments')).toBe(true);
  });

  it('lists experiments with status, progress and creation time', async () => {
    await open('#/experiments');
    await page.waitForSelector('.experiment-list');
    const row = page.locator(`.experiment-list tr[data-id="${experimentId}"]`);
    expect(await row.locator('td').allTextContents()).toEqual([
      'mini vs 4o',
      'finished',
      '8 of 8 done, 2 errors',
      expect.stringMatching(/2026|20\d\d/),
    ]);
    await row.locator('a').click();
    await waitForStatus('finished');
  });

  it('shows a slow experiment running, cancels it, and stops polling once it is settled', async () => {
    const response = await fetch(`${server.url}/api/experiments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'slow one', source: { filter: { model: MODEL } }, variants: [{ provider: 'slow', model: 'gpt-4o' }] }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as Json;
    await open(`#/experiments/${encodeURIComponent(String(id))}`);
    await waitForStatus('running');
    const polls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(`/api/experiments/${String(id)}`)) polls.push(request.url());
    });
    // It is read again while it runs.
    await expect.poll(() => polls.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('.experiment-table tbody .cell-pending').count()).toBeGreaterThan(0);
    await page.click('.cancel-experiment');
    await waitForStatus('cancelled');
    expect(await page.locator('.cancel-experiment').count()).toBe(0);
    expect((await api(String(id))).experiment.status).toBe('cancelled');
  });

  it('works from the keyboard', async () => {
    await open();
    await page.waitForFunction(() => /generation/.test(document.getElementById('list-status')?.textContent ?? ''));
    await page.focus('#replay-these');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.new-experiment');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('new-experiment-title');

    await page.evaluate((id) => {
      location.hash = `#/experiments/${encodeURIComponent(id)}`;
    }, experimentId);
    await waitForStatus('finished');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('experiment-title');
    await page.getByLabel('Sort rows by').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.getByLabel('Sort rows by').inputValue()).toBe('-1:latencyMs');
    await page.locator('.experiment-controls').getByLabel('Errors only').focus();
    await page.keyboard.press('Space');
    expect(await shownSources()).toHaveLength(1);
    await page.keyboard.press('Space');
    await page.locator('.fold-toggle').focus();
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('.fold-toggle', 'aria-expanded')).toBe('true');
    // The table's box takes focus, so its sideways scroll works from the keyboard.
    expect(await page.getAttribute('.experiment-table-box', 'tabindex')).toBe('0');
  });

  it('fits a 390 px window: no sideways page scroll, the table scrolls inside its box', async () => {
    await open(`#/experiments/${encodeURIComponent(experimentId)}`, { width: 390, height: 800 });
    await waitForStatus('finished');
    const sizes = await page.evaluate(() => {
      const box = document.querySelector('.experiment-table-box') as HTMLElement;
      return { page: document.documentElement.scrollWidth, view: window.innerWidth, box: box.scrollWidth, boxView: box.clientWidth };
    });
    expect(sizes.page).toBeLessThanOrEqual(sizes.view);
    expect(sizes.box).toBeGreaterThan(sizes.boxView);
  });

  /** The experiment's answer with the clock, ids and latencies fixed, and the totals summed again from them. */
  async function steadyExperiment(route: Parameters<Parameters<Page['route']>[1]>[0]): Promise<void> {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const detail = (await response.json()) as ExperimentDetail;
    detail.experiment.createdTime = '2026-04-02T09:00:00.000Z';
    const fix = (cell: ExperimentCell | null, row: number, column: number) => {
      if (!cell) return;
      cell.latencyMs = cell.generationId === null ? null : 400 + row * 130 + column * 210;
      if (cell.generationId) cell.generationId = `g-${row}-${column}`;
    };
    for (const [index, row] of detail.rows.entries()) {
      row.sourceId = `source-${index}`;
      fix(row.original, index, 0);
      for (const [column, cell] of row.results.entries()) fix(cell, index, column + 1);
    }
    detail.original = summarizeColumn(detail.rows.flatMap((row) => (row.original ? [row.original] : [])));
    detail.variants = detail.variants.map((column, index) =>
      summarizeColumn(
        detail.rows.map((row) => row.results[index] as ExperimentCell),
        detail.rows.map((row) => row.original),
        column.validJsonShare !== null,
      ),
    );
    return route.fulfill({ response, json: detail });
  }

  it('draws the experiment view for the docs, the same on every run', async () => {
    await open(`#/experiments/${encodeURIComponent(experimentId)}`, { width: 1360, height: 1000 }, true);
    await waitForStatus('finished');
    expect(await page.textContent('.experiment-header time')).toBe(
      new Date('2026-04-02T09:00:00Z').toLocaleString('en-US', { timeZone: 'UTC' }),
    );
    const file = UPDATE_SCREENSHOT ? DOCS_SCREENSHOT : dir.file('experiment.png');
    mkdirSync(dirname(file), { recursive: true });
    await page.mouse.move(0, 0);
    const box = (await page.locator('.experiment-table-box').boundingBox())!;
    const height = Math.ceil(box.y + box.height + 24);
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', clip: { x: 0, y: 0, width: 1360, height } });
    const bytes = readFileSync(file);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(1360);
  });
});
