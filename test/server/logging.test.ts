import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer, startServer } from '../../src/server/index.js';
import { type LogLevel, ServerLog } from '../../src/server/log.js';
import { StoreClosedError, StoreUnavailableError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { FAIL_MODEL, type FakeOpenAI, startFakeOpenAI, UNAUTHORIZED_MODEL } from '../support/fake-openai.js';
import { haikuCompletion, ndjson, otlpJsonBodies, seedServer, tempDir } from '../support/playground-seeds.js';

const dir = tempDir('genspan-log-');
afterAll(() => dir.remove());

/** `<ISO time> <LEVEL padded to 5> [<request id>] <message>`, one event per line. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN |INFO |DEBUG)( \[req-[\w-]+\])? \S.*\n$/;

/** A destination that keeps the lines the server writes, as it writes them. */
function collectLines() {
  const lines: string[] = [];
  return {
    lines,
    destination: { write: (line: string) => lines.push(line) },
    at: (level: string) => lines.filter((line) => line.includes(` ${level.toUpperCase().padEnd(5)} `)),
  };
}

async function postSpans(url: string): Promise<Response> {
  const [body] = await otlpJsonBodies([{ generation: haikuCompletion(), startSeconds: 1_767_225_600, serviceName: 'log-app' }]);
  return fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(body) });
}

