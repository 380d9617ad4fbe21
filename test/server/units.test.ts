import { rmSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseServeArgs, parseSize, UsageError } from '../../src/cli/args.js';
import { InFlightLimiter, type InFlightReservation } from '../../src/server/admission.js';
import { InvalidQueryError, jaegerTraceUrl, listFilterFromQuery } from '../../src/server/api.js';
import { createTokenCheck, isLoopbackHost } from '../../src/server/auth.js';
import { BodyReadError, readBody } from '../../src/server/body.js';
import { createServer, RETRY_AFTER_CLOSING_SECONDS, ServerConfigError, startServer } from '../../src/server/server.js';
import {
  IncompatibleDatabaseError,
  InvalidRecordError,
  StoreClosedError,
  type StoreError,
  StoreUnavailableError,
} from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../support/cli.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A source that hands out `body` in 4 KiB chunks and counts how much was pulled. `pulledWhenDrained` is the count when
 * `readBody` gave up and started draining the rest (it resumes the source to discard it, so the answer can be sent).
 */
function countingSource(body: Buffer): { source: Readable; pulledWhenDrained: () => number } {
  let offset = 0;
  let drainedAt = -1;
  const source = new Readable({
    read() {
      if (offset >= body.length) return void this.push(null);
      const chunk = body.subarray(offset, offset + 4 * 1024);
      offset += chunk.length;
      this.push(chunk);
    },
  });
  const resume = source.resume.bind(source);
  source.resume = () => {
    if (source.listenerCount('data') === 0) drainedAt = offset;
    return resume();
  };
  return { source, pulledWhenDrained: () => drainedAt };
}

/** Calls `reached` once `reservation` has grown to `bytes` or more. */
function watchGrowth(reservation: InFlightReservation, bytes: number, reached: () => void): void {
  const growTo = reservation.growTo;
  reservation.growTo = (total) => {
    const grown = growTo(total);
    if (grown && total >= bytes) reached();
    return grown;
  };
}

describe('readBody', () => {
  it('inflates gzip and returns the body', async () => {
    const body = Buffer.from('x'.repeat(100_000));
    expect(await readBody(Readable.from([gzipSync(body)]), { gzip: true, maxBytes: 200_000 })).toEqual(body);
  });

  it('stops a gzip bomb while inflating, long before the compressed body is read', async () => {
    const bomb = gzipSync(Buffer.alloc(128 * 1024 * 1024));
    const { source, pulledWhenDrained } = countingSource(bomb);
    const error = await readBody(source, { gzip: true, maxBytes: 1024 * 1024 }).catch((caught: unknown) => caught);
    const pulledWhenRefused = pulledWhenDrained();
    expect(error).toBeInstanceOf(BodyReadError);
    expect((error as BodyReadError).statusCode).toBe(413);
    expect((error as Error).message).toMatch(/decompressed body is larger than the limit of 1048576 bytes/);
    expect(pulledWhenRefused).toBeGreaterThan(0);
    expect(pulledWhenRefused).toBeLessThan(bomb.length / 2);
  });

  it('stops a raw body at the limit', async () => {
    const { source, pulledWhenDrained } = countingSource(Buffer.alloc(10 * 1024 * 1024));
    const error = await readBody(source, { gzip: false, maxBytes: 1024 * 1024 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 413 });
    expect(pulledWhenDrained()).toBeGreaterThan(1024 * 1024);
    expect(pulledWhenDrained()).toBeLessThan(2 * 1024 * 1024);
  });

  it('answers 400 for a body that is not gzip', async () => {
    await expect(readBody(Readable.from([Buffer.from('plain')]), { gzip: true, maxBytes: 1024 })).rejects.toMatchObject({
      statusCode: 400,
    });
  });
});

