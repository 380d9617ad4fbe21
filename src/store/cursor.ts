/** Keyset pagination of `list()`: the opaque cursor that continues after a page's last item, in the page's order. */

import { LIST_SORTS, type ListSort } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import { InvalidListFilterError } from './errors.js';
import { fromRow, type ListRow } from './generation-row.js';

/**
 * The sort key of the last item of a page: the value its order sorts by (cost, duration or tokens; null for none, and
 * for `newest`), start time in ms and id.
 */
export interface SortKey {
  sort: ListSort;
  value: number | null;
  startMs: number;
  id: string;
}

/** The orders by a value: their cursors are `[sort, value, startMs, id]`. */
const VALUE_SORTS: readonly ListSort[] = (Object.keys(LIST_SORTS) as ListSort[]).filter((sort) => sort !== 'newest');

/** `newest` keeps the cursor it always had, `[startMs, id]`, so a cursor issued before the other orders still continues. */
export function encodeCursor(key: SortKey): string {
  const value = key.sort === 'newest' ? [key.startMs, key.id] : [key.sort, key.value, key.startMs, key.id];
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function parseCursor(cursor: string): SortKey | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value)) return undefined;
    if (value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { sort: 'newest', value: null, startMs: value[0] as number, id: value[1] as string };
    }
    const [sort, sortValue, startMs, id] = value as unknown[];
    const valueOk = sortValue === null || (typeof sortValue === 'number' && Number.isFinite(sortValue));
    if (
      value.length === 4 &&
      VALUE_SORTS.includes(sort as ListSort) &&
      valueOk &&
      Number.isSafeInteger(startMs) &&
      typeof id === 'string'
    ) {
      return { sort: sort as ListSort, value: sortValue as number | null, startMs: startMs as number, id };
    }
  } catch {
    // Falls through to the one error below.
  }
  return undefined;
}

/** The key a cursor continues after; a cursor of another order than `sort` is refused, as continuing it would skip items. */
export function decodeCursor(cursor: string, sort: ListSort): SortKey {
  const key = parseCursor(cursor);
  if (!key) throw new InvalidListFilterError('cursor is not one this store issued (pass nextCursor from the previous page)');
  if (key.sort !== sort) {
    throw new InvalidListFilterError(
      `cursor continues the ${key.sort} order, not ${sort} (pass nextCursor from the previous page, with the same sort)`,
    );
  }
  return key;
}

/** Builds the page from up to `limit + 1` rows fetched in the list's order. */
export function pageFrom(
  rows: readonly ListRow[],
  limit: number,
  sort: ListSort,
): { items: GenerationRecord[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(fromRow);
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  if (!last) return { items, nextCursor: null };
  const value = last.sort_value === null ? null : Number(last.sort_value);
  return { items, nextCursor: encodeCursor({ sort, value, startMs: Number(last.start_ms), id: last.id }) };
}
