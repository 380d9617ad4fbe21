import { rmSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IN_FLIGHT_REQUESTS } from '../../src/server/server.js';
import { type CliServer, startCliServer, tempDir, waitForOutput } from '../support/cli.js';
import { captureExportBody, encodeLogsRequest } from '../support/otlp-bodies.js';
import { makeSpans } from '../support/sdk-spans.js';
import { getJson } from '../support/sender.js';

const TOKEN = `test-token-${'x'.repeat(20)}`;
const MAX_BODY = 1024 * 1024;
const AUTH = { authorization: `Bearer ${TOKEN}` };

let dir: string;
let server: CliServer;
let protoBody: Buffer;
let jsonBody: Buffer;

beforeAll(async () => {
  dir = tempDir();
  server = await startCliServer(['--db', join(dir, 'bad.db'), '--max-body', '1MiB', '--token', TOKEN]);
  const spans = await makeSpans([{ name: 'span', attributes: { key: 'value' } }]);
  protoBody = await captureExportBody(spans, 'protobuf');
  jsonBody = await captureExportBody(spans, 'json');
});

afterAll(async () => {
  expect(await server?.stop('SIGINT')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Headers;
  /** google.rpc.Status message, from JSON or protobuf */
  message: string;
}

function decodeStatus(body: Buffer): string {
  const reader = protobuf.Reader.create(body);
  let message = '';
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2) message = reader.string();
    else reader.skipType(tag & 7);
  }
  return message;
}

async function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const raw = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  const message = type.includes('protobuf')
    ? decodeStatus(raw)
    : raw.length > 0
      ? ((JSON.parse(raw.toString()) as { message?: string }).message ?? '')
      : '';
  return { status: response.status, headers: response.headers, message };
}

