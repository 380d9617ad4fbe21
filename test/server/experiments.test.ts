import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Experiment, ExperimentRequest } from '../../src/generation/experiment.js';
import { EXPERIMENT_METADATA_KEY, experimentLinkOf, RERUN_METADATA_KEY } from '../../src/generation/lineage.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { ErrorBody, ExperimentDetail, ExperimentList } from '../../src/generation/rest.js';
import { retryDelayMs } from '../../src/server/experiments.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { chatData, makeRecord } from '../store/fixtures.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { tempDir } from '../support/playground-seeds.js';

const dir = tempDir('genspan-experiments-');
afterAll(() => dir.remove());

let alpha: FakeOpenAI;
let beta: FakeOpenAI;
beforeAll(async () => {
  // Alpha refuses every 10th request with 429 and Retry-After: 1, as a rate-limited provider does.
  alpha = await startFakeOpenAI({ chunkDelayMs: 1, rateLimitEvery: 10, retryAfterSeconds: 1 });
  beta = await startFakeOpenAI({ chunkDelayMs: 1 });
});
afterAll(async () => {
  await alpha.close();
  await beta.close();
});

const opened: { server?: RunningServer; store: SqliteStore }[] = [];
afterEach(async () => {
  for (const { server, store } of opened.splice(0)) {
    await server?.close();
    await store.close();
  }
});

let fileCount = 0;