describe('InFlightLimiter', () => {
  it('lets a request wait for room, giving freed room to one whose body is here before older trickling ones', async () => {
    const limiter = new InFlightLimiter(1, 100);
    const holder = limiter.tryAcquire(10)!;
    const trickling = limiter.acquire(10, { waitMs: 10_000, ready: () => false });
    const ready = limiter.acquire(10, { waitMs: 10_000, ready: () => true });
    const late = limiter.acquire(10, { waitMs: 0, ready: () => true });
    expect(await late).toBeUndefined();
    holder.release();
    const admitted = (await ready)!;
    expect(limiter.inFlight).toBe(1);
    admitted.release();
    (await trickling)!.release();
    expect(await limiter.acquire(10, { waitMs: 1, ready: () => false })).toBeDefined();
  });

  it('gives up waiting when the time is over or the client leaves', async () => {
    const limiter = new InFlightLimiter(1, 100);
    limiter.tryAcquire(10);
    expect(await limiter.acquire(10, { waitMs: 20, ready: () => true })).toBeUndefined();
    const gone = new AbortController();
    const waiting = limiter.acquire(10, { waitMs: 10_000, ready: () => true, signal: gone.signal });
    gone.abort();
    expect(await waiting).toBeUndefined();
  });

  it('admits up to the count and byte limits, always one when idle, and frees on release', () => {
    const limiter = new InFlightLimiter(2, 100);
    const huge = limiter.tryAcquire(1000);
    expect(huge).toBeDefined();
    expect(limiter.tryAcquire(1)).toBeUndefined();
    huge!.release();
    huge!.release();
    const first = limiter.tryAcquire(60)!;
    expect(limiter.tryAcquire(50)).toBeUndefined();
    const second = limiter.tryAcquire(40)!;
    expect(limiter.tryAcquire(0)).toBeUndefined();
    first.release();
    second.release();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.inFlightBytes).toBe(0);
  });

  it('grows a reservation with the body, refusing growth past the limit except for the oldest request', () => {
    const limiter = new InFlightLimiter(4, 100);
    const oldest = limiter.tryAcquire(10)!;
    const newer = limiter.tryAcquire(10)!;
    expect(newer.growTo(60)).toBe(true);
    expect(limiter.inFlightBytes).toBe(70);
    expect(newer.growTo(100)).toBe(false);
    expect(newer.bytes).toBe(60);
    // The oldest may pass the limit, so requests that grow together cannot all be refused.
    expect(oldest.growTo(80)).toBe(true);
    expect(limiter.inFlightBytes).toBe(140);
    expect(limiter.tryAcquire(0)).toBeUndefined();
    oldest.release();
    expect(newer.growTo(100)).toBe(true);
    newer.release();
    expect(newer.growTo(200)).toBe(false);
    expect(limiter.inFlightBytes).toBe(0);
  });
});

describe('readBody with a reservation', () => {
  it('grows it to the inflated size of a gzip body, not the compressed one', async () => {
    const limiter = new InFlightLimiter(4, 10 * 1024 * 1024);
    const body = Buffer.alloc(1024 * 1024, 0x20);
    const compressed = gzipSync(body);
    const reservation = limiter.tryAcquire(compressed.length)!;
    const read = await readBody(Readable.from([compressed]), { gzip: true, maxBytes: 2 * 1024 * 1024, reservation });
    expect(read.equals(body)).toBe(true);
    expect(reservation.bytes).toBe(body.length);
    expect(limiter.inFlightBytes).toBe(body.length);
  });

  it('answers 429 when the inflated body does not fit beside the requests in flight', async () => {
    const limiter = new InFlightLimiter(4, 1024 * 1024);
    const earlier = limiter.tryAcquire(0)!;
    expect(earlier.growTo(900 * 1024)).toBe(true);
    const compressed = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    const reservation = limiter.tryAcquire(compressed.length)!;
    const error = await readBody(Readable.from([compressed]), { gzip: true, maxBytes: 2 * 1024 * 1024, reservation }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BodyReadError);
    expect(error).toMatchObject({ statusCode: 429, message: expect.stringMatching(/busy.*decompressed body; retry later/) });
    reservation.release();
    expect(limiter.inFlightBytes).toBe(900 * 1024);
  });
});

