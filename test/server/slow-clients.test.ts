import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IN_FLIGHT_REQUESTS, type RunningServer, startServer } from '../../src/server/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../support/cli.js';
import { captureExportBody } from '../support/otlp-bodies.js';
import { makeSpans } from '../support/sdk-spans.js';

/** Short bounds, so the test runs in seconds; the defaults are minutes' worth of the same. */
const SLOW = { headersTimeoutMs: 500, bodyTimeoutMs: 1_000, bodyMinRate: 1024, bodyRateGraceMs: 300 };
const TRICKLING = 200;

let dir: string;
let store: SqliteStore;
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir();
  store = new SqliteStore({ path: join(dir, 'slow.db') });
  server = await startServer({ store, port: 0, ...SLOW });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RawConnection {
  socket: Socket;
  /** What the server sent back. */
  received(): string;
  closed: Promise<void>;
}

function open(): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()));
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

function headers(extra: string): string {
  return `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/x-protobuf\r\n${extra}\r\n`;
}

describe('slow clients', () => {
  it('answers a normal request within a second while stalled and trickling bodies are open, and closes them', async () => {
    const spans = await makeSpans([{ name: 'span', attributes: { key: 'value' } }]);
    const body = await captureExportBody(spans, 'protobuf');

    // Four bodies that declare 1000 bytes, send 10 and stall: enough to hold every admission slot.
    const stalled: RawConnection[] = [];
    for (let index = 0; index < DEFAULT_MAX_IN_FLIGHT_REQUESTS; index++) {
      const connection = await open();
      connection.socket.write(`${headers('Content-Length: 1000\r\n')}${'x'.repeat(10)}`);
      stalled.push(connection);
    }
    // Two hundred chunked bodies that trickle in, a byte at a time.
    const trickling: RawConnection[] = [];
    for (let index = 0; index < TRICKLING; index++) {
      const connection = await open();
      connection.socket.write(`${headers('Transfer-Encoding: chunked\r\n')}1\r\nx\r\n`);
      trickling.push(connection);
    }
    const trickle = setInterval(() => {
      for (const connection of trickling) if (!connection.socket.destroyed) connection.socket.write('1\r\nx\r\n');
    }, 250);
    // Headers that never end.
    const slowHeaders = await open();
    slowHeaders.socket.write(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`);

    try {
      const sent = performance.now();
      const response = await fetch(`${server.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: new Uint8Array(body),
      });
      const elapsedMs = performance.now() - sent;
      console.log(`normal OTLP request answered ${response.status} in ${elapsedMs.toFixed(0)} ms beside ${TRICKLING + 4} slow bodies`);
      expect(response.status).toBe(200);
      expect(elapsedMs).toBeLessThan(1_000);

      // The stalled bodies lose their slots and their connections, with a 408 saying why.
      await Promise.all(stalled.map((connection) => connection.closed));
      for (const connection of stalled) {
        expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
        expect(connection.received()).toMatch(/--body-min-rate/);
      }
      await slowHeaders.closed;
      // The trickling ones are closed too: those admitted for their pace, the others by the request deadline.
      await Promise.all(trickling.map((connection) => connection.closed));
    } finally {
      clearInterval(trickle);
      for (const connection of [...stalled, ...trickling, slowHeaders]) connection.socket.destroy();
    }
  }, 30_000);
});
