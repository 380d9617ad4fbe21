import { GenerationMetadata, GenerationSettings, REDACTED } from './keys.js';
import { SETTING_NAMES } from './settings.js';

/**
 * Settings keys that look like credentials. `max_tokens` and other `*_tokens` counts are not credentials, so
 * `token` matches only as a whole word at the end of a key (`token`, `access_token`, `authToken`), and a
 * tokenizer's special tokens (`eos_token`, `pad_token`, `stop_token`...) are model settings, not secrets.
 */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = [
  /api[-_]?key|authorization|passw(or)?d|secret|credential|cookie|headers?$/i,
  /^(?!(eos|bos|pad|unk|sep|cls|mask|stop)[-_]token$)(.*[-_])?token$/i,
  /^(?!(eos|bos|pad|unk|sep|cls|mask|stop)Token$).*[a-z]Token$/,
];

export type RedactRule = string | RegExp;

function matchesPatterns(key: string): boolean {
  return DEFAULT_REDACT_PATTERNS.some((pattern) => pattern.test(key));
}

/**
 * The settings and metadata names genspan itself gives, which are not credentials: they recur on every call, and a
 * lookup costs less than the patterns. Built once from the tables and the patterns, so it cannot disagree with them.
 */
const PLAIN_KEYS: ReadonlySet<string> = new Set(
  [...SETTING_NAMES, ...Object.values(GenerationMetadata), ...Object.values(GenerationSettings)].filter((key) => !matchesPatterns(key)),
);

/** Whether a key looks like a credential by the default patterns. */
export function looksLikeSecretKey(key: string): boolean {
  return !PLAIN_KEYS.has(key) && matchesPatterns(key);
}

function matches(key: string, rules: readonly RedactRule[]): boolean {
  if (looksLikeSecretKey(key)) return true;
  for (const rule of rules) {
    if (typeof rule === 'string' ? rule.toLowerCase() === key.toLowerCase() : rule.test(key)) return true;
  }
  return false;
}

/**
 * Copies `value`, replacing every value whose key looks like a credential (at any depth) with `[REDACTED]`.
 * A whole header map is one such value. The input is never modified.
 */
export function redactSecrets<T>(value: T, extraRules: readonly RedactRule[] = []): T {
  const visit = (node: unknown, depth: number): unknown => {
    if (depth > 32 || typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      out[key] = matches(key, extraRules) ? REDACTED : visit(child, depth + 1);
    }
    return out;
  };
  return visit(value, 0) as T;
}
