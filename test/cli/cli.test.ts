import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, type ServeArgs, UsageError } from '../../src/cli/args.js';
import type { GenerationList } from '../../src/server/index.js';
import { runCli, startCliServer, tempDir } from '../support/cli.js';
import { getJson, sendSpans } from '../support/sender.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A user mistake is one line on stderr, no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^genspan: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('genspan --help', () => {
  it.each([
    [['--help'], /Usage: genspan <command>/],
    [['serve', '--help'], /Usage: genspan serve/],
    [['export', '--help'], /Usage: genspan export/],
    [['import', '-h'], /Usage: genspan import FILE/],
    [['demo', '--help'], /Usage: genspan demo/],
  ])('%j prints usage and exits 0', async (args, usage) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
  });

  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('user mistakes: one clear line and a non-zero exit', () => {
  it('an unknown command or option', async () => {
    const command = await runCli(['serv']);
    expect(command.code).toBe(2);
    expectOneLineError(command.stderr, /unknown command "serv"/);
    const option = await runCli(['serve', '--prot', '1']);
    expect(option.code).toBe(2);
    expectOneLineError(option.stderr, /--prot.*genspan serve --help/);
  });

  it('bad URLs and sizes', async () => {
    const jaeger = await runCli(['serve', '--jaeger-url', 'not a url']);
    expect(jaeger.code).toBe(2);
    expectOneLineError(jaeger.stderr, /--jaeger-url is not a URL/);
    const postgres = await runCli(['serve', '--postgres', 'mysql://localhost/x']);
    expect(postgres.code).toBe(2);
    expectOneLineError(postgres.stderr, /--postgres must be a postgres/);
    const size = await runCli(['serve', '--max-body', 'lots']);
    expect(size.code).toBe(2);
    expectOneLineError(size.stderr, /--max-body must be a size/);
    const demo = await runCli(['demo', '--endpoint', 'ftp://x']);
    expect(demo.code).toBe(2);
    expectOneLineError(demo.stderr, /--endpoint must be an http/);
  });

  it('an unknown log level', async () => {
    const result = await runCli(['serve', '--log-level', 'nonsense']);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, /^genspan: --log-level must be one of error, warn, info, debug, got "nonsense"$/);
  });

  it('a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await runCli(['serve', '--port', String(port), '--grpc-port', '0', '--db', join(dir, 'port.db')]);
      expect(result.code).toBe(1);
      expectOneLineError(result.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('a gRPC port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await runCli(['serve', '--port', '0', '--grpc-port', String(port), '--db', join(dir, 'grpc-port.db')]);
      expect(result.code).toBe(1);
      expectOneLineError(result.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use; .* with --grpc-port$`));
    } finally {
      blocker.close();
    }
  });

  it('--grpc-port: 4317 by default, 0 for a free port, off for none, anything else refused', () => {
    const grpcPort = (argv: string[]) => (parseServeArgs(argv, {}) as ServeArgs).grpcPort;
    expect(grpcPort([])).toBe(4317);
    expect(grpcPort(['--grpc-port', '0'])).toBe(0);
    expect(grpcPort(['--grpc-port', 'off'])).toBeUndefined();
    expect(() => grpcPort(['--grpc-port', 'none'])).toThrow(
      new UsageError('--grpc-port (or off) must be an integer from 0 to 65535, got "none"'),
    );
  });

  it('a reachable host without a token', async () => {
    const result = await runCli(['serve', '--host', '0.0.0.0', '--db', join(dir, 'exposed.db')]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /refusing to listen on 0.0.0.0 without a token/);
  });

  it('an unreachable PostgreSQL', async () => {
    const result = await runCli(['export', '--postgres', 'postgres://genspan:secret-password@127.0.0.1:1/genspan']);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /PostgreSQL at 127.0.0.1:1 is unreachable/);
    expect(result.stderr).not.toContain('secret-password');
  });

  it('a missing file or database', async () => {
    const missingFile = await runCli(['import', join(dir, 'nope.jsonl'), '--db', join(dir, 'import.db')]);
    expect(missingFile.code).toBe(1);
    expectOneLineError(missingFile.stderr, /no such file: .*nope\.jsonl/);
    const missingDb = await runCli(['export', '--db', join(dir, 'nope.db')]);
    expect(missingDb.code).toBe(1);
    expectOneLineError(missingDb.stderr, /no database at .*nope\.db/);
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
  });

  it('a file that is not JSON Lines of generation records', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"not": "a record"}\n');
    const result = await runCli(['import', file, '--db', join(dir, 'bad-import.db')]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /line 1/);
  });

  it('a demo without a server', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const result = await runCli(['demo', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, /cannot reach genspan at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\)/);
  });

  it('a demo whose server accepts the spans but fails to list them: the HTTP status, not "0 generations"', async () => {
    const server = createHttpServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url?.startsWith('/api/generations')) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'the store failed to read: database is closed' }),
          );
        } else {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await runCli(['demo', '--endpoint', `http://127.0.0.1:${(server.address() as AddressInfo).port}`]);
      expect(result.code).toBe(1);
      expect(result.stdout).not.toMatch(/generations/);
      expectOneLineError(result.stderr, /listing the stored generations failed \(HTTP 500: the store failed to read: database is closed\)/);
    } finally {
      server.close();
    }
  });
});

