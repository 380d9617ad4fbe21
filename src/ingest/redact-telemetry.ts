import { GenAI, GenAIExtra, Genspan, Langfuse, OpenInference, OpenLLMetry, REDACTED, VercelAI } from '../semconv/keys.js';
import { isSecretEntry, looksLikeSecretKey, redactSecretsIn, redactUrlUserInfo } from '../semconv/redact.js';
import { clean, MAX_JSON_CHARS } from '../translate/read.js';
import type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan } from '../translate/types.js';

/**
 * Credentials are redacted from the spans and log records kept for joining before they are stored, by the rules the
 * translator redacts a generation with (`redactSecrets`), and only where the translator redacts: the generation
 * rebuilt from a kept span must be the one first built from the span as it came. So message content, which the
 * generation keeps as it is, is kept as it is here too.
 */

/** Attributes holding a JSON map the translator reads as settings, metadata or variables (a JSON string or a structured value). */
const JSON_MAPS: ReadonlySet<string> = new Set([
  OpenInference.INVOCATION_PARAMETERS,
  OpenInference.METADATA,
  OpenInference.PROMPT_TEMPLATE_VARIABLES,
  Genspan.SETTINGS,
  Genspan.METADATA,
  Genspan.VARIABLES,
  Langfuse.MODEL_PARAMETERS,
]);

/** Families of attributes, one per setting, metadata entry or variable; the translator does not parse their strings. */
const MAP_FAMILIES: readonly string[] = [
  GenAI.REQUEST_PREFIX,
  GenAIExtra.OPENAI_REQUEST_PREFIX,
  GenAI.PROMPT_VARIABLE_PREFIX,
  OpenLLMetry.TEMPLATE_VARIABLES_PREFIX,
  OpenLLMetry.ASSOCIATION_PROPERTIES_PREFIX,
  VercelAI.SETTINGS_PREFIX,
  VercelAI.METADATA_PREFIX,
  Langfuse.METADATA_PREFIX,
];

/** Entries of `llm.invocation_parameters` the translator reads as tool definitions, not settings: kept as they are. */
const TOOL_ENTRIES: ReadonlySet<string> = new Set(['tools', 'functions']);

/** `value` with its credentials redacted, or `value` itself when it holds none. */
function redacted<T>(value: T): T {
  const copy = redactSecretsIn(value);
  return copy.changed ? copy.value : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isMapFamily(key: string): boolean {
  return key !== GenAI.REQUEST_MODEL && MAP_FAMILIES.some((prefix) => key.startsWith(prefix));
}

/** A redacted copy of a JSON map, or undefined when nothing in it is a credential. */
function redactMap(key: string, map: Record<string, unknown>): Record<string, unknown> | undefined {
  if (key !== OpenInference.INVOCATION_PARAMETERS) {
    const copy = redactSecretsIn(map);
    return copy.changed ? copy.value : undefined;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(map)) {
    const entry = TOOL_ENTRIES.has(name) ? { value: { [name]: map[name] }, changed: false } : redactSecretsIn({ [name]: map[name] });
    changed ||= entry.changed;
    // Defined, not assigned: a `__proto__` entry stays an entry, as the translator sees it.
    Object.defineProperty(out, name, { value: entry.value[name], enumerable: true, writable: true, configurable: true });
  }
  return changed ? out : undefined;
}

function isJsonMapText(text: string): boolean {
  const first = text.trimStart().charAt(0);
  return first === '{' || first === '[';
}

/** A JSON map attribute with its credentials redacted; its text is kept byte for byte when it holds none. */
function redactJsonMap(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return isRecord(value) ? (redactMap(key, value) ?? value) : redacted(value);
  if (!isJsonMapText(value)) return redactUrlUserInfo(value);
  // The translator does not read a text this long, so no generation depends on it; it is not parsed here either.
  if (value.length > MAX_JSON_CHARS) return REDACTED;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return redactUrlUserInfo(value);
  }
  const copy = isRecord(parsed) ? redactMap(key, parsed) : redacted(parsed);
  if (copy === undefined || copy === parsed) return value;
  // Cut as the translator cuts what it reads (depth, items), so the text can be written back whatever its nesting.
  return JSON.stringify(clean(copy, key, []));
}

/** One attribute's value with its credentials redacted; the same value when it holds none. */
function redactAttribute(key: string, value: unknown): unknown {
  if (isSecretEntry(key, value)) return REDACTED;
  if (JSON_MAPS.has(key)) return redactJsonMap(key, value);
  // A group named like a credential (`proxy.auth`: a structured value) is walked: its own credentials go.
  if (isMapFamily(key) || looksLikeSecretKey(key)) return redacted(value);
  return value;
}

/** Attributes with their credentials redacted; the same object when none is. */
function redactAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const redacted = redactAttribute(key, value);
    if (redacted === value) continue;
    out ??= { ...attributes };
    out[key] = redacted;
  }
  return out ?? attributes;
}

function redactEvent(event: NormalizedEvent): NormalizedEvent {
  const attributes = redactAttributes(event.attributes);
  return attributes === event.attributes ? event : { ...event, attributes };
}

/** The span with its credentials redacted (attributes, event attributes, resource). Pure: the input is not modified. */
export function redactSpan(span: NormalizedSpan): NormalizedSpan {
  return {
    ...span,
    attributes: redactAttributes(span.attributes),
    events: span.events.map(redactEvent),
    resource: redacted(span.resource),
  };
}

/**
 * The log record with its credentials redacted: attributes, resource, and the entries of a structured body named like
 * a credential (its content, which the generation keeps, is kept). Pure: the input is not modified.
 */
export function redactLogRecord(record: NormalizedLogRecord): NormalizedLogRecord {
  return {
    ...record,
    body: isRecord(record.body) ? redactAttributes(record.body) : record.body,
    attributes: redactAttributes(record.attributes),
    resource: redacted(record.resource),
  };
}
