import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { haikuCompletion, seedServer } from '../support/playground-seeds.js';

/**
 * Every answer of a real `genspan serve` tells browsers not to guess its type: a JSON answer that holds stored
 * markup must never be sniffed as HTML, whether it is a success, an error or a refusal.
 */

const TOKEN = 'headers-test-token';

let dir: string;
let open: CliServer;
let guarded: CliServer;

beforeAll(async () => {
  dir = tempDir('genspan-headers-');
  [open, guarded] = await Promise.all([
    startCliServer(['--db', join(dir, 'open.db')]),
    startCliServer(['--db', join(dir, 'guarded.db'), '--token', TOKEN]),
  ]);
  await seedServer(open.url, [
    { generation: haikuCompletion(), startSeconds: Date.parse('2026-01-01T12:00:00Z') / 1000, serviceName: 'app' },
  ]);
});

afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function answer(url: string, init?: RequestInit): Promise<{ status: number; nosniff: string | null; type: string | null }> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return { status: response.status, nosniff: response.headers.get('x-content-type-options'), type: response.headers.get('content-type') };
}

/** A GET naming another host, as a DNS-rebinding page's request does (fetch always names the URL's host). */
function answerForHost(url: string, host: string): ReturnType<typeof answer> {
  return new Promise((resolveAnswer, reject) => {
    request(url, { headers: { host } }, (response) => {
      response.resume();
      response.on('end', () =>
        resolveAnswer({
          status: response.statusCode ?? 0,
          nosniff: (response.headers['x-content-type-options'] as string | undefined) ?? null,
          type: response.headers['content-type'] ?? null,
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('X-Content-Type-Options: nosniff on every API answer', () => {
  it('is sent with the list, one generation, the export, the health check and the playground configuration', async () => {
    const list = (await (await fetch(`${open.url}/api/generations`)).json()) as { items: { id: string }[] };
    expect(list.items).toHaveLength(1);
    for (const path of [
      '/api/generations',
      `/api/generations/${encodeURIComponent(list.items[0].id)}`,
      '/api/generations.jsonl',
      '/healthz',
      '/api/playground/config',
    ]) {
      expect({ path, ...(await answer(`${open.url}${path}`)) }).toMatchObject({ path, status: 200, nosniff: 'nosniff' });
    }
  });

  it('is sent with errors: an unknown generation, an unknown route, a bad query, a refused host and a missing token', async () => {
    const cases: [string, () => ReturnType<typeof answer>, number][] = [
      ['unknown generation', () => answer(`${open.url}/api/generations/no-such-id`), 404],
      ['unknown route', () => answer(`${open.url}/api/no-such-route`), 404],
      ['bad query', () => answer(`${open.url}/api/generations?limit=many`), 400],
      ['bad re-run body', () => answer(`${open.url}/api/generations/no-such-id/rerun`, { method: 'POST', body: 'x' }), 415],
      ['refused host', () => answerForHost(`${open.url}/api/generations`, 'rebound.example'), 403],
      ['missing token', () => answer(`${guarded.url}/api/generations`), 401],
    ];
    for (const [name, ask, status] of cases) {
      const result = await ask();
      expect({ name, status: result.status, nosniff: result.nosniff }).toEqual({ name, status, nosniff: 'nosniff' });
      expect(result.type, name).toMatch(/^application\/json/);
    }
  });

  it('is sent with what Node refuses before any route: a malformed request line (400), headers too large (431)', async () => {
    const { hostname, port } = new URL(open.url);
    const cases: [string, string, number][] = [
      ['malformed request line', 'NOT A REQUEST\r\n\r\n', 400],
      ['headers too large', `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431],
    ];
    for (const [name, bytes, status] of cases) {
      const text = await rawAnswer(hostname, Number(port), bytes);
      const [head, body] = text.split('\r\n\r\n');
      expect(head.split('\r\n')[0], name).toBe(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}`);
      expect(head.toLowerCase(), name).toContain('\r\nx-content-type-options: nosniff');
      expect(JSON.parse(body), name).toMatchObject({ statusCode: status });
    }
    // And the server keeps serving.
    expect((await answer(`${open.url}/healthz`)).status).toBe(200);
  });
});

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

/** What the server writes back to raw bytes on a fresh connection, until it closes the connection. */
function rawAnswer(host: string, port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while the rest of a large request is still being sent; what it answered is kept.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