describe('auth', () => {
  it('accepts only the exact bearer token', () => {
    const check = createTokenCheck('s3cret');
    expect(check('Bearer s3cret')).toBe(true);
    for (const header of [undefined, '', 'Bearer s3cre', 'Bearer s3cret ', 'bearer s3cret', 's3cret', 'Basic s3cret'])
      expect(check(header)).toBe(false);
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('list query parameters', () => {
  it('map to the store filter', () => {
    expect(
      listFilterFromQuery({
        traceId: 'ABC',
        model: 'gpt',
        provider: 'openai',
        service: 'svc',
        tag: 't',
        source: 'genai',
        error: 'true',
        from: '2026-01-01',
        to: '2026-01-02T10:00:00Z',
        q: 'hello',
        limit: '20',
        cursor: 'c',
        unknown: 'ignored',
      }),
    ).toEqual({
      traceId: 'abc',
      model: 'gpt',
      provider: 'openai',
      serviceName: 'svc',
      tag: 't',
      source: 'genai',
      errorsOnly: true,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T10:00:00.000Z',
      q: 'hello',
      limit: 20,
      cursor: 'c',
    });
    expect(listFilterFromQuery({ error: 'false' })).toEqual({});
  });

  it('reject unusable values', () => {
    for (const query of [{ limit: '501' }, { limit: '2.5' }, { from: 'soon' }, { error: 'maybe' }, { model: ['a', 'b'] }]) {
      expect(() => listFilterFromQuery(query), JSON.stringify(query)).toThrow(InvalidQueryError);
    }
  });

  it('link to Jaeger', () => {
    expect(jaegerTraceUrl('http://localhost:16686/', 'abc')).toBe('http://localhost:16686/trace/abc');
  });
});

describe('serve arguments', () => {
  it('default to loopback, port 4318, ./genspan.db, 64 MiB, and read the token from GENSPAN_TOKEN', () => {
    const args = parseServeArgs([], { GENSPAN_TOKEN: 'from-env' });
    expect(args).toMatchObject({ host: '127.0.0.1', port: 4318, maxBodyBytes: 64 * 1024 * 1024, token: 'from-env', insecure: false });
    expect(args).toHaveProperty('store.kind', 'sqlite');
    expect(args).toHaveProperty('store.path', join(process.cwd(), 'genspan.db'));
    expect(parseServeArgs(['--token', 'flag'], { GENSPAN_TOKEN: 'env' })).toHaveProperty('token', 'flag');
  });

  it('parse sizes', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1.5M')).toBe(1.5 * 1024 * 1024);
    expect(() => parseSize('0')).toThrow(UsageError);
  });

  it('take the slow-client bounds and the item limit, with defaults', () => {
    expect(parseServeArgs([], {})).toMatchObject({ headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, bodyMinRate: 1024, maxItems: 100_000 });
    const args = parseServeArgs(['--headers-timeout', '5', '--body-timeout', '0.5', '--body-min-rate', '2KiB', '--max-items', '10'], {});
    expect(args).toMatchObject({ headersTimeoutMs: 5_000, bodyTimeoutMs: 500, bodyMinRate: 2048, maxItems: 10 });
    expect(() => parseServeArgs(['--body-timeout', '0'], {})).toThrow(/--body-timeout must be a number of seconds/);
    expect(() => parseServeArgs(['--body-min-rate', 'fast'], {})).toThrow(/--body-min-rate must be a size/);
    expect(() => parseServeArgs(['--max-items', '1e3'], {})).toThrow(/--max-items must be a positive whole number/);
  });

  it('refuse --db with --postgres', () => {
    expect(() => parseServeArgs(['--db', 'a.db', '--postgres', 'postgres://h/db'], {})).toThrow(/either --db or --postgres/);
  });
});

const GENERATION_SPAN_JSON = JSON.stringify({
  resourceSpans: [
    {
      scopeSpans: [
        {
          spans: [
            {
              traceId: '11'.repeat(16),
              spanId: '22'.repeat(8),
              name: 'llm',
              attributes: [
                { key: 'genspan.generation.type', value: { stringValue: 'COMPLETION' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
              ],
            },
          ],
        },
      ],
    },
  ],
});

/** A server whose store fails every write and list with `failure`. */
async function serverWithFailingStore(name: string, failure: () => StoreError) {
  const store = new SqliteStore({ path: join(dir, `${name}.db`) });
  store.writeWithSpans = async () => {
    throw failure();
  };
  store.list = async () => {
    throw failure();
  };
  const logged: string[] = [];
  const server = await createServer({ store, logDestination: { write: (line: string) => logged.push(line) } });
  return {
    app: server.app,
    logged,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

describe('createServer / startServer', () => {
  it('on loopback without a token, answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const store = new SqliteStore({ path: join(dir, 'rebinding.db') });
    const open = await createServer({ store });
    const withToken = await createServer({ store, token: 'secret' });
    try {
      for (const host of ['127.0.0.1:4318', 'localhost:4318', '[::1]:4318']) {
        expect((await open.app.inject({ method: 'GET', url: '/healthz', headers: { host } })).statusCode).toBe(200);
      }
      const rebound = await open.app.inject({ method: 'GET', url: '/api/generations', headers: { host: 'attacker.example:4318' } });
      expect(rebound.statusCode).toBe(403);
      expect(rebound.json().message).toBe("requests must be addressed to this machine's loopback address, not attacker.example");
      const otlp = await open.app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { host: 'attacker.example', 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(otlp.statusCode).toBe(403);
      const authorized = await withToken.app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { host: 'genspan:4318', authorization: 'Bearer secret' },
      });
      expect(authorized.statusCode).toBe(200);
    } finally {
      await open.close();
      await withToken.close();
      await store.close();
    }
  });

  it('answers 503 with Retry-After when the store cannot write, in the request encoding', async () => {
    const { app, close } = await serverWithFailingStore('failing', () => new StoreUnavailableError('disk full'));
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: GENERATION_SPAN_JSON,
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({ code: 14, message: 'the store cannot write right now: disk full' });
      const list = await app.inject({ method: 'GET', url: '/api/generations' });
      expect(list.statusCode).toBe(503);
      expect(list.headers['retry-after']).toBe('5');
      expect(list.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the store cannot read right now: disk full' });
    } finally {
      await close();
    }
  });

  it.each([
    ['an incompatible database', () => new IncompatibleDatabaseError('/data/x.db is not a genspan database')],
    ['a closed store', () => new StoreClosedError('SqliteStore /data/x.db')],
  ])('answers 500 without Retry-After, not a retryable 503, for %s', async (name, failure) => {
    const { app, logged, close } = await serverWithFailingStore(name.replace(/\W/g, '-'), failure);
    try {
      const message = failure().message;
      const response = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: GENERATION_SPAN_JSON,
      });
      expect(response.statusCode).toBe(500);
      expect(response.headers['retry-after']).toBeUndefined();
      expect(response.json()).toEqual({ code: 13, message: `the store failed to write: ${message}` });
      const list = await app.inject({ method: 'GET', url: '/api/generations' });
      expect(list.statusCode).toBe(500);
      expect(list.headers['retry-after']).toBeUndefined();
      expect(list.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: `the store failed to read: ${message}` });
      expect(logged.join('\n')).toContain(message);
    } finally {
      await close();
    }
  });

  it("answers 400 when the store refuses the client's data", async () => {
    const { app, close } = await serverWithFailingStore(
      'invalid-record',
      () => new InvalidRecordError('not a generation record (model: too long)'),
    );
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/json' },
        payload: GENERATION_SPAN_JSON,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: 3, message: 'not a generation record (model: too long)' });
    } finally {
      await close();
    }
  });

  it("names each client error by its own status and keeps the status of Fastify's own errors on OTLP paths", async () => {
    const store = new SqliteStore({ path: join(dir, 'statuses.db') });
    const { app, close } = await createServer({ store, logDestination: { write: () => true } });
    try {
      const tooLarge = await app.inject({
        method: 'POST',
        url: '/api/generations/some-id/rerun',
        headers: { 'content-type': 'application/json' },
        payload: `"${'x'.repeat(16 * 1024 * 1024)}"`,
      });
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      const malformedType = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/js on' },
        payload: '{}',
      });
      expect(malformedType.statusCode).toBe(415);
      expect(malformedType.json()).toMatchObject({ code: 3 });
    } finally {
      await close();
      await store.close();
    }
  });

  it('answers 503 with Retry-After to a request that arrives while it shuts down', async () => {
    const store = new SqliteStore({ path: join(dir, 'closing.db') });
    const running = await startServer({ store, port: 0 });
    try {
      const socket = connect(running.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const arrived = new Promise<void>((resolve) => running.app.server.once('request', () => resolve()));
      // Fastify stops the HTTP server only after its preClose hooks ran, so genspan is then answering 503.
      const stopping = new Promise<void>((resolve) => {
        const server = running.app.server;
        const stop = server.close.bind(server);
        server.close = (callback) => {
          resolve();
          return stop(callback);
        };
      });
      // The first request stays in flight (half its body sent) so the connection outlives the start of close().
      socket.write(`POST /v1/traces HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 4\r\n\r\n{}`);
      await arrived;
      const closed = running.close();
      await stopping;
      socket.write(`  GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n`);
      await ended;
      await closed;
      const responses = received.split(/(?=HTTP\/1\.1 )/);
      expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
      expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
      expect(responses[1]).toMatch(new RegExp(`\r\nretry-after: ${RETRY_AFTER_CLOSING_SECONDS}\r\n`, 'i'));
      expect(responses[1]).toContain('"message":"genspan is shutting down; retry later"');
    } finally {
      await store.close();
    }
  });

  it('counts a gzip body at its inflated size among the requests in flight', async () => {
    const store = new SqliteStore({ path: join(dir, 'inflated.db') });
    const running = await startServer({ store, port: 0, maxInFlightBytes: 1024 * 1024 });
    // The event the second request must wait for: the first one's room grown to its inflated body.
    const inflated = 700 * 1024;
    let firstGrown!: () => void;
    const firstInflated = new Promise<void>((resolve) => (firstGrown = resolve));
    const acquire = InFlightLimiter.prototype.tryAcquire;
    const admissions = vi.spyOn(InFlightLimiter.prototype, 'tryAcquire').mockImplementationOnce(function (this: InFlightLimiter, bytes) {
      const reservation = acquire.call(this, bytes);
      if (reservation) watchGrowth(reservation, inflated, firstGrown);
      return reservation;
    });
    const requests: ClientRequest[] = [];
    const post = (body: Buffer, holdBack: number) => {
      const request = httpRequest({
        host: '127.0.0.1',
        port: running.port,
        path: '/v1/traces',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) },
      });
      const answer = new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
        request.on('response', (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'], body: text }));
        });
        request.on('error', reject);
      });
      requests.push(request);
      request.write(body.subarray(0, body.length - holdBack));
      return { answer, finish: () => request.end(body.subarray(body.length - holdBack)) };
    };
    try {
      // Each compresses to about 1 KiB and inflates to 700 KiB: two do not fit in 1 MiB.
      const body = gzipSync(Buffer.concat([Buffer.alloc(700 * 1024, 0x20), Buffer.from('{}')]));
      expect(body.length).toBeLessThan(4096);
      // The first request holds back its gzip trailer, so it stays in flight with its body inflated.
      const first = post(body, 8);
      await firstInflated;
      const second = post(body, 0);
      second.finish();
      const refused = await second.answer;
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBe('1');
      expect(JSON.parse(refused.body).message).toMatch(/busy.*decompressed body/);
      first.finish();
      expect((await first.answer).status).toBe(200);
      const third = post(body, 0);
      third.finish();
      expect((await third.answer).status).toBe(200);
    } finally {
      admissions.mockRestore();
      for (const request of requests) request.destroy();
      await running.close();
      await store.close();
    }
  });

  it('keeps a provider problem a ServerConfigError, and any other playground failure as it was thrown', async () => {
    const store = new SqliteStore({ path: join(dir, 'playground-errors.db') });
    try {
      await expect(createServer({ store, providerUrl: 'ftp://x' })).rejects.toThrow(ServerConfigError);
      await expect(createServer({ store, providerUrl: 'http://x/v1', providerTimeoutMs: 2 ** 31 })).rejects.toThrow(
        'the timeout of openai (2147483.648 s) must be a positive number of seconds from 1 to 86400 (a day)',
      );
      // A providers list that is not a list is a programming error: it must not be reported as bad configuration.
      const failure = await createServer({ store, providers: {} as never }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TypeError);
      expect(failure).not.toBeInstanceOf(ServerConfigError);
    } finally {
      await store.close();
    }
  });

  it('refuses a reachable host without a token unless insecure, and bad option values', async () => {
    const store = new SqliteStore({ path: join(dir, 'options.db') });
    try {
      await expect(startServer({ store, host: '0.0.0.0', port: 0 })).rejects.toThrow(ServerConfigError);
      await expect(createServer({ store, jaegerUrl: 'ftp://x' })).rejects.toThrow(/--jaeger-url must be an http/);
      await expect(createServer({ store, maxBodyBytes: 0 })).rejects.toThrow(/--max-body/);
      const running = await startServer({ store, host: '127.0.0.1', port: 0 });
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await running.close();
    } finally {
      await store.close();
    }
  });
});
