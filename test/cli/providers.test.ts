import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, type ServeArgs } from '../../src/cli/args.js';
import { runCli, startCliServer, tempDir } from '../support/cli.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { ndjson, seedServer, weatherChat } from '../support/playground-seeds.js';

/** `genspan serve`'s provider options: parsed, refused in one line, and a real server re-running with each provider. */

const parsed = (argv: string[]) => parseServeArgs(argv, {}) as ServeArgs;

describe('genspan serve --provider, --provider-key-env, --providers (parsing)', () => {
  it('reads named providers and their key variables, and keeps --provider-url --provider-key-env VARIABLE', () => {
    const args = parsed([
      '--provider',
      'local=http://127.0.0.1:8000/v1/',
      '--provider',
      'cloud=https://api.example.com/v1',
      '--provider-key-env',
      'cloud=CLOUD_KEY',
      '--provider-url',
      'https://api.openai.com/v1',
      '--provider-key-env',
      'OPENAI_API_KEY',
      '--providers',
      'providers.json',
    ]);
    expect(args.providers).toEqual([
      { name: 'local', url: 'http://127.0.0.1:8000/v1' },
      { name: 'cloud', url: 'https://api.example.com/v1' },
    ]);
    expect(args.providerKeyEnvs).toEqual([{ name: 'cloud', keyEnv: 'CLOUD_KEY' }]);
    expect(args).toMatchObject({ providerUrl: 'https://api.openai.com/v1', providerKeyEnv: 'OPENAI_API_KEY' });
    expect(args.providersFile).toMatch(/\/providers\.json$/);
  });

  it.each([
    [['--provider', 'http://x/v1'], '--provider needs NAME=URL, e.g. --provider local=http://127.0.0.1:11434/v1'],
    [['--provider', 'a b=http://x/v1'], '--provider a b=URL: the name must be letters, digits, dot, dash or underscore'],
    [['--provider', 'a=ftp://x'], '--provider a=URL must be an http:// or https:// URL, not ftp://'],
    [['--provider', 'a=http://user:pw@x/v1'], '--provider a=URL must not hold credentials'],
    [['--provider-key-env', 'a=KEY'], '--provider-key-env a=...: no --provider a=URL was given'],
    [['--provider-key-env', 'A', '--provider-key-env', 'B'], '--provider-key-env VARIABLE is for --provider-url and given once'],
    [['--providers', ''], '--providers needs a file name'],
    [['--provider-key-env', 'KEY'], '--provider-key-env KEY is the key of --provider-url: give --provider-url'],
    [['--provider-url', 'http://x/v1', '--provider-key-env', 'MY-KEY'], '--provider-key-env MY-KEY: "MY-KEY" is not an environment'],
    [['--provider', 'a=http://x/v1', '--provider-key-env', 'a=1X'], '--provider-key-env a=...: "1X" is not an environment variable name'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseServeArgs(argv, {})).toThrow(message);
  });
});

describe('genspan serve with named providers (child processes, two fake providers)', () => {
  let dir: string;
  let alpha: FakeOpenAI;
  let beta: FakeOpenAI;

  beforeAll(async () => {
    dir = tempDir();
    [alpha, beta] = await Promise.all([
      startFakeOpenAI({ chunkDelayMs: 1, models: ['alpha-chat'] }),
      startFakeOpenAI({ chunkDelayMs: 1, models: ['beta-chat'] }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alpha?.close(), beta?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid providers file in one line naming each problem, exit code 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ providers: [{ name: 'a', url: 'ftp://x', apiKey: 'sk-in-file' }] }));
    const result = await runCli(['serve', '--providers', file, '--db', join(dir, 'bad.db')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `genspan: ${file} is not a valid providers file: providers[0].url: the URL must be an http:// or https:// URL, not ftp://; ` +
        'providers[0].apiKey: keys never go in the file; put the key in an environment variable and name it with "keyEnv"',
    ]);
    expect(result.stderr).not.toContain('sk-in-file');
  });

  it('lists its providers at start, warns of a missing key, and re-runs with the one a request names', async () => {
    const server = await startCliServer(
      [
        '--db',
        join(dir, 'named.db'),
        '--provider',
        `alpha=${alpha.baseURL}`,
        '--provider',
        `beta=${beta.baseURL}?api-key=query-secret`,
        '--provider-key-env',
        'alpha=GENSPAN_CLI_ALPHA_KEY',
      ],
      { env: { GENSPAN_CLI_ALPHA_KEY: 'sk-cli-alpha-key-123456' } },
    );
    try {
      const banner = server.stdout();
      expect(banner).toContain(`  re-runs with        alpha  ${alpha.baseURL}\n`);
      expect(banner).toContain(`  re-runs with        beta  ${beta.baseURL}\n`);
      expect(banner).toContain(
        `  WARNING: re-runs with beta are sent to ${beta.baseURL} without an API key: no --provider-key-env was given\n`,
      );
      expect(banner).not.toContain('query-secret');

      await seedServer(server.url, [{ generation: weatherChat('alpha-chat'), startSeconds: 1_767_225_600, serviceName: 'cli-app' }]);
      const [record] = ((await (await fetch(`${server.url}/api/generations`)).json()) as { items: { id: string; generation: object }[] })
        .items;
      const post = (provider: string, model: string) =>
        fetch(`${server.url}/api/generations/${record.id}/rerun?provider=${provider}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...record.generation, model }),
        });
      for (const [provider, model, fake] of [
        ['alpha', 'alpha-chat', alpha],
        ['beta', 'beta-chat', beta],
      ] as const) {
        const events = await ndjson(await post(provider, model));
        expect(events.at(-1)).toMatchObject({ type: 'done', error: null, generation: { provider, model } });
        expect(fake.requests.at(-1)?.body.model).toBe(model);
      }
      expect(alpha.requests.at(-1)?.headers.authorization).toBe('Bearer sk-cli-alpha-key-123456');
      expect(beta.requests.at(-1)?.headers.authorization).toBeUndefined();
    } finally {
      await server.stop();
    }
    expect(server.stdout() + server.stderr()).not.toContain('sk-cli-alpha-key-123456');
  });
});
