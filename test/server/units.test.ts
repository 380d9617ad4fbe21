import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServeArgs, parseSize, UsageError } from '../../src/cli/args.js';
import { InFlightLimiter } from '../../src/server/admission.js';
import { InvalidQueryError, jaegerTraceUrl, listFilterFromQuery } from '../../src/server/api.js';
import { createTokenCheck, isLoopbackHost } from '../../src/server/auth.js';
import { BodyReadError, readBody } from '../../src/server/body.js';
import { createServer, startServer, ServerConfigError } from '../../src/server/server.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
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
    await expect(readBody(Readable.from([Buffer.from('plain')]), { gzip: true, maxBytes: 1024 })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('InFlightLimiter', () => {
  it('admits up to the count and byte limits, always one when idle, and frees on release', () => {
    const limiter = new InFlightLimiter(2, 100);
    const huge = limiter.tryAcquire(1000);
    expect(huge).toBeDefined();
    expect(limiter.tryAcquire(1)).toBeUndefined();
    huge!();
    huge!();
    const first = limiter.tryAcquire(60)!;
    expect(limiter.tryAcquire(50)).toBeUndefined();
    const second = limiter.tryAcquire(40)!;
    expect(limiter.tryAcquire(0)).toBeUndefined();
    first();
    second();
    expect(limiter.inFlight).toBe(0);
  });
});

describe('auth', () => {
  it('accepts only the exact bearer token', () => {
    const check = createTokenCheck('s3cret');
    expect(check('Bearer s3cret')).toBe(true);
    for (const header of [undefined, '', 'Bearer s3cre', 'Bearer s3cret ', 'bearer s3cret', 's3cret', 'Basic s3cret']) expect(check(header)).toBe(false);
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

  it('refuse --db with --postgres', () => {
    expect(() => parseServeArgs(['--db', 'a.db', '--postgres', 'postgres://h/db'], {})).toThrow(/either --db or --postgres/);
  });
});

describe('createServer / startServer', () => {
  it('answers 503 with Retry-After when the store cannot write, in the request encoding', async () => {
    const store = new SqliteStore({ path: join(dir, 'failing.db') });
    store.writeWithSpans = async () => {
      throw new StoreUnavailableError('disk full');
    };
    const { app, close } = await createServer({ store, logError: () => undefined });
    try {
      const body = JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '11'.repeat(16), spanId: '22'.repeat(8), name: 'llm', attributes: [
          { key: 'genspan.generation.type', value: { stringValue: 'COMPLETION' } },
          { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
        ] }] }] }],
      });
      const response = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: body });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({ code: 14, message: 'the store cannot write right now: disk full' });
    } finally {
      await close();
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
