/** Keyset pagination of `list()`: pages newest first, and the opaque cursor that continues after a page's last item. */

import type { GenerationRecord } from '../generation/record.js';
import { InvalidListFilterError } from './errors.js';
import { fromRow, type RecordColumns } from './generation-row.js';

/** The sort key of the last item of a page (start time in ms, then id), newest first. */
export interface SortKey {
  startMs: number;
  id: string;
}

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify([key.startMs, key.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): SortKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { startMs: value[0] as number, id: value[1] as string };
    }
  } catch {
    // Falls through to the one error below.
  }
  throw new InvalidListFilterError('cursor is not one this store issued (pass nextCursor from the previous page)');
}

/** Builds the page from `limit + 1` rows fetched newest first. */
export function pageFrom<Row extends RecordColumns>(
  rows: readonly Row[],
  limit: number,
): { items: GenerationRecord[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(fromRow);
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ startMs: Number(last.start_ms), id: last.id }) : null };
}