describe('serve --log-level', () => {
  it('logs on stderr, one line per event in one format, down to the level asked', async () => {
    const server = await startCliServer(['--db', join(dir, 'log-level.db'), '--log-level', 'debug']);
    const stderrEnded = once(server.child.stderr!, 'end');
    let stopped = false;
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(await server.stop('SIGTERM')).toBe(0);
      stopped = true;
    } finally {
      if (!stopped) await server.stop('SIGKILL');
    }
    await stderrEnded;
    const lines = server.stderr().trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN |INFO |DEBUG) /);
    expect(lines).toEqual([
      expect.stringMatching(/ INFO {2}listening on http:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/ INFO {2}OTLP\/gRPC listening on 127\.0\.0\.1:\d+$/),
      expect.stringMatching(/ DEBUG \[req-\S+\] GET \/healthz 200 OK in \d+\.\d ms$/),
      expect.stringMatching(/ INFO {2}shutting down: finishing the requests in flight$/),
    ]);
  });
});

describe('serve, demo, export and import together', () => {
  it('demo sends its generations, export and import round-trip them between databases, serve stops on SIGINT', async () => {
    const source = join(dir, 'source.db');
    const target = join(dir, 'target.db');
    const token = 'round-trip-token';
    const server = await startCliServer(['--db', source, '--token', token]);
    let stopped = false;
    try {
      expect(server.stdout()).toContain(`storing into        SQLite ${source}`);
      const demo = await runCli(['demo', '--endpoint', server.url], { env: { GENSPAN_TOKEN: token } });
      expect(demo.stderr).toBe('');
      expect(demo.code).toBe(0);
      expect(demo.stdout).toMatch(/genspan stored 2 generations/);
      await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', token, label: 'exported' });
      const { body } = await getJson<GenerationList>(`${server.url}/api/generations?limit=500`, token);
      expect(body.items).toHaveLength(3);

      expect(await server.stop('SIGINT')).toBe(0);
      stopped = true;
      expect(server.stdout()).toMatch(/SIGINT received.*\n.*stopped/);
    } finally {
      if (!stopped) await server.stop('SIGKILL');
    }

    const file = join(dir, 'export.jsonl');
    const exported = await runCli(['export', '--db', source, '--output', file]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/exported 3 generation records/);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // The generation records, then the steps (and threads) the spans were kept as.
    const kinds = lines.map((line) => (JSON.parse(line) as { kind?: string }).kind ?? 'generation');
    expect(kinds.filter((kind) => kind === 'generation')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'step').length).toBeGreaterThan(3);

    const imported = await runCli(['import', file, '--db', target]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 3 generation records/);
    const again = await runCli(['import', '-', '--db', target], { input: readFileSync(file, 'utf8') });
    expect(again.stdout).toMatch(/imported 0 generation records .*\(3 already there\)/);

    const roundTrip = await runCli(['export', '--format', 'jsonl', '--db', target]);
    expect(roundTrip.code).toBe(0);
    expect(roundTrip.stdout.trim().split('\n')).toEqual(lines);
  });
});
