import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { manyAttributesJson, manyAttributesProtobuf, slowestHealthz } from '../support/large-requests.js';

const ATTRIBUTES = 1_000_000;

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

describe('a request of a million attributes', () => {
  for (const [encoding, contentType, build] of [
    ['protobuf', 'application/x-protobuf', manyAttributesProtobuf],
    ['JSON', 'application/json', manyAttributesJson],
  ] as const) {
    // How long /healthz waits meanwhile (target 250 ms) depends on the machine: `npm run bench -- server` times it.
    it(`is refused with 413 (${encoding}) while /healthz keeps answering`, async () => {
      const body = build(ATTRIBUTES);
      const { sent, answer } = post(body, contentType);
      await sent;
      const { slowestMs, asked, failedStatuses } = await slowestHealthz(server.url, answer);
      const refused = await answer;
      console.log(
        `${encoding}, ${(body.length / 1e6).toFixed(1)} MB, ${ATTRIBUTES} attributes: answered ${refused.status}; ` +
          `slowest of ${asked} /healthz: ${slowestMs.toFixed(0)} ms`,
      );
      expect(refused.status).toBe(413);
      expect(refused.body).toMatch(/more than 100000 spans, events, log records and attribute values \(--max-items\)/);
      expect(asked).toBeGreaterThan(0);
      expect(failedStatuses).toEqual([]);
    }, 60_000);
  }
});
