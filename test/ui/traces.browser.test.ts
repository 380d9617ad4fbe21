import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/generation/step-record.js';
import { type CliServer, startCliServer } from '../support/cli.js';
import { tempDir } from '../support/playground-seeds.js';
import {
  BATCH_TOOL_CALLS,
  DOCS_THREAD,
  FIRST_QUESTION,
  hexId,
  LONG_INPUT,
  LONG_NAME,
  MARKUP_NAME,
  SECOND_QUESTION,
  type SeedBatch,
  SUPPORT_THREAD,
  seedTraceFile,
  supportTraces,
  type TraceSeed,
} from '../support/trace-seeds.js';

/**
 * A generation's trace tree, the Traces view and the Threads view in real headless Chromium, against a real
 * `genspan serve` whose SQLite file was seeded with steps and threads as ingestion writes them.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The picture of the trace view in the docs, rewritten only when asked: its pixels depend on the machine's fonts. */
const DOCS_SCREENSHOT = resolve(ROOT, 'docs/trace.png');
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
const JAEGER = 'http://127.0.0.1:16686';
const TURN_ONE = hexId('turn-one', 32);
const TURN_TWO = hexId('turn-two', 32);
const LONG_DOC = hexId('long-doc', 32);
const BATCH = hexId('batch', 32);
const LONE = hexId('lone', 32);

