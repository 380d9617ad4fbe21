import { truncateText } from '../semconv/encode.js';

/**
 * Total readers over attribute values of unknown shape. Nothing here throws or modifies its input: a value that
 * cannot be read becomes a warning and `undefined`. Parsed JSON and structured values pass through `clean`, which
 * drops `__proto__` keys (so later copies cannot swap an object's prototype), converts bigints and byte arrays,
 * and cuts nesting deeper than `MAX_DEPTH`.
 */

export type Attributes = Readonly<Record<string, unknown>>;

/** JSON text longer than this is not parsed (a warning says so): parsing cost must stay bounded per span. */
export const MAX_JSON_CHARS = 4 * 1024 * 1024;
/** Plain text longer than this is cut, ending with genspan's truncation marker. */
export const MAX_TEXT_CHARS = 4 * 1024 * 1024;
/** Deeper structures are cut here, so recursive walkers (ours, JSON.stringify, zod) stay far from the stack limit. */
export const MAX_DEPTH = 256;
/** JSON text this short cannot nest deeper than `MAX_DEPTH` (each level takes two brackets). */
const SHALLOW_JSON_CHARS = 2 * MAX_DEPTH;
/** Indexed families (`gen_ai.prompt.{i}`, `llm.input_messages.{i}`) and JSON arrays are read up to this many items. */
export const MAX_ITEMS = 10_000;

const FORBIDDEN_KEY = '__proto__';

export { appended, isRecord } from '../semconv/messages.js';

/** A short description of a value for a warning; never serialises the whole value. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `a string of ${value.length} chars` : JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** Whether a key may be written into a plain object (a warning is recorded for one that may not). */
export function isSafeKey(key: string, label: string, warnings: string[]): boolean {
  if (key !== FORBIDDEN_KEY) return true;
  warnings.push(`${label}: ignored the key "${FORBIDDEN_KEY}"`);
  return false;
}

function bytesToText(bytes: ArrayBufferView): string | undefined {
  if (bytes.byteLength > MAX_TEXT_CHARS) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function isClean(value: unknown, depth: number): boolean {
  if (typeof value === 'bigint') return false;
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_DEPTH || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) return false;
    for (const item of value) if (!isClean(item, depth + 1)) return false;
    return true;
  }
  // for...in allocates no key list; it also visits inherited enumerable keys, which only makes the check stricter.
  for (const key in value) {
    if (key === FORBIDDEN_KEY) return false;
    if (!isClean((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function cleanCopy(value: unknown, depth: number, notes: Set<string>): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    const text = bytesToText(value);
    if (text === undefined) notes.add('dropped a byte value too large to keep');
    return text ?? null;
  }
  if (depth >= MAX_DEPTH) {
    notes.add(`cut nesting deeper than ${MAX_DEPTH} levels`);
    return null;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) notes.add(`kept the first ${MAX_ITEMS} of ${value.length} items`);
    return value.slice(0, MAX_ITEMS).map((item) => cleanCopy(item, depth + 1, notes));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === FORBIDDEN_KEY) {
      notes.add(`ignored the key "${FORBIDDEN_KEY}"`);
      continue;
    }
    out[key] = cleanCopy((value as Record<string, unknown>)[key], depth + 1, notes);
  }
  return out;
}

/**
 * Returns `value` itself when it is already safe to copy around, else a cleaned copy (with a warning naming what
 * was changed). Safe means: no `__proto__` keys, no bigints or byte arrays, depth and array length within bounds.
 */
export function clean(value: unknown, label: string, warnings: string[]): unknown {
  if (isClean(value, 0)) return value;
  const notes = new Set<string>();
  const copy = cleanCopy(value, 0, notes);
  for (const note of notes) warnings.push(`${label}: ${note}`);
  return copy;
}

/** Parses JSON text within the size cap and cleans the result. */
export function parseJson(text: string, label: string, warnings: string[]): unknown {
  if (text.length > MAX_JSON_CHARS) {
    warnings.push(`${label}: JSON of ${text.length} chars is over the ${MAX_JSON_CHARS}-char limit, not read`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    warnings.push(`${label}: not valid JSON (${(error as Error).message.slice(0, 120)})`);
    return undefined;
  }
  // Parsed JSON holds no bigints or byte arrays, and short text can neither nest too deep nor hold too many
  // items: only a `__proto__` key could make it unclean, and the text would contain that word.
  if (text.length <= SHALLOW_JSON_CHARS && !text.includes(FORBIDDEN_KEY)) return parsed;
  return clean(parsed, label, warnings);
}

/** A JSON-valued attribute: a JSON string is parsed, a structured value (OTLP kvlist/array) is taken as it is. */
export function jsonValue(value: unknown, label: string, warnings: string[]): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return parseJson(value, label, warnings);
  return clean(value, label, warnings);
}

/**
 * A value that may be JSON or plain text (Langfuse input/output, OpenInference `input.value`): text that looks
 * like a JSON object, array or string is parsed; anything else is the text itself.
 */
export function jsonOrText(value: unknown, label: string, warnings: string[]): unknown {
  if (typeof value !== 'string') return value === undefined || value === null ? undefined : clean(value, label, warnings);
  const first = value.trimStart().charAt(0);
  if (first === '{' || first === '[' || first === '"') {
    const quiet: string[] = [];
    const parsed = parseJson(value, label, quiet);
    if (parsed !== undefined) {
      warnings.push(...quiet);
      return parsed;
    }
    if (value.length > MAX_JSON_CHARS) warnings.push(...quiet);
  }
  return capText(value, label, warnings);
}

