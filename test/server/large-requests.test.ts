import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { writeKeyValue } from '../support/otlp-bodies.js';

const ATTRIBUTES = 1_000_000;
/** The bound the issue sets for /healthz while such a request is in flight. */
const HEALTHZ_BOUND_MS = 250;

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = tempDir();
  server = await startCliServer(['--db', join(dir, 'large.db')]);
});

afterAll(async () => {
  expect(await server?.stop('SIGINT')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

/** One LLM span with a million attributes: 16 MB of protobuf. */
function millionAttributesProtobuf(): Buffer {
  const writer = protobuf.Writer.create();
  const attribute = (key: string, value: string) => writeKeyValue(writer, 9, key, value);
  writer.uint32((1 << 3) | 2).fork();
  writer.uint32((2 << 3) | 2).fork();
  writer.uint32((2 << 3) | 2).fork();
  writer.uint32((1 << 3) | 2).bytes(Buffer.alloc(16, 1));
  writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2));
  writer.uint32((5 << 3) | 2).string('chat gpt-4o');
  attribute('gen_ai.operation.name', 'chat');
  for (let index = 0; index < ATTRIBUTES; index++) attribute(`a${index}`, 'v');
  writer.ldelim().ldelim().ldelim();
  return Buffer.from(writer.finish());
}

/** The same span in OTLP/JSON. */
function millionAttributesJson(): Buffer {
  const attributes = [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }];
  for (let index = 0; index < ATTRIBUTES; index++) attributes.push({ key: `a${index}`, value: { stringValue: 'v' } });
  const span = { traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'chat gpt-4o', attributes };
  return Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
}

function post(body: Buffer, contentType: string): { sent: Promise<void>; answer: Promise<{ status: number; body: string }> } {
  const url = new URL(`${server.url}/v1/traces`);
  const request = httpRequest({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent: false,
    headers: { 'content-type': contentType, 'content-length': String(body.length) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    request.on('error', reject);
  });
  const sent = new Promise<void>((resolve) => request.end(body, () => resolve()));
  return { sent, answer };
}

/** Asks /healthz over and over while `pending` is unsettled; the slowest answer's time, from send to answer. */
async function slowestHealthz(pending: Promise<unknown>): Promise<{ slowestMs: number; asked: number }> {
  let settled = false;
  void pending.finally(() => (settled = true));
  let slowestMs = 0;
  let asked = 0;
  do {
    const sent = performance.now();
    const response = await fetch(`${server.url}/healthz`);
    await response.arrayBuffer();
    slowestMs = Math.max(slowestMs, performance.now() - sent);
    asked++;
    expect(response.status).toBe(200);
  } while (!settled);
  return { slowestMs, asked };
}

describe('a request of a million attributes', () => {
  for (const [encoding, contentType, build] of [
    ['protobuf', 'application/x-protobuf', millionAttributesProtobuf],
    ['JSON', 'application/json', millionAttributesJson],
  ] as const) {
    it(`is refused with 413 (${encoding}) while /healthz keeps answering within ${HEALTHZ_BOUND_MS} ms`, async () => {
      const body = build();
      const { sent, answer } = post(body, contentType);
      await sent;
      const { slowestMs, asked } = await slowestHealthz(answer);
      const refused = await answer;
      console.log(
        `${encoding}, ${(body.length / 1e6).toFixed(1)} MB, ${ATTRIBUTES} attributes: answered ${refused.status}; ` +
          `slowest of ${asked} /healthz: ${slowestMs.toFixed(0)} ms`,
      );
      expect(refused.status).toBe(413);
      expect(refused.body).toMatch(/more than 100000 spans, events, log records and attribute values \(--max-items\)/);
      expect(slowestMs).toBeLessThan(HEALTHZ_BOUND_MS);
    }, 60_000);
  }
});
