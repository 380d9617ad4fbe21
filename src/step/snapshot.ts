/**
 * A cheap deep snapshot for change detection: containers are copied, strings and other primitives are shared,
 * so taking and comparing one costs in proportion to the number of nodes, not to the length of the content.
 */
export type Snapshot = unknown;

const MAX_DEPTH = 64;

export function takeSnapshot(value: unknown, depth = 0): Snapshot {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => takeSnapshot(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = takeSnapshot((value as Record<string, unknown>)[key], depth + 1);
  return copy;
}

export function matchesSnapshot(value: unknown, snapshot: Snapshot, depth = 0): boolean {
  if (value === snapshot) return true;
  if (typeof value !== 'object' || value === null || typeof snapshot !== 'object' || snapshot === null || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(snapshot) || value.length !== snapshot.length) return false;
    for (let i = 0; i < value.length; i++) if (!matchesSnapshot(value[i], snapshot[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(snapshot)) return false;
  const previous = snapshot as Record<string, unknown>;
  let count = 0;
  for (const key in value) {
    count++;
    if (!(key in previous) || !matchesSnapshot((value as Record<string, unknown>)[key], previous[key], depth + 1)) return false;
  }
  for (const _key in previous) count--;
  return count === 0;
}
