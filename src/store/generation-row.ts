import { type Cost, CostSchema, type GenerationRecord } from '../generation/record.js';
import { StatusCode } from '../generation/status.js';
import { storedRecord } from '../ingest/stored-values.js';
import type { TranslationSource } from '../translate/types.js';
import { InvalidRecordError } from './errors.js';
import { searchText } from './search-text.js';

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
  /** The record's cost as JSON, or null. */
  cost: string | null;
  /** Its total, for the cost filters. */
  cost_total: number | null;
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
  'cost',
  'cost_total',
] as const satisfies readonly (keyof GenerationRow)[];

/** Columns that only serve the list's filters: the record holds their values in its generation. */
const FILTER_COLUMNS = ['model', 'provider', 'is_error', 'tags', 'search_text', 'cost_total'] as const;

type RecordColumn = Exclude<(typeof GENERATION_COLUMNS)[number], (typeof FILTER_COLUMNS)[number]>;

/** Columns read back to rebuild a record (and its sort key). */
export const RECORD_COLUMNS = GENERATION_COLUMNS.filter(
  (column): column is RecordColumn => !(FILTER_COLUMNS as readonly string[]).includes(column),
);

export type RecordColumns = Pick<GenerationRow, RecordColumn>;

/** Columns a list page reads: the record's, and the cost total the cost orders sort by. */
export const LIST_COLUMNS = [...RECORD_COLUMNS, 'cost_total'] as const;

/** A list page's row: its columns and `sort_value`, the value its order sorts by (null under `newest`), for the cursor. */
export type ListRow = RecordColumns & Pick<GenerationRow, 'cost_total'> & { sort_value: number | null };

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
  cost: string | null;
  cost_total: number | null;
}

export function generationFacets(record: Pick<GenerationRecord, 'generation' | 'warnings' | 'source' | 'cost'>): GenerationFacets {
  const generation = record.generation;
  const tags = Array.isArray(generation.tags) ? generation.tags.filter((tag): tag is string => typeof tag === 'string') : [];
  // A library caller may hand over a cost that is no valid cost (an infinite total): it is stored as none.
  const cost = record.cost && CostSchema.safeParse(record.cost).success ? record.cost : null;
  return {
    model: stringOrNull(generation.model),
    provider: stringOrNull(generation.provider),
    tags: JSON.stringify(tags),
    generationError: typeof generation.error === 'string' && generation.error.length > 0,
    search_text: searchText(generation),
    generation: JSON.stringify(generation),
    warnings: JSON.stringify(record.warnings),
    source: record.source,
    // Records built before costs existed, or by a library caller, may lack one.
    cost: cost ? JSON.stringify(cost) : null,
    cost_total: cost ? cost.total : null,
  };
}

/** Start time in ms since the epoch, the primary sort key. */
export function startMillis(record: Pick<GenerationRecord, 'startTime'>): number {
  const ms = Date.parse(record.startTime);
  if (Number.isNaN(ms)) throw new RangeError(`startTime is not an ISO-8601 time: ${JSON.stringify(record.startTime)}`);
  return ms;
}

/**
 * The row of a record, its strings bounded and made well-formed first (`storedRecord`): every record a store writes
 * passes here, ingested, imported or written by a library caller, so both stores hold, return and filter the same
 * text. A record that cannot be turned into a row is rejected with `InvalidRecordError`, never a raw error.
 */
export function toRow(record: GenerationRecord): GenerationRow {
  try {
    return buildRow(storedRecord(record));
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
    is_error: record.status.code === StatusCode.ERROR || facets.generationError,
    tags: facets.tags,
    search_text: facets.search_text,
    warnings: facets.warnings,
    generation: facets.generation,
    cost: facets.cost,
    cost_total: facets.cost_total,
  };
}

/**
 * A stored cost as read back: one that is not a valid cost (an infinite figure stored as JSON null by an older writer,
 * or a row edited by hand) reads as no cost, so one bad row never breaks a list or an export.
 */
function storedCost(text: string | null): Cost | null {
  if (text === null) return null;
  try {
    const parsed = CostSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
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
    cost: storedCost(row.cost),
    warnings: JSON.parse(row.warnings) as string[],
    generation: JSON.parse(row.generation) as Record<string, unknown>,
  };
}
