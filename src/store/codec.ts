import { createHash } from 'node:crypto';
import type { ListFilter } from '../generation/filter.js';
import type { GenerationRecord } from '../generation/record.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationSource } from '../translate/types.js';
import { InvalidListFilterError, InvalidRecordError } from './errors.js';

/**
 * What both stores persist for a record, column by column: the record's own fields plus the values the
 * filters read (model, provider, tags, error flag, lowercased search text, start time in ms for sorting).
 */
export interface GenerationRow {
  trace_id: string;
  span_id: string;
  id: string;
  parent_span_id: string | null;
  service_name: string | null;
  scope_name: string;
  scope_version: string | null;
  source: string;
  start_time: string;
  end_time: string;
  start_ms: number;
  status_code: number;
  status_message: string | null;
  model: string | null;
  provider: string | null;
  is_error: boolean;
  /** JSON array of the generation's tags. */
  tags: string;
  search_text: string;
  /** JSON array. */
  warnings: string;
  /** The wire JSON. */
  generation: string;
}

/** Insert order of the generation columns, shared by both stores' DDL and statements. */
export const GENERATION_COLUMNS = [
  'trace_id',
  'span_id',
  'id',
  'parent_span_id',
  'service_name',
  'scope_name',
  'scope_version',
  'source',
  'start_time',
  'end_time',
  'start_ms',
  'status_code',
  'status_message',
  'model',
  'provider',
  'is_error',
  'tags',
  'search_text',
  'warnings',
  'generation',
] as const satisfies readonly (keyof GenerationRow)[];

/** Columns read back to rebuild a record (and its sort key). */
export const RECORD_COLUMNS = [
  'id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'service_name',
  'scope_name',
  'scope_version',
  'source',
  'start_time',
  'end_time',
  'start_ms',
  'status_code',
  'status_message',
  'warnings',
  'generation',
] as const satisfies readonly (keyof GenerationRow)[];

export type RecordColumns = Pick<GenerationRow, (typeof RECORD_COLUMNS)[number]>;

/** Search text parts are joined with a control character, so a query never matches across two messages. */
const SEARCH_SEPARATOR = '\u001f';
const STATUS_ERROR = 2;

function contentText(content: unknown, into: string[]): void {
  if (typeof content === 'string') {
    into.push(content);
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        into.push((part as { text: string }).text);
      }
    }
  }
}

