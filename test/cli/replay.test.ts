import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment } from '../../src/generation/experiment.js';
import { EXPERIMENT_METADATA_KEY, RERUN_METADATA_KEY } from '../../src/generation/lineage.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { ExperimentDetail, ExperimentList } from '../../src/generation/rest.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { chatData, makeRecord } from '../store/fixtures.js';
import { CLI_PATH, type CliServer, runCli, startCliServer, tempDir } from '../support/cli.js';
import { ECHO_KEY_MODEL, type FakeOpenAI, startFakeOpenAI, UNAUTHORIZED_MODEL } from '../support/fake-openai.js';

/** `genspan replay` as CI runs it: a child process against a real `genspan serve` child with a fake provider. */

const KEY = 'sk-replay-test-0123456789abcdefghij';
const KEY_ENV = { FAKE_PROVIDER_KEY: KEY };

/**
 * Chats of the service `answers`, whose recorded answers are the fake's, and of `others`, whose answers are not. The
 * sources are chosen by service: results are stored generations too (of the re-run service), with the sources' tags.
 */
function sources(): GenerationRecord[] {
  return Array.from({ length: 6 }, (_, index) => {
    const same = index < 3;
    return makeRecord({
      span: index + 1,
      atMs: index * 1000,
      service: same ? 'answers' : 'others',
      generation: chatData({
        provider: 'fake',
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Question ${index}` }],
        messageCompletion: { role: 'assistant', content: same ? `Fake reply to: Question ${index}` : 'Something else entirely' },
      }),
    });
  });
}

let fake: FakeOpenAI;
/** A provider that never answers within a test, for runs to interrupt. */
let slow: FakeOpenAI;
let server: CliServer;
let dir: string;
const seeded = sources();

beforeAll(async () => {
  fake = await startFakeOpenAI({ chunkDelayMs: 1 });
  slow = await startFakeOpenAI({ latencyMs: 60_000 });
  dir = tempDir('genspan-replay-');
  const store = new SqliteStore({ path: join(dir, 'replay.db') });
  await store.write(seeded);
  await store.close();
  server = await startCliServer(
    [
      '--db',
      join(dir, 'replay.db'),
      '--provider',
      `fake=${fake.baseURL}`,
      '--provider-key-env',
      'fake=FAKE_PROVIDER_KEY',
      '--provider',
      `slow=${slow.baseURL}`,
    ],
    { env: KEY_ENV },
  );
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
  await slow?.close();
});

const replay = (...args: string[]) => runCli(['replay', '--endpoint', server.url, ...args]);

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('genspan replay', () => {
  it('replays a filtered slice: exit 0, one table row per variant, the experiment stored with linked results', async () => {
    const result = await replay(
      '--service',
      'answers',
      '--name',
      'ci check',
      '--concurrency',
      '2',
      '--variant',
      'provider=fake,model=gpt-4o-mini',
      '--variant',
      'provider=fake,model=gpt-4o,temperature=0.2',
    );
    expect(result.stderr).not.toMatch(/genspan replay:/);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^variant\s+results\s+errors\s+tokens\s+cost\s+p50\s+p95\s+identical\s+valid JSON$/);
    expect(lines[1]).toMatch(/^original\s+3\s+0\s/);
    expect(lines[2]).toMatch(/^1 fake\/gpt-4o-mini\s+3\s+0\s+\d+\s+\$[\d.]+\s+\d+ ms\s+\d+ ms\s+100%\s+-$/);
    expect(lines[3]).toMatch(/^2 fake\/gpt-4o temperature=0.2\s+3\s+0\s/);
    const id = /stored as experiment (\S+):/.exec(result.stdout)?.[1] as string;

    const detail = await getJson<ExperimentDetail>(`/api/experiments/${id}`);
    expect(detail.experiment).toMatchObject({ name: 'ci check', status: 'finished', concurrency: 2, progress: { total: 6, done: 6 } });
    expect(detail.experiment.variants[1].settings).toEqual({ temperature: 0.2 });
    const sameIds = seeded.slice(0, 3).map((record) => record.id);
    expect(detail.rows.map((row) => row.sourceId).sort()).toEqual([...sameIds].sort());
    for (const row of detail.rows) {
      for (const [variant, cell] of row.results.entries()) {
        const record = await getJson<GenerationRecord>(`/api/generations/${cell?.generationId}`);
        expect(record.generation.metadata).toMatchObject({
          [RERUN_METADATA_KEY]: { id: row.sourceId },
          [EXPERIMENT_METADATA_KEY]: { id, variant },
        });
      }
    }
  });

  it('exits 1 when results have provider errors, saying which variant', async () => {
    // A 401, which is not asked again: the run ends at once.
    const result = await replay('--service', 'answers', '--variant', `provider=fake,model=${UNAUTHORIZED_MODEL}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^1 fake/${UNAUTHORIZED_MODEL}\\s+3\\s+3\\s`, 'm'));
    expect(result.stdout + result.stderr).not.toContain(KEY.slice(-8));
    expect(result.stderr).toContain('genspan replay: variant 1: 3 of 3 results have errors');
  });

  it('--fail-on-diff exits 1 when outputs differ from the originals; without it the same run passes', async () => {
    const ids = seeded.map((record) => record.id).join(',');
    const lenient = await replay('--ids', ids, '--variant', 'provider=fake,model=gpt-4o-mini');
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^1 fake\/gpt-4o-mini\s+6\s+0\s.*\s50%\s+-$/m);
    const strict = await replay('--ids', ids, '--fail-on-diff', '--variant', 'provider=fake,model=gpt-4o-mini');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("genspan replay: variant 1: 3 of 6 outputs differ from the originals'");
    const same = await replay('--service', 'answers', '--fail-on-diff', '--variant', 'provider=fake,model=gpt-4o-mini');
    expect(same.code).toBe(0);
  });

  it('--json prints the experiment as the REST API returns it, with a response format share', async () => {
    const result = await replay(
      '--service',
      'answers',
      '--limit',
      '2',
      '--json',
      '--variant',
      'provider=fake,model=gpt-4o-mini,response_format={"type":"json_object"}',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const detail = JSON.parse(result.stdout) as ExperimentDetail;
    expect(detail.experiment.status).toBe('finished');
    expect(detail.rows).toHaveLength(2);
    expect(detail.variants[0]).toMatchObject({ results: 2, errors: 0, identicalShare: 1, validJsonShare: 0 });
    expect(detail.experiment.variants[0].settings).toEqual({ response_format: { type: 'json_object' } });
  });

  it("sends a template file: a JSON array of messages replaces the source's", async () => {
    const file = join(dir, 'messages.json');
    writeFileSync(file, JSON.stringify([{ role: 'user', content: 'From the template file' }]));
    const result = await replay('--ids', seeded[0].id, '--json', '--variant', `provider=fake,model=templated,template=${file}`);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ExperimentDetail).rows[0].results[0]?.output).toBe('Fake reply to: From the template file');
    const sent = fake.requests.filter((request) => request.body.model === 'templated');
    expect(sent.map((request) => request.body.messages)).toEqual([[{ role: 'user', content: 'From the template file' }]]);
  });

  it.each([
    [[], /replay needs at least one variant/],
    [['--variant', 'provider=fake'], /--variant 1: model=\.\.\. is missing/],
    [['--variant', 'model=a,temperature'], /--variant 1: "temperature" is not KEY=VALUE/],
    [['--variant', 'model=a', '--ids', 'x', '--tag', 'same'], /use either --ids or filters \(--tag\), not both/],
    [['--variant', 'model=a', '--minCost', 'cheap'], /--minCost must be a number of USD/],
    [['--variant', 'model=a', '--concurrency', '0'], /--concurrency must be a positive whole number/],
    [['--variant', 'model=a', '--bogus'], /Unknown option '--bogus' \(see: genspan replay --help\)/],
    [['--variant', 'model=a,template=/nonexistent/prompt.txt'], /cannot read the template \/nonexistent\/prompt.txt: ENOENT/],
    [['--variant', 'provider=nowhere,model=a'], /refused the experiment: Variant 1: .*nowhere/],
    [['--variant', 'provider=fake,model=a', '--tag', 'no-such-tag'], /refused the experiment: The filter matches no generation/],
  ])('a usage error exits 2 with one line: %j', async (args, message) => {
    const result = await replay(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('Ctrl-C cancels the experiment on the server and exits 1', async () => {
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'replay', '--endpoint', server.url, '--service', 'answers', '--variant', 'provider=slow,model=m'],
      {
        env: { ...process.env, GENSPAN_TOKEN: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
    // Interrupted once the experiment is started and its calls are at the provider.
    await new Promise<void>((resolveStarted) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^experiment \S+:/.test(stderr)) resolveStarted();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toContain('genspan replay: the experiment was cancelled');
    const id = /stored as experiment (\S+):/.exec(stdout)?.[1] as string;
    expect((await getJson<ExperimentDetail>(`/api/experiments/${id}`)).experiment.status).toBe('cancelled');
  });

  it('never shows or stores the key of a provider that echoes it', async () => {
    const table = await replay('--service', 'answers', '--variant', `provider=fake,model=${ECHO_KEY_MODEL}`);
    const json = await replay('--service', 'answers', '--json', '--variant', `provider=fake,model=${ECHO_KEY_MODEL}`);
    expect(table.code).toBe(0);
    expect(json.code).toBe(0);
    const detail = JSON.parse(json.stdout) as ExperimentDetail;
    expect(detail.rows[0].results[0]?.output).toMatch(/^Your key is /);
    const exported = await (await fetch(`${server.url}/api/generations.jsonl`)).text();
    const experiments = await getJson<ExperimentList>('/api/experiments');
    const tail = KEY.slice(-8);
    for (const text of [table.stdout, table.stderr, json.stdout, json.stderr, exported, JSON.stringify(experiments)]) {
      expect(text).not.toContain(tail);
    }
    // Every stored byte: the database and its write-ahead log, read after the server wrote them.
    await server.stop();
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(tail)).toBe(false);
    expect(server.stdout() + server.stderr()).not.toContain(tail);
    expect((experiments.items as Experiment[]).length).toBeGreaterThan(0);
  });
});