describe('Traces and threads in headless Chromium', () => {
  const dir = tempDir('genspan-traces-ui-');
  let seeded: SeedBatch;
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    seeded = await seedTraceFile(dir.file('traces.db'), supportTraces());
    server = await startCliServer(['--db', dir.file('traces.db'), '--jaeger-url', JAEGER]);
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

  async function open(hash: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
    context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/${hash}`);
    return page;
  }

  function stepOf(traceId: string, type: string): StepRecord {
    const step = seeded.steps.find((each) => each.traceId === traceId && each.type === type);
    if (!step) throw new Error(`no ${type} step in ${traceId}`);
    return step;
  }

  const treeNames = () => page.locator('.step-tree .step-name').allTextContents();

  it("shows the trace's step tree beside a generation, on one time axis, with the generation's step marked", async () => {
    const llm = stepOf(TURN_ONE, 'llm');
    await open(`#/g/${llm.generationId}`);
    await page.waitForSelector('.trace-slot .step-tree');
    expect(await page.textContent('#generation-title')).toContain('gpt-4o-mini');
    expect(await treeNames()).toEqual(['answer-question', 'search-orders', 'chat gpt-4o-mini']);
    expect(await page.locator('.step-tree .step-type').allTextContents()).toEqual(['run', 'retrieval', 'llm']);
    expect(await page.locator('.step-tree .step-duration').allTextContents()).toEqual(['2.4 s', '500 ms', '1.65 s']);
    expect(await page.locator('.step-item').evaluateAll((items) => items.map((item) => item.getAttribute('aria-level')))).toEqual([
      '1',
      '2',
      '2',
    ]);
    const current = page.locator('.step-item[aria-current="true"]');
    expect(await current.count()).toBe(1);
    expect(await current.getAttribute('data-step-id')).toBe(llm.id);
    // Each bar sits on the trace's axis: search-orders from 100 ms to 600 ms of 2,400.
    const bars = await page.locator('.step-item').evaluateAll((items) =>
      items.map((item) => {
        const track = item.querySelector('.step-track')!.getBoundingClientRect();
        const bar = item.querySelector('.step-bar')!.getBoundingClientRect();
        return [(bar.left - track.left) / track.width, bar.width / track.width];
      }),
    );
    expect(bars[0][0]).toBeCloseTo(0, 2);
    expect(bars[0][1]).toBeCloseTo(1, 2);
    expect(bars[1][0]).toBeCloseTo(100 / 2400, 2);
    expect(bars[1][1]).toBeCloseTo(500 / 2400, 2);
    expect(bars[2][0]).toBeCloseTo(650 / 2400, 2);
    // Beside it, not above it, on a wide window; the Jaeger link and the thread stay at hand.
    const slot = (await page.locator('.trace-slot').boundingBox())!;
    const main = (await page.locator('.generation-main').boundingBox())!;
    expect(slot.x + slot.width).toBeLessThanOrEqual(main.x);
    expect(await page.getAttribute('.generation-main .jaeger-link', 'href')).toBe(`${JAEGER}/trace/${TURN_ONE}`);
    expect(await page.getAttribute('.trace-slot .thread-link', 'href')).toBe(`#/threads/${SUPPORT_THREAD}`);
  });

  it("scrolls a long trace's tree to the generation's step", async () => {
    const llm = stepOf(BATCH, 'llm');
    await open(`#/g/${llm.generationId}`);
    await page.waitForSelector('.trace-slot .step-current');
    expect(await page.locator('.trace-slot .step-item').count()).toBe(BATCH_TOOL_CALLS + 2);
    const [item, box, scrolled] = await page.evaluate(() => {
      const container = document.querySelector('.trace-slot .step-tree-box') as HTMLElement;
      const current = container.querySelector('.step-current') as HTMLElement;
      const rect = (element: Element) => {
        const { top, bottom } = element.getBoundingClientRect();
        return { top, bottom };
      };
      return [rect(current), rect(container), container.scrollTop];
    });
    expect(scrolled).toBeGreaterThan(0);
    expect(item.top).toBeGreaterThanOrEqual(box.top);
    expect(item.bottom).toBeLessThanOrEqual(box.bottom);
  });

  it('shows no tree beside a generation whose trace is only its own step', async () => {
    const llm = stepOf(LONE, 'llm');
    // Opened after a generation with a tree, so the tree must also go when the next one has none.
    await open(`#/g/${stepOf(TURN_ONE, 'llm').generationId}`);
    await page.waitForSelector('.trace-slot .step-tree');
    await page.evaluate((id) => {
      location.hash = `#/g/${id}`;
    }, llm.generationId);
    // The trace's answer was read (the slot is no longer busy) and left the slot hidden.
    await page.waitForSelector(`.trace-slot[data-trace-id="${LONE}"]:not([aria-busy])`, { state: 'attached' });
    expect(await page.textContent('#generation-title')).toContain('gpt-4o-mini');
    expect(await page.locator('.step-tree').count()).toBe(0);
    expect(await page.isHidden('.trace-slot')).toBe(true);
  });

  it('shows a chosen step’s input and output, JSON pretty-printed, and marks the failed step', async () => {
    await open(`#/g/${stepOf(TURN_TWO, 'llm').generationId}`);
    await page.waitForSelector('.trace-slot .step-tree');
    expect(await page.locator('.step-item.step-failed .step-name').allTextContents()).toEqual(['answer-question', 'update_address']);
    expect(await page.getAttribute('.step-item.step-failed[data-type="tool"] .step-error', 'title')).toBe('Address service unavailable');
    await page.locator('.step-item', { hasText: 'update_address' }).click();
    await page.waitForSelector('.step-detail');
    expect(await page.textContent('.step-detail .step-title')).toBe('update_address');
    expect(await page.textContent('.step-detail .step-input pre')).toBe('{\n  "order": 1234,\n  "address": "1 Rue de Rivoli"\n}');
    expect(await page.textContent('.step-detail .step-output')).toBe('Output(none)');
    expect(await page.textContent('.step-detail .error-box')).toBe('Error: Address service unavailable');
    expect(await page.getAttribute('.step-item[data-type="tool"]', 'aria-selected')).toBe('true');
    // The generation stays on show beside it.
    expect(await page.textContent('#generation-title')).toContain('gpt-4o-mini');
  });

  it('folds a long input with a control that shows it whole, and shows markup in names and values as text', async () => {
    await open(`#/traces/${LONG_DOC}`);
    await page.waitForSelector('.step-detail');
    // A long name is cut in the title (to its first 200 characters), whole in the step's own panel.
    expect(await page.textContent('.page-title')).toBe(`${LONG_NAME.slice(0, 200)}…`);
    expect(await page.textContent('.step-detail .step-title')).toBe(LONG_NAME);
    // The root step is shown first; its input, a long JSON document, is pretty-printed and folded.
    const pretty = JSON.stringify(JSON.parse(LONG_INPUT), null, 2);
    const shown = page.locator('.step-detail .step-input pre');
    const folded = (await shown.textContent())!;
    expect(folded.endsWith('…')).toBe(true);
    expect(pretty.startsWith(folded.slice(0, -1))).toBe(true);
    const toggle = page.locator('.step-detail .step-input .fold-toggle');
    expect(await toggle.textContent()).toBe(`Show all ${pretty.length.toLocaleString('en-US')} characters`);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await shown.textContent()).toBe(pretty);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await toggle.click();
    expect(await shown.textContent()).toBe(folded);

    expect(await page.locator('.step-tree .step-name').nth(1).textContent()).toBe(MARKUP_NAME);
    await page.locator('.step-item[data-type="tool"]').click();
    expect(await page.textContent('.step-detail .step-title')).toBe(MARKUP_NAME);
    expect(await page.textContent('.step-detail .step-output pre')).toBe('<script>window.__xss = 4</script>');
    expect(await page.locator('.step-tree img, .step-detail img, .step-detail script').count()).toBe(0);
    // A long name is cut in its row, never widening it.
    const row = (await page.locator('.step-item').first().boundingBox())!;
    const box = (await page.locator('.step-tree-box').boundingBox())!;
    expect(row.width).toBeLessThanOrEqual(box.width + 1);
  });

  it("opens an llm step's generation, with the tree beside it marking that step", async () => {
    await open(`#/traces/${TURN_TWO}`);
    await page.waitForSelector('.step-tree');
    const llm = stepOf(TURN_TWO, 'llm');
    await page.locator('.step-item[data-type="llm"]').click();
    await page.waitForFunction((id) => location.hash === `#/g/${id}`, llm.generationId);
    await page.waitForSelector('.trace-slot .step-item[aria-current="true"]');
    expect(await page.textContent('#generation-title')).toContain('gpt-4o-mini');
    expect(await page.getAttribute('.trace-slot .step-item[aria-current="true"]', 'data-step-id')).toBe(llm.id);
    expect(await page.isHidden('#traces')).toBe(true);
  });

  it('lists traces newest first with name, duration, steps, generations, tokens and error, and opens one', async () => {
    await open('#/traces');
    await page.waitForSelector('.trace-list tbody tr');
    expect(await page.getAttribute('.view-link[aria-current="page"]', 'href')).toBe('#/traces');
    expect(await page.locator('.trace-list tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-trace-id')))).toEqual([
      LONG_DOC,
      TURN_TWO,
      TURN_ONE,
      BATCH,
      LONE,
    ]);
    expect(await page.locator('.trace-list thead th').allTextContents()).toEqual([
      'Name',
      'Started',
      'Duration',
      'Steps',
      'Generations',
      'Tokens',
      'Error',
    ]);
    expect(await page.locator(`.trace-list tr[data-trace-id="${TURN_TWO}"] td`).allTextContents()).toEqual([
      'answer-questionsupport-bot',
      new Date('2026-05-01T10:05:00Z').toLocaleString('en-US', { timeZone: 'UTC' }),
      '1.8 s',
      '3',
      '1',
      '28',
      'Error',
    ]);
    expect(await page.locator(`.trace-list tr[data-trace-id="${TURN_ONE}"] td`).last().textContent()).toBe('');
    expect(await page.textContent('.paged-table .list-status')).toBe('5 traces');
    await page.click(`.trace-list tr[data-trace-id="${TURN_ONE}"] a`);
    await page.waitForSelector('.step-tree');
    expect(await page.evaluate(() => location.hash)).toBe(`#/traces/${TURN_ONE}`);
    expect(await page.textContent('.page-title')).toBe('answer-question');
    expect(await treeNames()).toEqual(['answer-question', 'search-orders', 'chat gpt-4o-mini']);
    expect(await page.getAttribute('.trace-header .thread-link', 'href')).toBe(`#/threads/${SUPPORT_THREAD}`);
    expect(await page.getAttribute('.trace-header .jaeger-link', 'href')).toBe(`${JAEGER}/trace/${TURN_ONE}`);
  });

  it('reads a thread as its conversation, a turn per trace, and opens a turn’s trace', async () => {
    await open('#/threads');
    await page.waitForSelector('.thread-list tbody tr');
    expect(await page.getAttribute('.view-link[aria-current="page"]', 'href')).toBe('#/threads');
    const row = page.locator(`.thread-list tr[data-thread-id="${SUPPORT_THREAD}"] td`);
    expect(await row.allTextContents()).toEqual([
      FIRST_QUESTION,
      'user-42',
      '2',
      new Date('2026-05-01T10:05:01.800Z').toLocaleString('en-US', { timeZone: 'UTC' }),
    ]);
    await page.click(`.thread-list tr[data-thread-id="${SUPPORT_THREAD}"] a`);
    await page.waitForSelector('.turn');
    expect(await page.textContent('.page-title')).toBe(FIRST_QUESTION);
    const turns = page.locator('.turn');
    expect(await turns.count()).toBe(2);
    expect(await turns.nth(0).locator('.role-user pre').textContent()).toBe(FIRST_QUESTION);
    expect(await turns.nth(0).locator('.role-assistant pre').textContent()).toBe('Order 1234 ships tomorrow.');
    expect(await turns.nth(1).locator('.role-user pre').textContent()).toBe(SECOND_QUESTION);
    expect(await turns.nth(1).locator('.role-assistant pre').textContent()).toBe('I could not change it: the address service is down.');
    expect(await turns.nth(1).locator('.error-box').textContent()).toBe('Error: Address service unavailable');
    expect(await turns.nth(0).locator('.error-box').count()).toBe(0);
    await turns.nth(1).locator('.open-trace').click();
    await page.waitForSelector('.step-tree');
    expect(await page.evaluate(() => location.hash)).toBe(`#/traces/${TURN_TWO}`);
    expect(await treeNames()).toEqual(['answer-question', 'chat gpt-4o-mini', 'update_address']);

    // A thread without a given name is named by its first input: a long document's start in the title.
    await page.goto(`${server.url}/#/threads/${DOCS_THREAD}`);
    await page.waitForSelector('.turn');
    expect(await page.textContent('.page-title')).toBe(`${LONG_INPUT.slice(0, 200)}…`);
  });

  it('is usable from the keyboard: arrows move through the tree, Enter chooses, an llm step opens its generation', async () => {
    await open(`#/traces/${TURN_ONE}`);
    await page.waitForSelector('.step-tree');
    expect(await page.locator('.step-item[tabindex="0"]').count()).toBe(1);
    // Tab reaches the tree's one focusable item, after the page's links.
    await page.focus('.trace-header .jaeger-link');
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => document.activeElement?.querySelector('.step-name')?.textContent ?? null);
    expect(await focused()).toBe('answer-question');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('search-orders');
    await page.keyboard.press('Enter');
    expect(await page.textContent('.step-detail .step-title')).toBe('search-orders');
    expect(await page.textContent('.step-detail .step-input pre')).toBe('{\n  "query": "order 1234",\n  "limit": 3\n}');
    await page.keyboard.press('ArrowLeft');
    expect(await focused()).toBe('answer-question');
    await page.keyboard.press('End');
    expect(await focused()).toBe('chat gpt-4o-mini');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('search-orders');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    const llm = stepOf(TURN_ONE, 'llm');
    await page.waitForFunction((id) => location.hash === `#/g/${id}`, llm.generationId);
    await page.waitForSelector('#generation-title');
  });

  it('stacks the tree and the detail in a narrow window, with nothing wider than the window', async () => {
    const narrow = { width: 390, height: 844 };
    await open(`#/g/${stepOf(LONG_DOC, 'llm').generationId}`, narrow);
    await page.waitForSelector('.trace-slot .step-tree');
    const slot = (await page.locator('.trace-slot').boundingBox())!;
    const main = (await page.locator('.generation-main').boundingBox())!;
    expect(slot.y + slot.height).toBeLessThanOrEqual(main.y);
    expect(slot.width).toBeLessThanOrEqual(narrow.width);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBe(0);

    await page.goto(`${server.url}/#/traces/${LONG_DOC}`);
    await page.waitForSelector('.step-detail');
    const tree = (await page.locator('.traces-page .step-tree-box').boundingBox())!;
    const panel = (await page.locator('.traces-page .step-panel').boundingBox())!;
    expect(tree.y + tree.height).toBeLessThanOrEqual(panel.y);
    expect(await overflow()).toBe(0);

    await page.goto(`${server.url}/#/traces`);
    await page.waitForSelector('.trace-list tbody tr');
    expect(await overflow()).toBe(0);
  });

  it('draws the trace view for the docs', async () => {
    await open(`#/traces/${TURN_ONE}`, { width: 1360, height: 800 });
    await page.waitForSelector('.step-tree');
    await page.locator('.step-item[data-type="retrieval"]').click();
    await page.waitForSelector('.step-detail .step-metadata');
    const file = UPDATE_SCREENSHOT ? DOCS_SCREENSHOT : dir.file('trace.png');
    mkdirSync(dirname(file), { recursive: true });
    await page.mouse.move(0, 0);
    const box = (await page.locator('.traces-page').boundingBox())!;
    await page.screenshot({
      path: file,
      animations: 'disabled',
      caret: 'hide',
      clip: { x: 0, y: 0, width: 1360, height: Math.ceil(box.y + box.height + 16) },
    });
    const bytes = readFileSync(file);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(1360);
  });
});

