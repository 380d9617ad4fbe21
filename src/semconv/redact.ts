import { GenerationMetadata, GenerationSettings, REDACTED } from './keys.js';
import { SETTING_NAMES } from './settings.js';

/**
 * Names that look like credentials, matched against each dotted segment of a key (`gen_ai.request.api_key`). Token
 * counts (`max_tokens`) are not credentials, so `token` matches only as a whole word at the end of a name (`token`,
 * `access_token`, `authToken`), a tokenizer's special tokens (`eos_token`, `pad_token`...) are model settings, and a
 * time to a token (`time_to_first_token`, `timeToFirstToken`) is a duration.
 * Likewise `*_key` names a key (`private_key`, `azure_openai_key`) except the few that name a cache or a public key.
 */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = [
  /api[-_]?key|authorization|passw(or)?d|secret|credential|cookie|bearer|headers?$/i,
  /^(?!(eos|bos|pad|unk|sep|cls|mask|stop)[-_]token$|.*time[-_]to[-_]\w*token$)(.*[-_])?token$/i,
  /^(?!(eos|bos|pad|unk|sep|cls|mask|stop)Token$|.*timeTo\w*Token$).*[a-z]Token$/,
  /^(?!((prompt[-_]?)?cache|public|partition|sort|primary|foreign)[-_]key$).+[-_]key$/i,
  /^(?!(promptCache|cache|public|partition|sort|primary|foreign)Key$).*[a-z]Key$/,
];

/**
 * `auth` (`auth`, `basic_auth`, `auth_header`, `proxyAuth`) names a credential when it holds one, and a group of
 * settings when it holds an object: such an object is walked, so its own credentials are redacted one by one.
 */
const AUTH_PATTERNS: readonly RegExp[] = [/(^|[-_])auth(n|entication)?([-_]|$)/i, /^auth[A-Z]|[a-z]Auth$/];

export type RedactRule = string | RegExp;

/** Each dotted segment of a key: `http.request.header.authorization` names a credential by its last one. */
function segments(key: string): readonly string[] {
  return key.includes('.') ? key.split('.') : [key];
}

/** A word every pattern above needs: a key without one is no credential, and most keys are ruled out by this test alone. */
const CANDIDATE = /key|auth|passw|secret|credential|cookie|bearer|header|token/i;

function matchesAny(key: string, patterns: readonly RegExp[]): boolean {
  if (!CANDIDATE.test(key)) return false;
  for (const segment of segments(key)) if (patterns.some((pattern) => pattern.test(segment))) return true;
  return false;
}

/**
 * The settings and metadata names genspan itself gives, which are not credentials: they recur on every call, and a
 * lookup costs less than the patterns. Built once from the tables and the patterns, so it cannot disagree with them.
 */
const PLAIN_KEYS: ReadonlySet<string> = new Set(
  [...SETTING_NAMES, ...Object.values(GenerationMetadata), ...Object.values(GenerationSettings)].filter(
    (key) => !matchesAny(key, DEFAULT_REDACT_PATTERNS) && !matchesAny(key, AUTH_PATTERNS),
  ),
);

/** Whether a key may name a credential by the default patterns (an `auth` key only if its value is not an object). */
export function looksLikeSecretKey(key: string): boolean {
  return !PLAIN_KEYS.has(key) && (matchesAny(key, DEFAULT_REDACT_PATTERNS) || matchesAny(key, AUTH_PATTERNS));
}

function isGroup(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the value under `key` is a credential, by the default patterns and the caller's rules. */
export function isSecretEntry(key: string, value: unknown, rules: readonly RedactRule[] = []): boolean {
  if (!PLAIN_KEYS.has(key)) {
    if (matchesAny(key, DEFAULT_REDACT_PATTERNS)) return true;
    if (!isGroup(value) && matchesAny(key, AUTH_PATTERNS)) return true;
  }
  for (const rule of rules) {
    if (typeof rule === 'string' ? rule.toLowerCase() === key.toLowerCase() : rule.test(key)) return true;
  }
  return false;
}

/**
 * The user-info of a URL (`https://user:pass@host`): what precedes the host, up to its `@`. Not global, so testing
 * with it keeps no state (`lastIndex`); replacing every match uses a global copy made for the call.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/i;

/** Whether some URL in `text` carries user-info. */
export function hasUrlUserInfo(text: string): boolean {
  return text.includes('@') && URL_USER_INFO.test(text);
}

/** `text` with the user-info of every URL in it replaced by `[REDACTED]`; the rest of the URL is kept. */
export function redactUrlUserInfo(text: string): string {
  return hasUrlUserInfo(text) ? text.replace(new RegExp(URL_USER_INFO.source, 'gi'), `$1${REDACTED}@`) : text;
}

/** Whether `redactSecrets` could change the value under `key`: a credential-like key, a nested value or a URL with user-info. */
export function mayHoldSecret(key: string, value: unknown): boolean {
  if (looksLikeSecretKey(key)) return true;
  if (typeof value === 'string') return hasUrlUserInfo(value);
  return typeof value === 'object' && value !== null;
}

function setOwn(target: Record<string, unknown> | unknown[], key: string, value: unknown): void {
  // A `__proto__` key (JSON.parse makes it an own property) stays a plain key instead of replacing the prototype.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

/** A redacted copy and whether anything was redacted, so a caller can keep the original when nothing was. */
export interface Redacted<T> {
  value: T;
  changed: boolean;
}

/**
 * Copies `value`, replacing every value whose key looks like a credential with `[REDACTED]` and the user-info of every
 * URL in a string with `[REDACTED]`, at any depth: the walk keeps its own stack, so no nesting can exhaust the call
 * stack, and a value reached twice (or a cycle) is copied once. Byte arrays are kept as they are.
 */
export function redactSecretsIn<T>(value: T, extraRules: readonly RedactRule[] = []): Redacted<T> {
  let changed = false;
  const copies = new Map<object, unknown[] | Record<string, unknown>>();
  const pending: [object, unknown[] | Record<string, unknown>][] = [];
  const copy = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const text = redactUrlUserInfo(node);
      if (text !== node) changed = true;
      return text;
    }
    if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return node;
    let target = copies.get(node);
    if (target === undefined) {
      target = Array.isArray(node) ? new Array<unknown>(node.length) : {};
      copies.set(node, target);
      pending.push([node, target]);
    }
    return target;
  };
  const root = copy(value);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [source, target] = next;
    if (Array.isArray(source)) {
      for (let i = 0; i < source.length; i++) (target as unknown[])[i] = copy(source[i]);
      continue;
    }
    for (const key of Object.keys(source)) {
      const child = (source as Record<string, unknown>)[key];
      if (isSecretEntry(key, child, extraRules)) {
        changed = true;
        setOwn(target, key, REDACTED);
      } else {
        setOwn(target, key, copy(child));
      }
    }
  }
  return { value: root as T, changed };
}

/** `redactSecretsIn`'s copy alone. The input is never modified. */
export function redactSecrets<T>(value: T, extraRules: readonly RedactRule[] = []): T {
  return redactSecretsIn(value, extraRules).value;
}