/** The lowercased prompt, completion and message text a `q` filter searches. */
export function searchText(generation: Record<string, unknown>): string {
  const parts: string[] = [];
  contentText(generation.prompt, parts);
  contentText(generation.completion, parts);
  if (Array.isArray(generation.messages)) {
    for (const message of generation.messages) {
      if (message && typeof message === 'object') contentText((message as { content?: unknown }).content, parts);
    }
  }
  const completion = generation.messageCompletion;
  if (completion && typeof completion === 'object') contentText((completion as { content?: unknown }).content, parts);
  return parts.join(SEARCH_SEPARATOR).toLowerCase();
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The filterable values derived from a generation (they change when `updateGenerations` replaces it). */
export interface GenerationFacets {
  model: string | null;
  provider: string | null;
  tags: string;
  /** True when the generation itself carries an error (the status adds to it). */
  generationError: boolean;
  search_text: string;
  generation: string;
  warnings: string;
  source: string;
}

export function generationFacets(record: Pick<GenerationRecord, 'generation' | 'warnings' | 'source'>): GenerationFacets {
  const generation = record.generation;
  const tags = Array.isArray(generation.tags) ? generation.tags.filter((tag): tag is string => typeof tag === 'string') : [];
  return {
    model: stringOrNull(generation.model),
    provider: stringOrNull(generation.provider),
    tags: JSON.stringify(tags),
    generationError: typeof generation.error === 'string' && generation.error.length > 0,
    search_text: searchText(generation),
    generation: JSON.stringify(generation),
    warnings: JSON.stringify(record.warnings),
    source: record.source,
  };
}

/** Start time in ms since the epoch, the primary sort key. */
export function startMillis(record: Pick<GenerationRecord, 'startTime'>): number {
  const ms = Date.parse(record.startTime);
  if (Number.isNaN(ms)) throw new RangeError(`startTime is not an ISO-8601 time: ${JSON.stringify(record.startTime)}`);
  return ms;
}

/** The row of a record; a record that cannot be turned into one is rejected with `InvalidRecordError`, never a raw error. */
export function toRow(record: GenerationRecord): GenerationRow {
  try {
    return buildRow(record);
  } catch (error) {
    const id = typeof record?.id === 'string' ? ` ${record.id}` : '';
    throw new InvalidRecordError(`record${id} cannot be stored: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

function buildRow(record: GenerationRecord): GenerationRow {
  const facets = generationFacets(record);
  return {
    trace_id: record.traceId.toLowerCase(),
    span_id: record.spanId.toLowerCase(),
    id: record.id,
    parent_span_id: record.parentSpanId ? record.parentSpanId.toLowerCase() : null,
    service_name: record.serviceName ?? null,
    scope_name: record.scope.name,
    scope_version: record.scope.version ?? null,
    source: facets.source,
    start_time: record.startTime,
    end_time: record.endTime,
    start_ms: startMillis(record),
    status_code: record.status.code,
    status_message: record.status.message ?? null,
    model: facets.model,
    provider: facets.provider,
    is_error: record.status.code === STATUS_ERROR || facets.generationError,
    tags: facets.tags,
    search_text: facets.search_text,
    warnings: facets.warnings,
    generation: facets.generation,
  };
}

export function fromRow(row: RecordColumns): GenerationRecord {
  return {
    id: row.id,
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    serviceName: row.service_name,
    scope: { name: row.scope_name, version: row.scope_version },
    source: row.source as TranslationSource,
    startTime: row.start_time,
    endTime: row.end_time,
    status: { code: Number(row.status_code), message: row.status_message },
    warnings: JSON.parse(row.warnings) as string[],
    generation: JSON.parse(row.generation) as Record<string, unknown>,
  };
}

// ---- Normalized spans and log records as JSON (bigint times as decimal strings) ----

/** Attribute values may hold bigints (OTLP int64) and bytes; tagged so they come back as they were. */
interface TaggedBigint {
  $bigint: string;
}
interface TaggedBytes {
  $bytes: string;
}

function tagValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() } satisfies TaggedBigint;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') } satisfies TaggedBytes;
  return value;
}

function untagValue(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const tagged = value as Partial<TaggedBigint & TaggedBytes>;
      if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
      if (typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'));
    }
  }
  return value;
}

export function encodeSpan(span: NormalizedSpan): string {
  return JSON.stringify(
    {
      ...span,
      startTimeUnixNano: span.startTimeUnixNano.toString(),
      endTimeUnixNano: span.endTimeUnixNano.toString(),
      events: span.events.map((event) => ({ ...event, timeUnixNano: event.timeUnixNano.toString() })),
    },
    tagValue,
  );
}

export function decodeSpan(text: string): NormalizedSpan {
  const raw = JSON.parse(text, untagValue) as Omit<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano' | 'events'> & {
    startTimeUnixNano: string;
    endTimeUnixNano: string;
    events: { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
  };
  return {
    ...raw,
    startTimeUnixNano: BigInt(raw.startTimeUnixNano),
    endTimeUnixNano: BigInt(raw.endTimeUnixNano),
    events: raw.events.map((event) => ({ ...event, timeUnixNano: BigInt(event.timeUnixNano) })),
  };
}

export function encodeLog(record: NormalizedLogRecord): string {
  return JSON.stringify({ ...record, timeUnixNano: record.timeUnixNano.toString() }, tagValue);
}

export function decodeLog(text: string): NormalizedLogRecord {
  const raw = JSON.parse(text, untagValue) as Omit<NormalizedLogRecord, 'timeUnixNano'> & { timeUnixNano: string };
  return { ...raw, timeUnixNano: BigInt(raw.timeUnixNano) };
}

/** A log record as stored: joined to its span, keyed by a hash of its content so a redelivery is stored once. */
export interface LogRow {
  key: string;
  trace_id: string;
  span_id: string;
  time_unix_nano: bigint;
  record: string;
}

/** Rows for the log records that name a span; records without a span id cannot join a generation and are not kept. */
export function toLogRows(records: readonly NormalizedLogRecord[]): LogRow[] {
  const rows: LogRow[] = [];
  for (const record of records) {
    if (!record.traceId || !record.spanId) continue;
    const encoded = encodeLog(record);
    rows.push({
      key: createHash('sha256').update(encoded).digest('base64url'),
      trace_id: record.traceId.toLowerCase(),
      span_id: record.spanId.toLowerCase(),
      time_unix_nano: record.timeUnixNano,
      record: encoded,
    });
  }
  return rows;
}

// ---- list() filters, shared by both SQL dialects ----

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

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

export interface NormalizedFilter {
  traceId?: string;
  serviceName?: string;
  model?: string;
  provider?: string;
  tag?: string;
  source?: string;
  errorsOnly: boolean;
  fromMs?: number;
  toMs?: number;
  /** Lowercased. */
  q?: string;
  limit: number;
  after?: SortKey;
}

function timeFilter(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidListFilterError(`${name} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return ms;
}

function textFilter(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function normalizeFilter(filter: ListFilter = {}): NormalizedFilter {
  let limit = DEFAULT_PAGE_LIMIT;
  if (filter.limit !== undefined) {
    if (!Number.isInteger(filter.limit) || filter.limit < 1) {
      throw new InvalidListFilterError(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}, got ${String(filter.limit)}`);
    }
    limit = Math.min(filter.limit, MAX_PAGE_LIMIT);
  }
  const q = textFilter(filter.q);
  return {
    traceId: textFilter(filter.traceId)?.toLowerCase(),
    serviceName: textFilter(filter.serviceName),
    model: textFilter(filter.model),
    provider: textFilter(filter.provider),
    tag: textFilter(filter.tag),
    source: textFilter(filter.source),
    errorsOnly: filter.errorsOnly === true,
    fromMs: timeFilter('from', filter.from),
    toMs: timeFilter('to', filter.to),
    q: q?.toLowerCase(),
    limit,
    after: filter.cursor ? decodeCursor(filter.cursor) : undefined,
  };
}

/** How one SQL dialect spells the few conditions that differ. */
export interface FilterDialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(index: number): string;
  tagContains(param: string): string;
  textContains(param: string): string;
  errorsOnly: string;
}

/** The WHERE clause (empty or starting with `WHERE`) and its parameters; values are always bound, never spliced. */
export function whereClause(filter: NormalizedFilter, dialect: FilterDialect): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const equals: [string, string | undefined][] = [
    ['trace_id', filter.traceId],
    ['service_name', filter.serviceName],
    ['model', filter.model],
    ['provider', filter.provider],
    ['source', filter.source],
  ];
  for (const [column, value] of equals) if (value !== undefined) conditions.push(`${column} = ${bind(value)}`);
  if (filter.tag !== undefined) conditions.push(dialect.tagContains(bind(filter.tag)));
  if (filter.errorsOnly) conditions.push(dialect.errorsOnly);
  if (filter.fromMs !== undefined) conditions.push(`start_ms >= ${bind(filter.fromMs)}`);
  if (filter.toMs !== undefined) conditions.push(`start_ms < ${bind(filter.toMs)}`);
  if (filter.q !== undefined) conditions.push(dialect.textContains(bind(filter.q)));
  if (filter.after) conditions.push(`(start_ms, id) < (${bind(filter.after.startMs)}, ${bind(filter.after.id)})`);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
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
