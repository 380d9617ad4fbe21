import type { GenerationRecord } from '../generation/record.js';
import type { StepRecord, TraceThread } from '../generation/step-record.js';
import { truncateText } from '../semconv/encode.js';
import { MAX_TEXT_CHARS } from '../translate/read.js';

/**
 * Cap, in characters, on each stored string that is not the call's content: settings, metadata, tool definitions,
 * tags and every string inside them, the error, the status message, the service and scope names, warnings. Far
 * above any real setting or error message, and small enough that a record's size is dominated by its content.
 */
export const MAX_STORED_VALUE_CHARS = 64 * 1024;

/**
 * Generation fields that hold the call's content, capped as the translator caps content (`MAX_TEXT_CHARS`):
 * variables are content too, since the prompt holds them whole.
 */
const CONTENT_FIELDS: ReadonlySet<string> = new Set(['prompt', 'completion', 'template', 'messages', 'messageCompletion', 'variables']);

/** ES2024 string methods, present since Node 20 (V8 11.1); the compiler's library stops at ES2023, which Node 20 has whole. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** Each lone UTF-16 surrogate replaced by one U+FFFD, as every store would otherwise do in its own way. */
export function wellFormed(text: string): string {
  const view = text as unknown as WellFormedString;
  return view.isWellFormed() ? text : view.toWellFormed();
}

interface Bounding {
  limit: number;
  /** How many strings were cut. */
  cut: number;
}

function boundedString(text: string, bounding: Bounding): string {
  const normalized = wellFormed(text);
  if (normalized.length <= bounding.limit) return normalized;
  bounding.cut += 1;
  return truncateText(normalized, bounding.limit);
}

function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, so an own "__proto__" key (JSON.parse makes them) stays a key instead of swapping the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The value with every string (object keys included) well-formed and capped; the same value when nothing changed. */
function bounded(value: unknown, bounding: Bounding): unknown {
  if (typeof value === 'string') return boundedString(value, bounding);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const next = bounded(item, bounding);
      if (next !== item) {
        copy ??= value.slice();
        copy[index] = next;
      }
    }
    return copy ?? value;
  }
  const entries = value as Record<string, unknown>;
  const keys = Object.keys(entries);
  let copy: Record<string, unknown> | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index];
    const item = entries[key];
    const nextKey = boundedString(key, bounding);
    const next = bounded(item, bounding);
    if (copy === undefined && (nextKey !== key || next !== item)) {
      copy = {};
      for (const earlier of keys.slice(0, index)) setEntry(copy, earlier, entries[earlier]);
    }
    if (copy !== undefined) setEntry(copy, nextKey, next);
  }
  return copy ?? value;
}

function boundedText<T extends string | null | undefined>(text: T, bounding: Bounding): T {
  return (typeof text === 'string' ? boundedString(text, bounding) : text) as T;
}

/**
 * The record as it is stored: every string well-formed (lone surrogates replaced, so SQLite and PostgreSQL hold and
 * filter the same text) and capped with genspan's truncation marker, content at `MAX_TEXT_CHARS`, everything else at
 * `MAX_STORED_VALUE_CHARS`; a warning counts the values cut. Ids and times are left as they are (they are checked
 * elsewhere). Returns the same record when nothing changed, so the common case allocates nothing.
 */
export function storedRecord(record: GenerationRecord): GenerationRecord {
  const values: Bounding = { limit: MAX_STORED_VALUE_CHARS, cut: 0 };
  const content: Bounding = { limit: MAX_TEXT_CHARS, cut: 0 };
  const source = record.generation;
  let generation: Record<string, unknown> | undefined;
  for (const field of Object.keys(source)) {
    const item = source[field];
    const next = bounded(item, CONTENT_FIELDS.has(field) ? content : values);
    if (next === item) continue;
    generation ??= { ...source };
    setEntry(generation, field, next);
  }
  const serviceName = boundedText(record.serviceName, values);
  const scopeName = boundedText(record.scope.name, values);
  const scopeVersion = boundedText(record.scope.version, values);
  const statusMessage = boundedText(record.status.message, values);
  const warnings = bounded(record.warnings, values) as string[];
  const cut = values.cut + content.cut;
  if (
    generation === undefined &&
    cut === 0 &&
    serviceName === record.serviceName &&
    scopeName === record.scope.name &&
    scopeVersion === record.scope.version &&
    statusMessage === record.status.message &&
    warnings === record.warnings
  ) {
    return record;
  }
  return {
    ...record,
    serviceName,
    scope: { ...record.scope, name: scopeName, version: scopeVersion },
    status: { ...record.status, message: statusMessage },
    warnings:
      cut === 0
        ? warnings
        : [
            ...warnings,
            `${cut} stored value${cut === 1 ? ' was' : 's were'} too long and cut (each ends with genspan's truncation marker)`,
          ],
    generation: generation ?? source,
  };
}

/**
 * The step as it is stored, bounded as records are: input and output are content (`MAX_TEXT_CHARS`), every other
 * string (name, error, tags, metadata, service) at `MAX_STORED_VALUE_CHARS`, all well-formed. Ids and times are left
 * as they are. Returns the same step when nothing changed.
 */
export function storedStep(step: StepRecord): StepRecord {
  const values: Bounding = { limit: MAX_STORED_VALUE_CHARS, cut: 0 };
  const content: Bounding = { limit: MAX_TEXT_CHARS, cut: 0 };
  const stored = {
    name: boundedString(step.name, values),
    input: boundedText(step.input, content),
    output: boundedText(step.output, content),
    error: boundedText(step.error, values),
    tags: bounded(step.tags, values) as string[],
    metadata: bounded(step.metadata, values) as Record<string, unknown>,
    serviceName: boundedText(step.serviceName, values),
  };
  const changed = (Object.keys(stored) as (keyof typeof stored)[]).some((key) => stored[key] !== step[key]);
  return changed ? { ...step, ...stored } : step;
}

/** What a trace says of its thread, bounded as other stored values (`MAX_STORED_VALUE_CHARS`) and well-formed. */
export function storedThread(thread: TraceThread): TraceThread {
  const values: Bounding = { limit: MAX_STORED_VALUE_CHARS, cut: 0 };
  const threadId = boundedString(thread.threadId, values);
  const threadName = boundedText(thread.threadName, values);
  const userId = boundedText(thread.userId, values);
  if (threadId === thread.threadId && threadName === thread.threadName && userId === thread.userId) return thread;
  return { ...thread, threadId, threadName, userId };
}
