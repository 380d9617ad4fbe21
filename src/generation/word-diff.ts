/**
 * A word-level diff of two texts, for showing how a variant's output differs from the original's. Browser-safe and
 * pure: the page renders the parts as text.
 */

export type WordDiffKind = 'same' | 'inserted' | 'deleted';

export interface WordDiffPart {
  kind: WordDiffKind;
  /** The words and the whitespace between them, as written. */
  text: string;
}

/**
 * Above this many cells (words before × words after, once the common start and end are set aside) the middle is
 * shown as deleted then inserted whole: the table of common subsequences would cost too much time and memory.
 */
export const WORD_DIFF_MAX_CELLS = 4_000_000;

/** Words and the whitespace runs between them, in order; joined they give the text back. */
function tokens(text: string): string[] {
  return text.split(/(\s+)/).filter((token) => token !== '');
}

function push(parts: WordDiffPart[], kind: WordDiffKind, text: string): void {
  const last = parts[parts.length - 1];
  if (last?.kind === kind) last.text += text;
  else parts.push({ kind, text });
}

/** The edits turning `before` into `after`: longest common subsequence of their words, whitespace included. */
export function wordDiff(before: string, after: string): WordDiffPart[] {
  const a = tokens(before);
  const b = tokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const parts: WordDiffPart[] = [];
  if (start > 0) push(parts, 'same', a.slice(0, start).join(''));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > WORD_DIFF_MAX_CELLS) {
    if (midA.length > 0) push(parts, 'deleted', midA.join(''));
    if (midB.length > 0) push(parts, 'inserted', midB.join(''));
  } else {
    // lengths[i][j]: the longest common subsequence of midA from i and midB from j.
    const width = midB.length + 1;
    const lengths = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lengths[i * width + j] =
          midA[i] === midB[j] ? lengths[(i + 1) * width + j + 1] + 1 : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    // On a tie the deleted words come first, as a reader expects: the old word, then its replacement.
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        push(parts, 'same', midA[i++]);
        j++;
      } else if (j < midB.length && (i === midA.length || lengths[i * width + j + 1] > lengths[(i + 1) * width + j])) {
        push(parts, 'inserted', midB[j++]);
      } else {
        push(parts, 'deleted', midA[i++]);
      }
    }
  }
  if (endA < a.length) push(parts, 'same', a.slice(endA).join(''));
  return parts;
}
