import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_BATCH_SIZE } from '../../src/store/jsonl.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { manyRecords } from '../store/fixtures.js';
import { type CliServer, runCli, startCliServer, tempDir, waitForOutput } from '../support/cli.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('genspan-first-hour-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The characters of `text` a terminal acts on (C0 and C1 controls, DEL, a right-to-left override), newlines aside. */
function rawControls(text: string): string[] {
  return [...text].filter((char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f) || code === 0x202e;
  });
}

describe('serve says at start that re-runs have no API key', () => {
  const UNSET = 'GENSPAN_TEST_KEY_THAT_IS_NOT_SET';

  async function started(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliServer> {
    return startCliServer(['--db', join(dir, `serve-${readdirSync(dir).length}.db`), ...args], { env: { [UNSET]: '', ...env } });
  }

  it.each([
    ['--provider-url without --provider-key-env', [], 'no --provider-key-env was given'],
    [
      'a --provider-key-env variable that is not set',
      ['--provider-key-env', UNSET],
      `the environment variable ${UNSET} \\(--provider-key-env\\) is not set`,
    ],
  ])('%s: a warning in the banner and in the server log', async (_, extra, reason) => {
    const server = await started(['--provider-url', 'http://127.0.0.1:9/v1?api-key=in-the-query', ...extra]);
    try {
      const warning = `re-runs are sent to http://127.0.0.1:9/v1 without an API key: ${reason}`;
      // The banner is complete up to where the data goes once the server has started.
      expect(server.stdout()).toMatch(new RegExp(`\\n  WARNING: ${warning}\\n`));
      await waitForOutput(server.child.stderr as Readable, server.stderr, / WARN /);
      expect(server.stderr()).toMatch(new RegExp(` WARN .*${warning}\\n`));
      expect(`${server.stdout()}${server.stderr()}`).not.toContain('in-the-query');
    } finally {
      await server.stop();
    }
  });

  it('no warning when the key variable is set', async () => {
    const server = await started(['--provider-url', 'http://127.0.0.1:9/v1', '--provider-key-env', 'GENSPAN_TEST_KEY'], {
      GENSPAN_TEST_KEY: 'sk-test',
    });
    try {
      // The server logs where it listens after the playground's start-up warnings.
      await waitForOutput(server.child.stderr as Readable, server.stderr, / INFO .*listening on/);
      expect(server.stdout()).not.toMatch(/WARNING/);
      expect(server.stderr()).not.toMatch(/ WARN /);
    } finally {
      await server.stop();
    }
  });

  it('a plain key variable without --provider-url is a usage error, before any database is opened', async () => {
    const db = join(dir, 'never-created.db');
    const result = await runCli(['serve', '--db', db, '--provider-key-env', 'GENSPAN_TEST_KEY'], { env: { GENSPAN_TEST_KEY: 'sk-test' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--provider-key-env GENSPAN_TEST_KEY is the key of --provider-url: give --provider-url/);
    expect(existsSync(db)).toBe(false);
  });
});

describe('demo against a server with a token', () => {
  let server: CliServer;
  beforeAll(async () => {
    server = await startCliServer(['--db', join(dir, 'demo.db'), '--token', 'the-right-token']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a wrong token is "rejected", not "requires a token"', async () => {
    const result = await runCli(['demo', '--endpoint', server.url, '--token', 'a-wrong-token']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`genspan: genspan at ${server.url} rejected the token (HTTP 401): check --token or GENSPAN_TOKEN`);
    expect(result.stderr).not.toContain('a-wrong-token');
  });

  it('no token "requires a token"', async () => {
    const result = await runCli(['demo', '--endpoint', server.url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`genspan: genspan at ${server.url} requires a token: pass --token or set GENSPAN_TOKEN`);
  });
});

describe('a failed import', () => {
  it('on its first line says nothing was imported and leaves no database file behind', async () => {
    const file = join(dir, 'bad-first.jsonl');
    writeFileSync(file, '{"not": "a record"}\n');
    const db = join(dir, 'never-created.db');
    const result = await runCli(['import', file, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^genspan: nothing was imported: JSON Lines line 1: not a generation record/);
    expect(readdirSync(dir).filter((name) => name.startsWith('never-created'))).toEqual([]);
  });

  it('after some batches says how many records were stored before it', async () => {
    const records = manyRecords(IMPORT_BATCH_SIZE + 1);
    const file = join(dir, 'bad-later.jsonl');
    writeFileSync(file, `${records.map((record) => JSON.stringify(record)).join('\n')}\nnot json\n`);
    const db = join(dir, 'partly.db');
    const result = await runCli(['import', file, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^genspan: the import stopped after storing ${IMPORT_BATCH_SIZE} records: JSON Lines line ${records.length + 1}: not valid JSON`,
      ),
    );
    const store = new SqliteStore({ path: db });
    try {
      expect((await store.list({ limit: 1000 })).items).toHaveLength(IMPORT_BATCH_SIZE);
    } finally {
      await store.close();
    }
  });

  it('of binary input does not echo its bytes to the terminal', async () => {
    const file = join(dir, 'picture.png');
    const bytes = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('\u001b[2J\u001b]0;owned\u0007\r\u0000\u202eevil'),
    ]);
    // The PNG signature's own \n ends line 1 early; the rest is the second line.
    writeFileSync(file, Buffer.concat([Buffer.from('\u001b[31m\u0000\r'), bytes]));
    const db = join(dir, 'binary.db');
    const result = await runCli(['import', file, '--db', db]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^genspan: nothing was imported: JSON Lines line 1: not valid JSON/);
    expect(rawControls(result.stderr)).toEqual([]);
    expect(result.stderr).toContain('\\u001b');
    expect(existsSync(db)).toBe(false);
  });

  it('of an empty file says there was nothing to import and creates no database', async () => {
    const file = join(dir, 'empty.jsonl');
    writeFileSync(file, '\n');
    const db = join(dir, 'empty.db');
    const result = await runCli(['import', file, '--db', db]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/nothing to import: .*empty\.jsonl holds no records/);
    expect(existsSync(db)).toBe(false);
  });
});
