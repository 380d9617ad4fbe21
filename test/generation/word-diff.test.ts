import { describe, expect, it } from 'vitest';
import { WORD_DIFF_MAX_CELLS, type WordDiffPart, wordDiff } from '../../src/generation/word-diff.js';

const side = (parts: WordDiffPart[], keep: 'before' | 'after') =>
  parts
    .filter((part) => part.kind === 'same' || part.kind === (keep === 'before' ? 'deleted' : 'inserted'))
    .map((part) => part.text)
    .join('');

describe('word diff', () => {
  it('marks nothing when the texts are the same', () => {
    expect(wordDiff('The sun is out.', 'The sun is out.')).toEqual([{ kind: 'same', text: 'The sun is out.' }]);
    expect(wordDiff('', '')).toEqual([]);
  });

  it('marks a changed word as deleted and the new one as inserted, keeping the words around it', () => {
    expect(wordDiff('Soft rain on the roof', 'Soft snow on the roof')).toEqual([
      { kind: 'same', text: 'Soft ' },
      { kind: 'deleted', text: 'rain' },
      { kind: 'inserted', text: 'snow' },
      { kind: 'same', text: ' on the roof' },
    ]);
  });

  it('marks added and removed words, whole words only', () => {
    expect(wordDiff('a b c', 'a b c d')).toEqual([
      { kind: 'same', text: 'a b c' },
      { kind: 'inserted', text: ' d' },
    ]);
    expect(wordDiff('one two three', 'one three')).toEqual([
      { kind: 'same', text: 'one ' },
      { kind: 'deleted', text: 'two ' },
      { kind: 'same', text: 'three' },
    ]);
    expect(wordDiff('', 'new text')).toEqual([{ kind: 'inserted', text: 'new text' }]);
    expect(wordDiff('old text', '')).toEqual([{ kind: 'deleted', text: 'old text' }]);
  });

  it('gives back both texts exactly: the same and deleted parts make the original, the same and inserted the output', () => {
    const before = 'The quick brown fox\njumps over  the lazy dog.';
    const after = 'A quick red fox\n\njumps over the dog, lazily.';
    const parts = wordDiff(before, after);
    expect(side(parts, 'before')).toBe(before);
    expect(side(parts, 'after')).toBe(after);
    expect(parts.filter((p) => p.kind === 'same').map((p) => p.text.trim())).toContain('quick');
  });

  it('shows a very long changed middle as deleted then inserted, without the quadratic table', () => {
    const count = Math.ceil(Math.sqrt(WORD_DIFF_MAX_CELLS)) + 10;
    const before = Array.from({ length: count }, (_, i) => `a${i}`).join(' ');
    const after = Array.from({ length: count }, (_, i) => `b${i}`).join(' ');
    const parts = wordDiff(`start ${before} end`, `start ${after} end`);
    expect(parts.map((p) => p.kind)).toEqual(['same', 'deleted', 'inserted', 'same']);
    expect(side(parts, 'after')).toBe(`start ${after} end`);
  });
});
