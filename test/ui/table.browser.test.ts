import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationList } from '../../src/generation/rest.js';
import { type CliServer, startCliServer } from '../support/cli.js';
import { markupCompletion, seedServer, tableSeeds, tempDir, XSS_IMG, XSS_SCRIPT } from '../support/playground-seeds.js';

/**
 * The generation list's table view in real headless Chromium against a real `genspan serve` (SQLite in a temp dir):
 * columns, sorting by each sortable column, filters kept in the URL, suggestions, jumping pages, keyboard use and a
 * narrow window.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS_SCREENSHOT = resolve(ROOT, 'docs/table.png');
const UPDATE_SCREENSHOT = process.env.GENSPAN_UPDATE_SCREENSHOT === '1';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
];
/** 130 generations: three table pages of 50, 50 and 30, plus one whose prompt is markup. */
const SEEDS = [
  ...tableSeeds(130, Date.parse('2026-04-01T00:00:00Z') / 1000),
  { generation: markupCompletion(), startSeconds: Date.parse('2026-03-01T00:00:00Z') / 1000, serviceName: 'markup-app' },
];
const TOTAL = SEEDS.length;

describe('the generation table in headless Chromium', () => {
  const dir = tempDir('genspan-table-');
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    if (!existsSync(resolve(ROOT, 'dist/src/ui/app.js'))) throw new Error('dist/ is missing: run `npm run build` before these tests.');
    server = await startCliServer(['--db', dir.file('table.db')]);
    await seedServer(server.url, SEEDS);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    dir.remove();
  });

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await context?.close();
  });

  async function open(path = '/', viewport = { width: 1360, height: 900 }): Promise<Page> {
    context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}${path}`);
    await settled();
    return page;
  }

  /** Waits until the list shows a result (not "Loading…"), and answers it. */
  async function settled(): Promise<string> {
    await page.waitForFunction(() => {
      const text = document.getElementById('list-status')?.textContent ?? '';
      return text !== '' && text !== 'Loading…' && document.getElementById('table-slot')?.getAttribute('aria-busy') !== 'true';
    });
    return (await page.textContent('#list-status')) ?? '';
  }

  /** Runs `action`, then waits for the table it asks for to be on show (the one on show before is marked stale). */
  async function andSettle(action: () => Promise<unknown>): Promise<string> {
    await page.evaluate(() => document.querySelector<HTMLElement>('#table-slot > *')?.setAttribute('data-stale', ''));
    await action();
    await page.waitForFunction(() => document.querySelector('#table-slot > *') && !document.querySelector('#table-slot > [data-stale]'));
    return settled();
  }

  /** A column's cells, as shown, on the page on show. */
  function column(name: string): Promise<string[]> {
    return page.locator(`#generation-table tbody td.col-${name}`).allTextContents();
  }

  /** The ids of the rows on show. */
  function rowIds(): Promise<string[]> {
    return page.locator('#generation-table tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id ?? ''));
  }

  /** Every generation through the API, in one order, to compare the table against. */
  async function apiOrder(query: string): Promise<GenerationList['items']> {
    const response = await fetch(`${server.url}/api/generations?limit=500&${query}`);
    return ((await response.json()) as GenerationList).items;
  }

  async function showTable(): Promise<void> {
    await andSettle(() => page.click('#view-table'));
  }

  it('shows a dense table with every column, the total, data inserted as text; the choice is remembered', async () => {
    await open();
    expect(await page.getAttribute('#view-cards', 'aria-pressed')).toBe('true');
    await showTable();
    expect(await page.getAttribute('#view-table', 'aria-pressed')).toBe('true');
    expect(await page.isHidden('#generation-list')).toBe(true);
    expect(await page.locator('#generation-table thead th').allTextContents()).toEqual([
      'Time',
      'Model',
      'Provider',
      'Service',
      'Prompt',
      'Tokens (in / out)',
      'Duration',
      'First token',
      'Cost',
      'Error',
    ]);
    expect(await settled()).toBe(`${TOTAL} generations · page 1 of 3`);
    expect(await page.locator('#generation-table tbody tr').count()).toBe(50);
    const newest = (await apiOrder('')).slice(0, 50);
    expect(await rowIds()).toEqual(newest.map((item) => item.id));
    // The newest seed is index 129: claude-3-5-sonnet of anthropic, search-app, no token counts (so no cost), 7.5 s.
    const first = page.locator('#generation-table tbody tr').first();
    expect(await first.locator('td').allTextContents()).toEqual([
      expect.stringContaining('2026'),
      'claude-3-5-sonnet',
      'anthropic',
      'search-app',
      'table question 129',
      '—',
      '7.5 s',
      '229 ms',
      '—',
      '',
    ]);
    // Index 128: gpt-4o of openai, 46 input and 13 output tokens, priced; index 125 failed.
    const second = page.locator('#generation-table tbody tr').nth(1);
    expect(await second.locator('td.col-tokens').textContent()).toBe('46 / 13');
    expect(await second.locator('td.col-cost').textContent()).toMatch(/^\$/);
    expect(await page.locator('#generation-table tbody tr').nth(4).locator('td.col-error').textContent()).toBe('Error');
    expect(await page.getAttribute('#generation-table tbody tr:first-child time', 'datetime')).toBe(newest[0].startTime);
    // A seed without token counts, and one that did not fail.
    expect(await column('tokens')).toContain('—');
    expect(await column('error')).toContain('');

    // The markup seed is the oldest: on the last page, as text.
    await andSettle(() => page.click('.pager button[data-focus-key="last"]'));
    const prompts = await column('prompt');
    expect(prompts.at(-1)).toContain(XSS_SCRIPT.slice(0, 20));
    expect(await page.locator('#generation-table img, #generation-table script').count()).toBe(0);
    expect(await page.textContent('#generation-table tbody tr:last-child .col-prompt')).toContain(XSS_IMG.slice(0, 10));

    // A new tab opens the table again: the choice is kept in this browser.
    const again = await context.newPage();
    await again.goto(`${server.url}/`);
    await again.waitForSelector('#generation-table tbody tr');
    expect(await again.getAttribute('#view-table', 'aria-pressed')).toBe('true');
    await again.close();
  });

  it('sorts by each sortable column from its header, both ways, as the API orders it', async () => {
    await open('/?view=table');
    const header = (name: string) => page.locator(`#generation-table thead th.col-${name}`);
    for (const [name, sort] of [
      ['duration', 'duration'],
      ['tokens', 'tokens'],
      ['cost', 'cost'],
    ] as const) {
      await andSettle(() => header(name).locator('button').click());
      expect(await header(name).getAttribute('aria-sort')).toBe('descending');
      expect(new URL(page.url()).searchParams.get('sort')).toBe(`${sort}_desc`);
      expect(await rowIds()).toEqual((await apiOrder(`sort=${sort}_desc`)).slice(0, 50).map((item) => item.id));
      await andSettle(() => header(name).locator('button').click());
      expect(await header(name).getAttribute('aria-sort')).toBe('ascending');
      expect(await page.inputValue('#filter-sort')).toBe(`${sort}_asc`);
      expect(await rowIds()).toEqual((await apiOrder(`sort=${sort}_asc`)).slice(0, 50).map((item) => item.id));
      expect(await header('time').getAttribute('aria-sort')).toBe('none');
    }
    // Durations on show really descend: the table shows what it sorted by.
    await andSettle(() => header('duration').locator('button').click());
    const durations = (await column('duration')).map((text) => Number.parseFloat(text));
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    await andSettle(() => header('time').locator('button').click());
    expect(await header('time').getAttribute('aria-sort')).toBe('descending');
    expect(new URL(page.url()).searchParams.has('sort')).toBe(false);
    expect(await rowIds()).toEqual((await apiOrder('')).slice(0, 50).map((item) => item.id));
  });

  it('keeps filters, sort, view and page in the URL: a reload, a shared link and back and forward show the same list', async () => {
    await open('/?view=table');
    await page.fill('#filter-model', 'GPT-4O');
    await page.check('#filter-error');
    await page.selectOption('#filter-sort', 'tokens_desc');
    await andSettle(() => page.click('#filters button[type="submit"]'));
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ model: 'GPT-4O', error: 'true', sort: 'tokens_desc', view: 'table' });
    const expected = (await apiOrder('model=GPT-4O&error=true&sort=tokens_desc')).map((item) => item.id);
    expect(expected.length).toBeGreaterThan(2);
    expect(await rowIds()).toEqual(expected);
    expect(await page.textContent('#filters-summary')).toBe('Filters (2 active)');

    await page.reload();
    await page.waitForSelector('#generation-table tbody tr');
    await settled();
    expect(await rowIds()).toEqual(expected);
    expect(await page.inputValue('#filter-model')).toBe('GPT-4O');
    expect(await page.isChecked('#filter-error')).toBe(true);
    expect(await page.inputValue('#filter-sort')).toBe('tokens_desc');

    // A shared link, in a browser that never chose a view: the same list, as a table.
    const shared = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const other = await shared.newPage();
    await other.goto(url.href);
    await other.waitForSelector('#generation-table tbody tr');
    expect(
      await other.locator('#generation-table tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id)),
    ).toEqual(expected);
    await shared.close();

    // Back undoes the filter, forward brings it back.
    await andSettle(() => page.goBack());
    expect(new URL(page.url()).search).toBe('?view=table');
    expect(await rowIds()).toEqual((await apiOrder('')).slice(0, 50).map((item) => item.id));
    expect(await page.inputValue('#filter-model')).toBe('');
    await andSettle(() => page.goForward());
    expect(await rowIds()).toEqual(expected);
    expect(await page.inputValue('#filter-model')).toBe('GPT-4O');

    // The filters fold away and stay in force.
    await page.click('#filters-summary');
    expect(await page.isVisible('#filter-model')).toBe(false);
    expect(await rowIds()).toEqual(expected);
  });

  it('suggests models, providers, services and tags from the facets, with their counts, under the other filters', async () => {
    await open('/?view=table&service=chat-app');
    /** The suggestions offered under a field once it has the focus, as "value: count". */
    const options = async (field: string) => {
      await page.focus(`#filter-${field}`);
      const listbox = page.locator(`#filter-${field} + [role="listbox"]`);
      await listbox.locator('[role="option"]').first().waitFor();
      const values = await listbox.locator('.suggestion-value').allTextContents();
      const counts = await listbox.locator('.suggestion-count').allTextContents();
      await page.keyboard.press('Escape');
      expect(await listbox.isHidden()).toBe(true);
      return values.map((value, index) => `${value}: ${counts[index]}`);
    };
    // chat-app holds the even seeds (65): gpt-4o and mistral-large by turns, all tagged team-red.
    expect(await options('model')).toEqual(['gpt-4o: 33', 'mistral-large: 32']);
    expect(await options('provider')).toEqual(['openai: 33', 'mistral: 32']);
    expect(await options('tag')).toEqual(['team-red: 65']);
    // The service's own filter is left out, so its alternatives show.
    expect(await options('service')).toEqual(['chat-app: 65', 'search-app: 65', 'markup-app: 1']);
    // Chosen from the list with the keyboard, then applied with Enter.
    await page.focus('#filter-model');
    await page.keyboard.type('MIST');
    expect(await page.locator('#filter-model + [role="listbox"] .suggestion-value').allTextContents()).toEqual(['mistral-large']);
    await page.keyboard.press('ArrowDown');
    expect(await page.getAttribute('#filter-model', 'aria-activedescendant')).toBeTruthy();
    await page.keyboard.press('Enter');
    expect(await page.inputValue('#filter-model')).toBe('mistral-large');
    expect(new URL(page.url()).searchParams.has('model')).toBe(false);
    await andSettle(() => page.keyboard.press('Enter'));
    expect(new URL(page.url()).searchParams.get('model')).toBe('mistral-large');
    expect(new Set(await column('model'))).toEqual(new Set(['mistral-large']));
  });

  it('jumps to any page: numbers, first, previous, next, last and go to page, each page once and in order', async () => {
    await open('/?view=table');
    const all = (await apiOrder('')).map((item) => item.id);
    const pageOf = (n: number) => all.slice((n - 1) * 50, n * 50);
    await andSettle(() => page.click('.pager button[data-focus-key="page-3"]'));
    expect(await rowIds()).toEqual(pageOf(3));
    expect(await settled()).toBe(`${TOTAL} generations · page 3 of 3`);
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');
    expect(await page.isDisabled('.pager button[data-focus-key="next"]')).toBe(true);
    await andSettle(() => page.click('.pager button[data-focus-key="previous"]'));
    expect(await rowIds()).toEqual(pageOf(2));
    await andSettle(() => page.click('.pager button[data-focus-key="first"]'));
    expect(await rowIds()).toEqual(pageOf(1));
    expect(await page.isDisabled('.pager button[data-focus-key="previous"]')).toBe(true);
    await page.fill('#pager-go-input', '2');
    await andSettle(() => page.press('#pager-go-input', 'Enter'));
    expect(await rowIds()).toEqual(pageOf(2));
    await andSettle(() => page.click('.pager button[data-focus-key="last"]'));
    expect(await rowIds()).toEqual(pageOf(3));

    // A link straight to a page walks there; one past the end shows the last page, and the URL says so.
    await andSettle(() => page.goto(`${server.url}/?view=table&page=2&sort=duration_asc`));
    expect(await rowIds()).toEqual((await apiOrder('sort=duration_asc')).slice(50, 100).map((item) => item.id));
    await andSettle(() => page.goto(`${server.url}/?view=table&page=9`));
    expect(await rowIds()).toEqual(pageOf(3));
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');
  });

  it('works from the keyboard: view toggle, sort headers, rows and the pager keep focus where it was', async () => {
    await open();
    await page.focus('#view-table');
    await andSettle(() => page.keyboard.press('Enter'));
    expect(await page.getAttribute('#view-table', 'aria-pressed')).toBe('true');
    await page.focus('#generation-table thead th.col-duration button');
    await andSettle(() => page.keyboard.press('Enter'));
    expect(new URL(page.url()).searchParams.get('sort')).toBe('duration_desc');
    // The re-drawn table's header has the focus again, so a second Enter reverses the order.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.focusKey)).toBe('sort-duration');
    await andSettle(() => page.keyboard.press('Enter'));
    expect(new URL(page.url()).searchParams.get('sort')).toBe('duration_asc');
    await page.focus('.pager button[data-focus-key="next"]');
    await andSettle(() => page.keyboard.press('Enter'));
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.focusKey)).toBe('next');
    // Tab from the pager's Next reaches Last, then the go-to field.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.focusKey)).toBe('last');
    // A row opens with Enter; "All generations" brings the same table page back.
    const id = (await rowIds())[0];
    await page.focus('#generation-table tbody tr:first-child .col-prompt a');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#generation-title');
    expect(await page.isHidden('#table-slot')).toBe(true);
    expect(new URL(page.url()).hash).toBe(`#/g/${id}`);
    await page.click('.back a');
    await page.waitForSelector('#generation-table tbody tr');
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    expect((await rowIds())[0]).toBe(id);
  });

  it('keeps working in a narrow window: the table scrolls in its box, never the page, and the pager wraps', async () => {
    await open('/?view=table', { width: 380, height: 800 });
    expect(await page.locator('#generation-table tbody tr').count()).toBe(50);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // The columns a row is told by stay; provider, service and first token give way.
    expect(await page.isVisible('#generation-table tbody tr:first-child .col-prompt a')).toBe(true);
    expect(await page.isVisible('#generation-table tbody tr:first-child .col-service')).toBe(false);
    await page.click('#filters-summary');
    await andSettle(() => page.click('.pager button[data-focus-key="next"]'));
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    const pagerBox = await page.locator('.pager').boundingBox();
    expect((pagerBox?.x ?? 0) + (pagerBox?.width ?? 0)).toBeLessThanOrEqual(380);
  });

  it('pictures the table for the docs', async () => {
    await open('/?view=table&sort=cost_desc', { width: 1280, height: 760 });
    if (UPDATE_SCREENSHOT || !existsSync(DOCS_SCREENSHOT)) await page.screenshot({ path: DOCS_SCREENSHOT });
    expect(existsSync(DOCS_SCREENSHOT)).toBe(true);
  });
});