/** Cuts text over `MAX_TEXT_CHARS`, marking the cut as genspan's encoder does. */
export function capText(text: string, label: string, warnings: string[]): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  warnings.push(`${label}: text of ${text.length} chars cut to ${MAX_TEXT_CHARS}`);
  return truncateText(text, MAX_TEXT_CHARS);
}

/** `JSON.stringify` that cannot throw; `undefined` for a value it cannot print. */
export function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

export function readString(attributes: Attributes, key: string, warnings: string[]): string | undefined {
  return stringValue(attributes[key], key, warnings);
}

/** A non-empty string (cut to the text limit). */
export function stringValue(value: unknown, label: string, warnings: string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : capText(value, label, warnings);
  warnings.push(`${label}: expected a string, got ${describe(value)}`);
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && value.length < 40) return Number(value);
  return undefined;
}

/** A finite, non-negative number (numeric strings and bigints accepted, as OTLP int64 values may arrive). */
export function readNumber(attributes: Attributes, key: string, warnings: string[]): number | undefined {
  return numberValue(attributes[key], key, warnings);
}

export function numberValue(value: unknown, label: string, warnings: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = toNumber(value);
  if (number !== undefined && Number.isFinite(number) && number >= 0) return number;
  warnings.push(`${label}: expected a non-negative number, got ${describe(value)}`);
  return undefined;
}

/** A non-negative integer count. */
export function readCount(attributes: Attributes, key: string, warnings: string[]): number | undefined {
  return countValue(attributes[key], key, warnings);
}

export function countValue(value: unknown, label: string, warnings: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = toNumber(value);
  if (number !== undefined && Number.isSafeInteger(number) && number >= 0) return number;
  warnings.push(`${label}: expected a non-negative integer, got ${describe(value)}`);
  return undefined;
}

/** The first string of a string-array attribute (or the string itself). */
export function firstString(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/** A list of strings: an array attribute, a JSON array string, or a single string. */
export function readStringList(attributes: Attributes, key: string, warnings: string[]): string[] | undefined {
  return stringListValue(attributes[key], key, warnings);
}

export function stringListValue(value: unknown, label: string, warnings: string[]): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let list: unknown = value;
  if (typeof value === 'string') list = value.trimStart().startsWith('[') ? parseJson(value, label, warnings) : [value];
  if (!Array.isArray(list)) {
    warnings.push(`${label}: expected a list of strings, got ${describe(value)}`);
    return undefined;
  }
  return list.filter((item): item is string => typeof item === 'string').slice(0, MAX_ITEMS);
}

/** Node of a tree unflattened from dotted keys; prototype-free so any segment name is a plain own key. */
export type KeyTree = { [segment: string]: KeyTree | unknown };

/**
 * Unflattens every attribute under `prefix` (`llm.input_messages.0.message.role` → tree[0].message.role).
 * Keys with a `__proto__` segment are ignored with a warning. Returns undefined when no key has the prefix.
 */
export function unflatten(attributes: Attributes, keys: readonly string[], prefix: string, warnings: string[]): KeyTree | undefined {
  let root: KeyTree | undefined;
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const path = key.slice(prefix.length).split('.');
    if (path.includes(FORBIDDEN_KEY) || path.length > MAX_DEPTH) {
      warnings.push(`${key}: ignored (unsafe key)`);
      continue;
    }
    root ??= Object.create(null) as KeyTree;
    let node: KeyTree = root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      if (typeof next === 'object' && next !== null && Object.getPrototypeOf(next) === null) node = next as KeyTree;
      else node = node[path[i]] = Object.create(null) as KeyTree;
    }
    const last = path[path.length - 1];
    const existing = node[last];
    // A key that is both a value and a parent of other keys keeps its children.
    if (!(typeof existing === 'object' && existing !== null && Object.getPrototypeOf(existing) === null)) node[last] = attributes[key];
  }
  return root;
}

/** The child nodes of a tree under index segments `0`, `1`, ... (ascending, at most `MAX_ITEMS`). */
export function indexedItems(tree: unknown): KeyTree[] {
  if (!isTree(tree)) return [];
  const out: KeyTree[] = [];
  for (const key of Object.keys(tree)) {
    if (!/^\d{1,9}$/.test(key)) continue;
    const child = tree[key];
    if (isTree(child)) out.push(child);
    if (out.length >= MAX_ITEMS) break;
  }
  return out;
}

export function isTree(value: unknown): value is KeyTree {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null;
}

/** Reads `tree.a.b.c`. */
export function at(tree: unknown, ...path: string[]): unknown {
  let node = tree;
  for (const segment of path) {
    if (!isTree(node)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Every attribute under `prefix` as `{suffix: value}` in a plain object (values cleaned); unsafe suffixes are skipped. */
export function prefixed(
  attributes: Attributes,
  keys: readonly string[],
  prefix: string,
  warnings: string[],
): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (!key.startsWith(prefix) || key.length === prefix.length) continue;
    const name = key.slice(prefix.length);
    if (!isSafeKey(name, key, warnings)) continue;
    out ??= {};
    out[name] = clean(attributes[key], key, warnings);
  }
  return out;
}
