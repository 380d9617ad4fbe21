import { describe, expect, it } from 'vitest';
import { MAX_STORED_VALUE_CHARS, storedRecord, wellFormed } from '../../src/ingest/stored-values.js';
import { truncateText, truncationMarker } from '../../src/semconv/encode.js';
import { makeRecord } from '../store/fixtures.js';

describe('storedRecord', () => {
  it('returns the same record when every string is well-formed and short enough', () => {
    const record = makeRecord({ span: 1 });
    expect(storedRecord(record)).toBe(record);
  });

  it('caps long values and replaces lone surrogates, without changing the record it was given or its key order', () => {
    const long = 'v'.repeat(MAX_STORED_VALUE_CHARS + 10);
    // makeRecord builds as the ingest does (already bounded): the raw values are put in afterwards.
    const made = makeRecord({ span: 2 });
    const record = {
      ...made,
      serviceName: 'svc\udc00',
      generation: { ...made.generation, settings: { a: 1, 'k\ud800': long, z: 'ok' } },
    };
    const before = JSON.stringify(record);
    const stored = storedRecord(record);
    expect(JSON.stringify(record)).toBe(before);
    expect(stored.serviceName).toBe('svc\ufffd');
    expect(stored.generation.settings).toEqual({
      a: 1,
      'k\ufffd': 'v'.repeat(MAX_STORED_VALUE_CHARS) + truncationMarker(long.length),
      z: 'ok',
    });
    expect(Object.keys(stored.generation.settings as object)).toEqual(['a', 'k\ufffd', 'z']);
    expect(stored.generation.messages).toBe(made.generation.messages);
    expect(stored.warnings).toEqual(["1 stored value was too long and cut (each ends with genspan's truncation marker)"]);
  });

  it('keeps an own "__proto__" key of imported data as a key', () => {
    const made = makeRecord({ span: 3 });
    const metadata = JSON.parse(`{"__proto__": {"polluted": "x\\ud800"}}`) as Record<string, unknown>;
    const stored = storedRecord({ ...made, generation: { ...made.generation, metadata } });
    const kept = stored.generation.metadata as Record<string, unknown>;
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(kept, '__proto__')?.value).toEqual({ polluted: 'x\ufffd' });
  });
});

describe('wellFormed and truncateText', () => {
  it('replaces each lone surrogate by one U+FFFD and keeps pairs', () => {
    expect(wellFormed('a\ud800b\udc00c\ud83d\ude00')).toBe('a\ufffdb\ufffdc\ud83d\ude00');
  });

  it('never cuts a surrogate pair in two', () => {
    expect(truncateText('ab\ud83d\ude00cd', 3)).toBe(`ab${truncationMarker(6)}`);
    expect(truncateText('ab\ud83d\ude00cd', 4)).toBe(`ab\ud83d\ude00${truncationMarker(6)}`);
    expect(truncateText('short', 5)).toBe('short');
  });
});
