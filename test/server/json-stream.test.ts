import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { jsonStream } from '../../src/server/json-stream.js';

describe('jsonStream', () => {
  it('writes what JSON.stringify writes, in chunks', async () => {
    const value = {
      a: 'x'.repeat(200_000),
      b: [1, null, undefined, 'q"\\\n\ud800', { c: true, d: undefined, e: Number.NaN }],
      f: {},
      g: [],
      h: new Date(0),
      'k"ey': -0.5,
    };
    const stream = jsonStream(value);
    const chunks: string[] = [];
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => chunks.push(chunk));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(JSON.stringify(value));
    expect(await text(jsonStream([]))).toBe('[]');
  });
});
