import type { GenerationItem, GenerationSummary } from '../generation/rest.js';
import { truncateText } from '../semconv/encode.js';

/** A list item is sent whole when its JSON is about this long or shorter; a longer one is summarized to about this. */
export const LIST_ITEM_MAX_CHARS = 16 * 1024;
/** Each string of a summarized item is cut to this many characters (the list shows 160). */
export const SUMMARY_TEXT_CHARS = 300;
/** Structures nested deeper than this are emptied in a summary, so a deep value cannot carry it past its size. */
const SUMMARY_DEPTH = 8;
/** What a number, boolean or null is counted as: at most this many characters of JSON. */
const SCALAR_CHARS = 24;

/** Generation fields the page's list shows, summarized first so the budget keeps them. */
const LISTED_FIELDS = ['type', 'provider', 'model', 'error', 'tags', 'metadata', 'prompt', 'template', 'messages'];

/** Whether `value`'s JSON is at most about `budget` characters; stops walking as soon as it is not. */
function fits(value: unknown, budget: { left: number }): boolean {
  if (typeof value === 'string') budget.left -= value.length + 2;
  else if (typeof value !== 'object' || value === null) budget.left -= SCALAR_CHARS;
  else if (Array.isArray(value)) {
    budget.left -= 2;
    for (const item of value) if (budget.left < 0 || !fits(item, budget)) return false;
  } else {
    budget.left -= 2;
    for (const [key, item] of Object.entries(value)) {
      budget.left -= key.length + 3;
      if (budget.left < 0 || !fits(item, budget)) return false;
    }
  }
  return budget.left >= 0;
}

/** `value` with strings cut and collections ended once the budget is spent. */
function summarized(value: unknown, budget: { left: number }, depth: number, order: readonly string[] = []): unknown {
  if (typeof value === 'string') {
    const text = truncateText(value, SUMMARY_TEXT_CHARS);
    budget.left -= text.length + 2;
    return text;
  }
  if (typeof value !== 'object' || value === null) {
    budget.left -= SCALAR_CHARS;
    return value;
  }
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    if (depth >= SUMMARY_DEPTH) return items;
    for (const item of value) {
      if (budget.left <= 0) break;
      items.push(summarized(item, budget, depth + 1));
    }
    return items;
  }
  const entries: Record<string, unknown> = {};
  if (depth >= SUMMARY_DEPTH) return entries;
  const source = value as Record<string, unknown>;
  const keys = [...order.filter((key) => Object.hasOwn(source, key)), ...Object.keys(source).filter((key) => !order.includes(key))];
  for (const key of keys) {
    if (budget.left <= 0) break;
    const name = truncateText(key, SUMMARY_TEXT_CHARS);
    budget.left -= name.length + 3;
    // defineProperty, so an own "__proto__" key stays a key.
    Object.defineProperty(entries, name, { value: summarized(source[key], budget, depth + 1), enumerable: true, writable: true });
  }
  return entries;
}

/**
 * A list row: the item itself when it is short, else its summary: every string cut to `SUMMARY_TEXT_CHARS` with
 * genspan's truncation marker, collections ended once about `LIST_ITEM_MAX_CHARS` is spent (the fields the list
 * shows first), and `truncated: true`. Ids, times and the status code are kept as they are.
 */
export function listSummary(item: GenerationItem): GenerationSummary {
  if (fits(item, { left: LIST_ITEM_MAX_CHARS })) return item;
  const budget = { left: LIST_ITEM_MAX_CHARS };
  const text = (value: string | null | undefined) => (typeof value === 'string' ? (summarized(value, budget, 0) as string) : value);
  return {
    ...item,
    serviceName: text(item.serviceName) ?? null,
    scope: { name: text(item.scope.name) ?? '', version: text(item.scope.version) },
    status: { code: item.status.code, message: text(item.status.message) },
    warnings: summarized(item.warnings, budget, 0) as string[],
    generation: summarized(item.generation, budget, 0, LISTED_FIELDS) as Record<string, unknown>,
    truncated: true,
  };
}