const PROTO = { ...AUTH, 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { ...AUTH, 'content-type': 'application/json' };

/** After each bad request, the server must still answer a good one. */
async function expectStillServing(): Promise<void> {
  expect((await post('/v1/traces', protoBody, PROTO)).status).toBe(200);
  expect((await getJson(`${server.url}/healthz`, TOKEN)).status).toBe(200);
}

describe('genspan serve answers bad input with the right status and a clear message, and keeps serving', () => {
  it('accepts good requests in both encodings, the response in the request encoding', async () => {
    const proto = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: PROTO, body: new Uint8Array(protoBody) });
    expect(proto.status).toBe(200);
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await proto.arrayBuffer()).byteLength).toBe(0);
    const json = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: JSON_TYPE, body: new Uint8Array(jsonBody) });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({});
    const gzipped = await post('/v1/traces', gzipSync(protoBody), { ...PROTO, 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
  });

  it('reports spans with an all-zero id as a partial success, storing the rest, and logs it', async () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: '0'.repeat(32), spanId: '0102030405060708', name: 'invalid' },
                { traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', name: 'valid' },
              ],
            },
          ],
        },
      ],
    });
    const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: JSON_TYPE, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: '1 span(s) with an all-zero trace or span id were rejected' },
    });
    const logged = / WARN .*partial success: 1 span\(s\) with an all-zero trace or span id were rejected/;
    await waitForOutput(server.child.stderr as Readable, server.stderr, logged);
  });

  it('401 without the token or with a wrong one, on every endpoint', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const otlp = await post('/v1/traces', protoBody, { ...headers, 'content-type': 'application/x-protobuf' });
      expect(otlp.status).toBe(401);
      expect(otlp.message).toMatch(/token/);
      expect(otlp.headers.get('www-authenticate')).toMatch(/^Bearer/);
      for (const path of ['/api/generations', '/api/generations.jsonl', '/healthz', '/api/generations/some-id']) {
        const response = await fetch(`${server.url}${path}`, { headers });
        expect(response.status, path).toBe(401);
      }
    }
    await expectStillServing();
  });

  it('415 for a content type OTLP/HTTP does not define', async () => {
    const answer = await post('/v1/traces', 'hello', { ...AUTH, 'content-type': 'text/plain' });
    expect(answer.status).toBe(415);
    expect(answer.message).toMatch(/unsupported Content-Type "text\/plain"/);
    const noType = await post('/v1/traces', protoBody, { ...AUTH });
    expect(noType.status).toBe(415);
    await expectStillServing();
  });

  it('400 for invalid JSON', async () => {
    const answer = await post('/v1/traces', '{"resourceSpans": [', JSON_TYPE);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/^invalid OTLP traces request: invalid JSON/);
    await expectStillServing();
  });

  it('400 for truncated protobuf, saying it is truncated', async () => {
    const answer = await post('/v1/traces', protoBody.subarray(0, protoBody.length - 7), PROTO);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/^invalid OTLP traces request: .*truncated/);
    await expectStillServing();
  });

  it('400 for bytes that are not protobuf', async () => {
    const answer = await post('/v1/traces', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), PROTO);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/^invalid OTLP traces request: /);
    await expectStillServing();
  });

  it('400 for ids of the wrong length, naming the field', async () => {
    const body = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abcdef', spanId: '0102030405060708', name: 'x' }] }] }],
    });
    const answer = await post('/v1/traces', body, JSON_TYPE);
    expect(answer.status).toBe(400);
    expect(answer.message).toBe('invalid OTLP traces request: at resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes, got 3');
    await expectStillServing();
  });

  it('400 for a logs payload on the traces path, pointing to /v1/logs', async () => {
    const logs = encodeLogsRequest([{ timeUnixNano: 1n, body: 'content', traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2) }]);
    const answer = await post('/v1/traces', logs, PROTO);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/logs request.*send it to \/v1\/logs/);
    const onLogsPath = await post('/v1/logs', logs, PROTO);
    expect(onLogsPath.status).toBe(200);
    await expectStillServing();
  });

  it('413 for a gzip bomb, while inflating', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const answer = await post('/v1/traces', bomb, { ...PROTO, 'content-encoding': 'gzip' });
    expect(answer.status).toBe(413);
    expect(answer.message).toMatch(/decompressed body is larger than the limit of 1048576 bytes/);
    await expectStillServing();
  });

  it('400 for a body that is not gzip although it says so', async () => {
    const answer = await post('/v1/traces', protoBody, { ...PROTO, 'content-encoding': 'gzip' });
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/not valid gzip/);
    await expectStillServing();
  });

  it('413 for a body over the limit, declared or streamed without a length', async () => {
    const big = Buffer.alloc(MAX_BODY + 1);
    const declared = await post('/v1/traces', big, PROTO);
    expect(declared.status).toBe(413);
    expect(declared.message).toMatch(/larger than the limit/);

    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${server.url}/v1/traces`);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { ...JSON_TYPE, 'transfer-encoding': 'chunked' },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on('error', reject);
      for (let sent = 0; sent <= MAX_BODY; sent += 64 * 1024) request.write(Buffer.alloc(64 * 1024, 0x20));
      request.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).message).toMatch(/request body is larger than the limit/);
    await expectStillServing();
  });

  it('429 with Retry-After when too many requests are in flight', async () => {
    const url = new URL(`${server.url}/v1/traces`);
    const held: ClientRequest[] = [];
    const answers: Promise<{ status: number; retryAfter?: string; body: string }>[] = [];
    const extra = 2;
    for (let index = 0; index < DEFAULT_MAX_IN_FLIGHT_REQUESTS + extra; index++) {
      // Each request sends 10 of its 1000 bytes and waits: the server holds it in flight until the rest arrives.
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: { ...PROTO, 'content-length': '1000' },
      });
      answers.push(
        new Promise((resolve, reject) => {
          request.on('response', (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
            response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'], body }));
          });
          request.on('error', reject);
        }),
      );
      request.write(Buffer.alloc(10));
      held.push(request);
    }
    // The requests past the limit are refused without their bodies, once they have waited a second for room.
    const early = await new Promise<{ status: number; retryAfter?: string; body: string }[]>((resolve) => {
      const settled: { status: number; retryAfter?: string; body: string }[] = [];
      for (const answer of answers) {
        void answer.then((value) => {
          settled.push(value);
          if (settled.length === extra) resolve(settled);
        });
      }
    });
    for (const answer of early) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toBe('1');
      expect(answer.body).toMatch(/busy/);
    }
    for (const request of held) request.end(Buffer.alloc(990));
    const statuses = (await Promise.all(answers)).map((answer) => answer.status).sort();
    expect(statuses).toEqual([...new Array(DEFAULT_MAX_IN_FLIGHT_REQUESTS).fill(400), ...new Array(extra).fill(429)]);
    await expectStillServing();
  });
});