describe('Traces and threads lists past one page, in headless Chromium', () => {
  /** More than the API's default page of 50, so each list needs "Load more". */
  const COUNT = 55;
  const dir = tempDir('genspan-traces-pages-');
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    const seeds: TraceSeed[] = Array.from({ length: COUNT }, (_, index) => ({
      traceId: hexId(`run${index}`, 32),
      serviceName: 'bulk-app',
      start: new Date(Date.parse('2026-06-01T00:00:00Z') + index * 60_000).toISOString(),
      thread: { id: `bulk-thread-${index}`, name: `Conversation ${index}` },
      steps: [{ spanId: hexId('root', 16), parentSpanId: null, name: `bulk-run-${index}`, type: 'run', startMs: 0, endMs: 10 }],
    }));
    await seedTraceFile(dir.file('pages.db'), seeds);
    server = await startCliServer(['--db', dir.file('pages.db')]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await browser?.close();
    await server?.stop();
    dir.remove();
  });

  it.each([
    { hash: '#/traces', table: '.trace-list', noun: 'traces', first: 'bulk-run-54', last: 'bulk-run-0' },
    { hash: '#/threads', table: '.thread-list', noun: 'threads', first: 'Conversation 54', last: 'Conversation 0' },
  ])('loads the next page of $noun with the cursor, newest first, none twice', async ({ hash, table, noun, first, last }) => {
    await page.goto(`${server.url}/${hash}`);
    const status = page.locator('.paged-table .list-status');
    await page.waitForFunction(
      (text) => document.querySelector('.paged-table .list-status')?.textContent === text,
      `50 ${noun} (more to load)`,
    );
    await page.click('.paged-table .load-more');
    await page.waitForFunction((text) => document.querySelector('.paged-table .list-status')?.textContent === text, `${COUNT} ${noun}`);
    expect(await status.textContent()).toBe(`${COUNT} ${noun}`);
    expect(await page.isHidden('.paged-table .load-more')).toBe(true);
    const names = await page.locator(`${table} tbody tr td:first-child a`).allTextContents();
    expect(names).toHaveLength(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    expect([names[0], names[COUNT - 1]]).toEqual([first, last]);
  });
});