/** Sources: chats whose recorded answer is what the fake would answer, so a replay on the same model is identical. */
function sources(count: number): GenerationRecord[] {
  return Array.from({ length: count }, (_, index) =>
    makeRecord({
      span: index + 1,
      atMs: index * 1000,
      generation: chatData({
        provider: 'alpha',
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Question ${index}` }],
        messageCompletion: { role: 'assistant', content: `Fake reply to: Question ${index}` },
      }),
    }),
  );
}

async function serve(path: string, providers: { alpha: FakeOpenAI; beta: FakeOpenAI }, concurrency = 4) {
  const store = new SqliteStore({ path });
  const entry: { server?: RunningServer; store: SqliteStore } = { store };
  opened.push(entry);
  entry.server = await startServer({
    store,
    port: 0,
    logLevel: 'error',
    providers: [
      { name: 'alpha', url: providers.alpha.baseURL, timeoutMs: 30_000 },
      { name: 'beta', url: providers.beta.baseURL, timeoutMs: 30_000 },
    ],
    experimentConcurrency: concurrency,
  });
  return { store, server: entry.server };
}

const JSON_TYPE = { 'content-type': 'application/json' };

async function create(server: RunningServer, request: ExperimentRequest): Promise<Experiment> {
  const response = await fetch(`${server.url}/api/experiments`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(request) });
  expect(response.status).toBe(201);
  return (await response.json()) as Experiment;
}

async function detail(server: RunningServer, id: string): Promise<ExperimentDetail> {
  const response = await fetch(`${server.url}/api/experiments/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ExperimentDetail;
}

/** Waits for the experiment, as the page and `genspan replay` follow it: by asking for its progress. */
async function settled(server: RunningServer, id: string): Promise<ExperimentDetail> {
  return vi.waitFor(
    async () => {
      const found = await detail(server, id);
      if (found.experiment.status === 'running') throw new Error(`still running: ${found.experiment.progress.done}`);
      return found;
    },
    { timeout: 60_000, interval: 25 },
  );
}

async function experimentRecords(store: SqliteStore, id: string): Promise<GenerationRecord[]> {
  const all: GenerationRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, cursor });
    all.push(...page.items.filter((item) => experimentLinkOf(item.generation.metadata as Record<string, unknown>)?.id === id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

const THREE_VARIANTS: ExperimentRequest['variants'] = [
  { provider: 'alpha', model: 'gpt-4o-mini' },
  { provider: 'beta', model: 'gpt-4o', settings: { temperature: 0.5 }, messages: [{ role: 'user', content: 'Same for all' }] },
  { provider: 'beta', model: 'gpt-4o-mini', responseFormat: { type: 'object', properties: { answer: { type: 'string' } } } },
];

describe('experiments', () => {
  it('replays 50 stored generations through three variants on two providers: every result stored once, linked, with cost', async () => {
    const { store, server } = await serve(dir.file(`e-${++fileCount}.db`), { alpha, beta });
    const stored = sources(50);
    await store.write(stored);
    const alphaBefore = alpha.rateLimited;

    const experiment = await create(server, { name: 'mini vs 4o', source: { filter: { model: 'gpt-4o-mini' } }, variants: THREE_VARIANTS });
    expect(experiment).toMatchObject({ name: 'mini vs 4o', status: 'running', progress: { total: 150 } });
    expect(experiment.sourceIds).toEqual(stored.map((record) => record.id).reverse());

    const done = await settled(server, experiment.id);
    expect(done.experiment.status).toBe('finished');
    expect(done.experiment.progress).toEqual({ total: 150, done: 150, errors: 0 });
    // The rate limit was hit and waited out: no result carries it.
    expect(alpha.rateLimited).toBeGreaterThan(alphaBefore);

    const results = await store.experimentResults(experiment.id);
    expect(results).toHaveLength(150);
    expect(new Set(results.map((result) => `${result.sourceId} ${result.variant}`)).size).toBe(150);
    const records = await experimentRecords(store, experiment.id);
    expect(records).toHaveLength(150);
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const result of results) {
      const record = byId.get(result.generationId as string) as GenerationRecord;
      expect(record.generation.metadata).toMatchObject({
        [RERUN_METADATA_KEY]: { id: result.sourceId },
        [EXPERIMENT_METADATA_KEY]: { id: experiment.id, variant: result.variant },
      });
      expect(record.generation.provider).toBe(THREE_VARIANTS[result.variant].provider);
      expect(record.generation.model).toBe(THREE_VARIANTS[result.variant].model);
      expect(record.cost?.total).toBeGreaterThan(0);
    }

    // The view: one row per source, a column per variant, with totals and means.
    expect(done.rows).toHaveLength(50);
    for (const row of done.rows) {
      expect(row.original?.output).toMatch(/^Fake reply to: Question/);
      expect(row.results.map((cell) => cell?.error)).toEqual([null, null, null]);
    }
    const [same, other, json] = done.variants;
    expect(same).toMatchObject({ results: 50, errors: 0, errorRate: 0, identicalShare: 1, validJsonShare: null });
    expect(other.identicalShare).toBe(0);
    expect(json.validJsonShare).toBe(0);
    for (const column of done.variants) {
      expect(column.cost.total).toBeGreaterThan(0);
      expect(column.tokens.mean).toBeGreaterThan(0);
      expect(column.latencyMs.p50).not.toBeNull();
      expect(column.latencyMs.p95 as number).toBeGreaterThanOrEqual(column.latencyMs.p50 as number);
    }
    expect(other.cost.total).toBeGreaterThan(same.cost.total);
    // The variant's request: its messages, settings and response format went to its provider.
    const sent = beta.requests.filter((request) => request.body.model === 'gpt-4o').at(-1);
    expect(sent?.body).toMatchObject({ temperature: 0.5, messages: [{ role: 'user', content: 'Same for all' }] });
    const asked = beta.requests.filter((request) => request.body.model === 'gpt-4o-mini').at(-1);
    expect(asked?.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'response' } });

    const list = (await (await fetch(`${server.url}/api/experiments`)).json()) as ExperimentList;
    expect(list.items.map((item) => item.id)).toEqual([experiment.id]);

    // Most results are gpt-4o-mini calls too, but a filter selects recorded calls only: the same slice again.
    const again = await create(server, { name: 'again', source: { filter: { model: 'gpt-4o-mini' } }, variants: [THREE_VARIANTS[0]] });
    expect(again.sourceIds).toEqual(experiment.sourceIds);
    expect((await fetch(`${server.url}/api/experiments/${again.id}/cancel`, { method: 'POST' })).ok).toBe(true);
  }, 120_000);

  it('resumes a run interrupted by stopping the server, without running what finished again', async () => {
    const path = dir.file(`e-${++fileCount}.db`);
    const slowAlpha = await startFakeOpenAI({ chunkDelayMs: 20 });
    const slowBeta = await startFakeOpenAI({ chunkDelayMs: 20 });
    try {
      const first = await serve(path, { alpha: slowAlpha, beta: slowBeta }, 2);
      const stored = sources(12);
      await first.store.write(stored);
      const experiment = await create(first.server, {
        source: { ids: stored.map((record) => record.id) },
        variants: [
          { provider: 'alpha', model: 'gpt-4o-mini' },
          { provider: 'beta', model: 'gpt-4o' },
        ],
      });
      await vi.waitFor(
        async () => {
          if ((await detail(first.server, experiment.id)).experiment.progress.done < 4) throw new Error('not yet');
        },
        { timeout: 30_000, interval: 10 },
      );
      await first.server.close();
      await first.store.close();
      opened.splice(0);
      const interrupted = new SqliteStore({ path });
      const before = await interrupted.experimentResults(experiment.id);
      expect((await interrupted.getExperiment(experiment.id))?.status).toBe('running');
      expect(before.length).toBeGreaterThanOrEqual(4);
      expect(before.length).toBeLessThan(24);
      await interrupted.close();
      const requestsBefore = slowAlpha.requests.length + slowBeta.requests.length;

      const second = await serve(path, { alpha: slowAlpha, beta: slowBeta }, 2);
      const done = await settled(second.server, experiment.id);
      expect(done.experiment.status).toBe('finished');
      expect(done.experiment.progress).toEqual({ total: 24, done: 24, errors: 0 });
      const results = await second.store.experimentResults(experiment.id);
      expect(results).toHaveLength(24);
      for (const result of before) expect(results).toContainEqual(result);
      // Only what had no result was asked again; the calls the stop cut short were not stored.
      expect(slowAlpha.requests.length + slowBeta.requests.length - requestsBefore).toBe(24 - before.length);
      expect(await experimentRecords(second.store, experiment.id)).toHaveLength(24);
    } finally {
      await slowAlpha.close();
      await slowBeta.close();
    }
  }, 120_000);

  it('cancels a run: its provider calls in flight are aborted and no more are made', async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 50 });
    try {
      const { store, server } = await serve(dir.file(`e-${++fileCount}.db`), { alpha: slow, beta: slow }, 3);
      const stored = sources(20);
      await store.write(stored);
      const experiment = await create(server, { source: { ids: stored.map((record) => record.id) }, variants: [THREE_VARIANTS[0]] });
      await vi.waitFor(
        () => {
          if (slow.inFlight < 3) throw new Error('not yet');
        },
        { timeout: 30_000, interval: 5 },
      );
      const response = await fetch(`${server.url}/api/experiments/${experiment.id}/cancel`, { method: 'POST' });
      expect(response.status).toBe(200);
      const cancelled = (await response.json()) as Experiment;
      expect(cancelled.status).toBe('cancelled');
      await slow.idle();
      const made = slow.requests.length;
      expect(made).toBeLessThan(20);
      const after = await detail(server, experiment.id);
      expect(after.experiment.status).toBe('cancelled');
      expect(after.experiment.progress.done).toBeLessThan(20);
      expect(slow.requests.length).toBe(made);
      // Cancelling again changes nothing.
      const again = await fetch(`${server.url}/api/experiments/${experiment.id}/cancel`, { method: 'POST' });
      expect(((await again.json()) as Experiment).status).toBe('cancelled');
    } finally {
      await slow.close();
    }
  }, 60_000);

  it("limits an experiment to its own concurrency, within the provider's", async () => {
    const slow = await startFakeOpenAI({ chunkDelayMs: 0, latencyMs: 20 });
    try {
      const { store, server } = await serve(dir.file(`e-${++fileCount}.db`), { alpha: slow, beta }, 4);
      await store.write(sources(12));
      const refused = await fetch(`${server.url}/api/experiments`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ source: { filter: {} }, variants: THREE_VARIANTS.slice(0, 1), concurrency: 0 }),
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as ErrorBody).message).toBe('concurrency must be a whole number of 1 or more');

      const limited = await create(server, { source: { filter: { limit: 12 } }, variants: THREE_VARIANTS.slice(0, 1), concurrency: 2 });
      expect(limited.concurrency).toBe(2);
      expect((await settled(server, limited.id)).experiment.progress).toEqual({ total: 12, done: 12, errors: 0 });
      expect(slow.peakInFlight).toBe(2);

      const unlimited = await create(server, { source: { filter: { limit: 12 } }, variants: THREE_VARIANTS.slice(0, 1) });
      await settled(server, unlimited.id);
      expect(slow.peakInFlight).toBe(4);
    } finally {
      await slow.close();
    }
  });

  it('refuses what cannot run with one clear message, and cross-site requests', async () => {
    const { store, server } = await serve(dir.file(`e-${++fileCount}.db`), { alpha, beta });
    await store.write(sources(2));
    const post = (body: unknown, headers: Record<string, string> = JSON_TYPE) =>
      fetch(`${server.url}/api/experiments`, { method: 'POST', headers, body: JSON.stringify(body) });
    const message = async (response: Response) => ((await response.json()) as ErrorBody).message;

    const unknown = await post({ source: { ids: ['nope'] }, variants: [{ provider: 'alpha', model: 'm' }] });
    expect(unknown.status).toBe(400);
    expect(await message(unknown)).toBe('No generation with id nope');
    const provider = await post({ source: { filter: {} }, variants: [{ provider: 'gamma', model: 'm' }] });
    expect(provider.status).toBe(400);
    expect(await message(provider)).toMatch(/^Variant 1: .*gamma/);
    const empty = await post({ source: { filter: { model: 'none' } }, variants: [{ provider: 'alpha', model: 'm' }] });
    expect(await message(empty)).toBe('The filter matches no generation.');
    const invalid = await post({ source: { filter: {} }, variants: [{ provider: 'alpha', model: ' ' }] });
    expect(await message(invalid)).toBe('variants.0.model must not be empty');
    const crossSite = await post({}, { ...JSON_TYPE, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const form = await post({}, { 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    expect((await fetch(`${server.url}/api/experiments/nope`)).status).toBe(404);
    const cancelCrossSite = await fetch(`${server.url}/api/experiments/nope/cancel`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    expect(cancelCrossSite.status).toBe(403);
  });

  it('waits what Retry-After says, else doubles its wait, never beyond the cap', () => {
    const policy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect(retryDelayMs('2', 1, policy, 0)).toBe(2000);
    expect(retryDelayMs(new Date(10_000).toUTCString(), 1, policy, 4000)).toBe(6000);
    expect(retryDelayMs(null, 1, policy, 0)).toBe(500);
    expect(retryDelayMs(null, 3, policy, 0)).toBe(2000);
    expect(retryDelayMs('3600', 1, policy, 0)).toBe(30_000);
    expect(retryDelayMs(null, 20, policy, 0)).toBe(30_000);
  });
});
