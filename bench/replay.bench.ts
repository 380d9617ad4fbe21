/**
 * Replay throughput: an experiment of 800 stored chats through one variant on `genspan serve` (a child process, as
 * `genspan replay` drives it over the REST API), against a fake OpenAI-compatible provider that answers each call
 * after 200 ms, with 16 calls at once. The ideal is 16 / 0.2 s = 80 results stored per second: the closer the
 * ratio is to 1, the less genspan adds to the provider's own latency. Beside it, the same calls made straight to the
 * fake (no genspan), measured in the same run: what this machine allows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment, ExperimentRequest } from '../src/generation/experiment.js';
import type { ExperimentList } from '../src/generation/rest.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { chatData, makeRecord } from '../test/store/fixtures.js';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { type BenchServer, startGenspanServe } from './support.js';

const SOURCES = 800;
const CONCURRENCY = 16;
const PROVIDER_LATENCY_MS = 200;
const IDEAL_PER_SECOND = CONCURRENCY / (PROVIDER_LATENCY_MS / 1000);
const TARGET_RATIO = 0.9;
/** How often the experiment's progress is asked for: 1% of the run's ~10 s, and little load on the server. */
const POLL_MS = 100;

async function seed(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  const records = Array.from({ length: SOURCES }, (_, index) =>
    makeRecord({
      span: index + 1,
      atMs: index * 1000,
      generation: chatData({ provider: 'fake', model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question ${index}` }] }),
    }),
  );
  await store.write(records);
  await store.close();
}

/** Starts `genspan serve` on the database with the fake as its provider. */
function startServer(path: string, providerUrl: string): Promise<BenchServer> {
  const provider = ['--provider', `fake=${providerUrl}`, '--experiment-concurrency', String(CONCURRENCY)];
  return startGenspanServe(['--grpc-port', 'off', '--db', path, ...provider]);
}

/** The fake alone: SOURCES streamed chat calls, CONCURRENCY at once, as the runner makes them. Results per second. */
async function providerAlone(baseURL: string): Promise<number> {
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Question' }],
  });
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < SOURCES) {
        started++;
        const response = await fetch(`${baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.text();
      }
    }),
  );
  return SOURCES / ((performance.now() - begin) / 1000);
}

export default async function replayBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genspan-replay-bench-'));
  const fake = await startFakeOpenAI({ chunkDelayMs: 0, latencyMs: PROVIDER_LATENCY_MS });
  try {
    const path = join(dir, 'replay.db');
    await seed(path);
    const server = await startServer(path, fake.baseURL);
    try {
      const request: ExperimentRequest = {
        name: 'replay bench',
        source: { filter: { limit: SOURCES } },
        variants: [{ provider: 'fake', model: 'gpt-4o-mini' }],
        concurrency: CONCURRENCY,
      };
      const started = performance.now();
      const created = await fetch(`${server.url}/api/experiments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (created.status !== 201) throw new Error(`POST /api/experiments answered ${created.status}: ${await created.text()}`);
      let experiment = (await created.json()) as Experiment;
      while (experiment.status === 'running') {
        await new Promise((resolveWait) => setTimeout(resolveWait, POLL_MS));
        const list = (await (await fetch(`${server.url}/api/experiments`)).json()) as ExperimentList;
        experiment = list.items.find((item) => item.id === experiment.id) as Experiment;
      }
      const seconds = (performance.now() - started) / 1000;
      const { done, errors, total } = experiment.progress;
      if (experiment.status !== 'finished' || done !== total || errors > 0) {
        throw new Error(`the experiment ended ${experiment.status} with ${done} of ${total} results, ${errors} errors`);
      }
      const perSecond = done / seconds;
      const ratio = perSecond / IDEAL_PER_SECOND;
      const alone = await providerAlone(fake.baseURL);
      console.log(
        `replay: ${done} results, provider latency ${PROVIDER_LATENCY_MS} ms, concurrency ${CONCURRENCY}: ` +
          `${perSecond.toFixed(1)} results stored/s in ${seconds.toFixed(2)} s; ideal ${IDEAL_PER_SECOND}/s; ` +
          `ratio ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'OK' : 'MISSED'}`,
      );
      console.log(
        `replay: the same calls straight to the fake provider, no genspan: ${alone.toFixed(1)}/s ` +
          `(ratio ${(alone / IDEAL_PER_SECOND).toFixed(2)}); genspan's replay at ${(perSecond / alone).toFixed(2)} of it`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