/** A running server over a SQLite store; `failWrites`/`failReads` make the store fail from then on. */
async function serverWith(name: string, options: { logLevel?: LogLevel; providerUrl?: string; providerApiKeyEnv?: string } = {}) {
  const store = new SqliteStore({ path: dir.file(`${name}.db`) });
  const log = collectLines();
  const server: RunningServer = await startServer({ store, port: 0, logDestination: log.destination, ...options });
  return {
    server,
    store,
    log,
    failWrites(error: () => Error) {
      store.writeWithSpans = async () => {
        throw error();
      };
    },
    failReads(error: () => Error) {
      store.list = async () => {
        throw error();
      };
    },
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

describe('the server log (real HTTP on 127.0.0.1)', () => {
  it('writes a store failure on the configured destination, one line each: retryable at warn, lasting at error', async () => {
    const running = await serverWith('store-failures');
    try {
      running.failWrites(() => new StoreUnavailableError('disk full'));
      running.failReads(() => new StoreClosedError('SqliteStore /data/x.db'));
      expect((await postSpans(running.server.url)).status).toBe(503);
      expect((await fetch(`${running.server.url}/api/generations`)).status).toBe(500);

      const { lines, at } = running.log;
      for (const line of lines) expect(line).toMatch(LINE);
      expect(at('warn')).toEqual([expect.stringMatching(/ \[req-\S+\] POST \/v1\/traces: the store cannot write right now: disk full\n$/)]);
      expect(at('error')).toEqual([
        expect.stringMatching(/ \[req-\S+\] GET \/api\/generations: the store failed to read: SqliteStore \/data\/x\.db is closed\n$/),
      ]);
    } finally {
      await running.close();
    }
  });

  describe('re-runs', () => {
    const KEY_ENV = 'GENSPAN_LOG_TEST_PROVIDER_KEY';
    const KEY = 'sk-log-test-never-in-the-log-1234';
    let fake: FakeOpenAI;

    afterAll(async () => {
      delete process.env[KEY_ENV];
      await fake?.close();
    });

    it("logs a provider's failure at warn without the key, and a re-run that cannot be stored at error", async () => {
      process.env[KEY_ENV] = KEY;
      fake = await startFakeOpenAI();
      const running = await serverWith('reruns', { providerUrl: fake.baseURL, providerApiKeyEnv: KEY_ENV });
      try {
        await seedServer(running.server.url, [{ generation: haikuCompletion(), startSeconds: 1_767_225_600, serviceName: 'log-app' }]);
        const [original] = (await running.store.list({})).items;
        const rerun = async (model: string) => {
          const response = await fetch(`${running.server.url}/api/generations/${original.id}/rerun`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...original.generation, model }),
          });
          expect(response.status).toBe(200);
          return ndjson(response);
        };

        const failed = await rerun(FAIL_MODEL);
        expect(failed.at(-1)).toMatchObject({ type: 'done', error: expect.stringContaining('The provider answered 500') });
        const refused = await rerun(UNAUTHORIZED_MODEL);
        expect(refused.at(-1)).toMatchObject({ type: 'done', error: expect.stringContaining('The provider answered 401') });
        const warnings = running.log.at('warn');
        expect(warnings).toEqual([
          expect.stringMatching(
            new RegExp(`re-run of ${original.id} stored as \\S+ with an error: The provider answered 500: .*on purpose\\n$`),
          ),
          expect.stringMatching(new RegExp(`re-run of ${original.id} stored as \\S+ with an error: The provider answered 401: `)),
        ]);
        expect(running.log.lines.join('')).not.toContain(KEY.slice(-12));

        running.failWrites(() => new StoreUnavailableError('disk full'));
        const unstored = await rerun('fake-instruct');
        expect(unstored.at(-1)).toEqual({ type: 'error', message: 'disk full' });
        expect(running.log.at('error')).toEqual([expect.stringMatching(new RegExp(`re-run of ${original.id} failed: disk full\\n$`))]);
        for (const line of running.log.lines) expect(line).toMatch(LINE);
      } finally {
        await running.close();
      }
    });
  });

  it('writes only the lines at or above --log-level: error leaves out start-up and refusals, debug adds each request and why', async () => {
    const quiet = await serverWith('level-error', { logLevel: 'error' });
    const usual = await serverWith('level-info');
    const verbose = await serverWith('level-debug', { logLevel: 'debug' });
    try {
      for (const running of [quiet, usual, verbose]) {
        expect((await fetch(`${running.server.url}/healthz`)).status).toBe(200);
        expect((await fetch(`${running.server.url}/api/nothing-here`)).status).toBe(404);
        const plainText = { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'spans?' };
        expect((await fetch(`${running.server.url}/v1/traces`, plainText)).status).toBe(415);
        running.failReads(() => new StoreClosedError('SqliteStore /data/x.db'));
        expect((await fetch(`${running.server.url}/api/generations`)).status).toBe(500);
      }
    } finally {
      // Closing waits for the requests to finish, and so for each one's line.
      await Promise.all([quiet.close(), usual.close(), verbose.close()]);
    }

    expect(quiet.log.lines).toEqual([expect.stringMatching(/ ERROR \[req-\S+\] GET \/api\/generations: the store failed to read/)]);

    expect(usual.log.at('info')).toEqual([
      expect.stringMatching(/ INFO {2}listening on http:\/\/127\.0\.0\.1:\d+\n$/),
      expect.stringMatching(/ INFO {2}\[req-\S+\] GET \/api\/nothing-here 404 Not Found in \d+\.\d ms\n$/),
      expect.stringMatching(/ INFO {2}\[req-\S+\] POST \/v1\/traces 415 Unsupported Media Type in \d+\.\d ms\n$/),
      expect.stringMatching(/ INFO {2}\[req-\S+\] GET \/api\/generations 500 Internal Server Error in \d+\.\d ms\n$/),
      expect.stringMatching(/ INFO {2}shutting down: finishing the requests in flight\n$/),
    ]);
    expect(usual.log.at('error')).toHaveLength(1);
    expect(usual.log.at('debug')).toEqual([]);

    expect(verbose.log.at('debug')).toEqual([
      expect.stringMatching(/ DEBUG \[req-\S+\] GET \/healthz 200 OK in \d+\.\d ms\n$/),
      expect.stringMatching(/ DEBUG \[req-\S+\] POST \/v1\/traces refused: unsupported Content-Type "text\/plain"/),
    ]);
    expect(verbose.log.at('info')).toHaveLength(5);
    for (const line of [...quiet.log.lines, ...usual.log.lines, ...verbose.log.lines]) expect(line).toMatch(LINE);
  });

  it("escapes every terminal control in a line (a provider's ESC, lone CR, bidi override), newlines as \\n", () => {
    const log = collectLines();
    new ServerLog('info', log.destination).warn('provider said: \u001b[2Jgone\rover \u202eevil\r\nnext\u0085');
    expect(log.lines).toEqual([expect.stringMatching(LINE)]);
    expect(log.lines[0]).toMatch(/ provider said: \\u001b\[2Jgone\\u000dover \\u202eevil\\nnext\\u0085\n$/);
  });

  it('refuses a log level it does not know, naming the ones it does', async () => {
    const store = new SqliteStore({ path: dir.file('bad-level.db') });
    try {
      await expect(createServer({ store, logLevel: 'loud' as LogLevel })).rejects.toThrow(
        '--log-level must be one of error, warn, info, debug, got "loud"',
      );
    } finally {
      await store.close();
    }
  });
});
