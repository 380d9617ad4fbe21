/**
 * The REST API's contract: the types of what `genspan serve` answers and the page reads. Types only, so the page
 * imports them without loading anything at run time.
 */
import type { Experiment } from './experiment.js';
import type { FacetField } from './list-query.js';
import type { GenerationRecord } from './record.js';
import type { StepRecord } from './step-record.js';

/**
 * A generation as the REST API returns it: the stored record, plus a link to its trace when Jaeger is known; the
 * detail (`GET /api/generations/:id`) also names its step (the span that owns it) and its trace's thread.
 */
export type GenerationItem = GenerationRecord & { jaegerUrl?: string; stepId?: string; threadId?: string | null };

/**
 * A row of `GET /api/generations`: the item itself, or when it is long, the item with every string of its generation
 * cut to a few hundred characters (ending with genspan's truncation marker), its collections ended once the list's
 * per-item size is spent, and `truncated: true`. `GET /api/generations/:id` answers the whole item.
 */
export type GenerationSummary = GenerationItem & { truncated?: true };

/** `GET /api/generations`: one page, newest first, of summaries whose size is bounded whatever is stored. */
export interface GenerationList {
  items: GenerationSummary[];
  nextCursor: string | null;
  total: ListTotal;
}

/**
 * How many generations match a list's filter: counted exactly up to `LIST_TOTAL_EXACT_BOUND`; above it `exact` is
 * false and `count` is an estimate above the bound (PostgreSQL's planner estimate, or SQLite's bound + 1: "more than").
 */
export interface ListTotal {
  count: number;
  exact: boolean;
}

/** One value of a facet and how many generations have it. */
export interface FacetValue {
  value: string;
  count: number;
}

/**
 * `GET /api/facets?field=model|provider|service|tag&<the list's filters>`: the field's values among the generations
 * the other filters match (the field's own filter is left out, so its alternatives show), most frequent first, at
 * most `FACET_LIMITS.values`. `exact` is false when more generations matched than `FACET_LIMITS.rows` (2,000): the counts
 * are then those of the newest that many.
 */
export interface FacetList {
  field: FacetField;
  values: FacetValue[];
  exact: boolean;
}

/** A configured provider as the page sees it: never its key. */
export interface ProviderInfo {
  /** What re-runs record as their `provider`, and what a re-run names to choose it. */
  name: string;
  /** The base URL without credentials or query. */
  url: string;
  keyEnv: string | null;
  /** Whether that environment variable is set (its value is never sent). */
  keySet: boolean;
}

/** `GET /api/playground/config`: what the page needs to know about the server. */
export interface PlaygroundConfig {
  /** Whether re-runs are on, and the first provider (the default) as earlier versions described their only one. */
  provider: {
    configured: boolean;
    /** The base URL without credentials or query. */
    url: string | null;
    keyEnv: string | null;
    /** Whether that environment variable is set (its value is never sent). */
    keySet: boolean;
  };
  /** Every configured provider, in order; empty when re-runs are off. */
  providers: ProviderInfo[];
  /** The Jaeger UI, for the page's link to all traces. */
  jaegerUrl: string | null;
  /** How to start the server with a provider. */
  configureCommand: string;
}

/** A recorded setting that is not sent to the provider, and why (an SDK option, not an OpenAI parameter...). */
export interface OmittedSetting {
  setting: string;
  reason: string;
}

/**
 * `POST /api/generations/:id/rerun/preview[?provider=NAME]`: what a re-run of the posted edit would send, without
 * sending it. `problem` is what would refuse it (an unanswered tool call, no model...), else null.
 */
export interface RerunPreview {
  provider: string;
  api: 'chat' | 'completions';
  /** The settings sent, under OpenAI's names and in its shapes. */
  settings: Record<string, unknown>;
  omitted: OmittedSetting[];
  problem: string | null;
}

/**
 * One line of `POST /api/generations/:id/rerun[?provider=NAME]`'s answer (`application/x-ndjson`). Without a name,
 * the provider is the generation's recorded one when configured, else the first.
 */
export type RerunEvent =
  | { type: 'start'; rerunOf: string; model: string; api: 'chat' | 'completions'; provider: string; omitted: OmittedSetting[] }
  | { type: 'delta'; text: string }
  | { type: 'done'; id: string; error: string | null; generation: Record<string, unknown> }
  | { type: 'error'; message: string };

/** The body of every answer other than 2xx. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** `GET /api/experiments`: every experiment, newest first. */
export interface ExperimentList {
  items: Experiment[];
}

/** A source's or a result's generation as the experiment view shows it; numbers are null when unknown. */
export interface ExperimentCell {
  /** The generation record, or null when none was made. */
  generationId: string | null;
  /** The output's text: the completion, or the assistant message's text and tool calls. */
  output: string | null;
  error: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  tokens: number | null;
  /** From the start of the call to its end, in milliseconds. */
  latencyMs: number | null;
  /** USD. */
  cost: number | null;
}

/** One source generation: its own cell, and one per variant (null while that result is still to come). */
export interface ExperimentRow {
  sourceId: string;
  /** Null when the source is no longer stored. */
  original: ExperimentCell | null;
  results: (ExperimentCell | null)[];
}

/** Totals and means of one column (the originals, or one variant), over the cells it has. */
export interface ExperimentColumn {
  results: number;
  errors: number;
  /** errors / results; null without results. */
  errorRate: number | null;
  tokens: { total: number; mean: number | null };
  cost: { total: number; mean: number | null };
  latencyMs: { p50: number | null; p95: number | null };
  /** Share of outputs identical to their original's (variants only; null for the originals' column or without results). */
  identicalShare: number | null;
  /** Share of outputs that are valid JSON, when the variant sets a response format; else null. */
  validJsonShare: number | null;
}

/** `GET /api/experiments/:id`. */
export interface ExperimentDetail {
  experiment: Experiment;
  original: ExperimentColumn;
  variants: ExperimentColumn[];
  rows: ExperimentRow[];
}

/** `GET /api/traces/:traceId`: the trace's steps in tree order (depth first, siblings by start time). */
export interface TraceDetail {
  traceId: string;
  threadId: string | null;
  steps: StepRecord[];
  jaegerUrl?: string;
}

/** A row of `GET /api/traces`, newest first. */
export interface TraceSummary {
  traceId: string;
  threadId: string | null;
  /** The root step's name (null when the trace has no steps). */
  name: string | null;
  serviceName: string | null;
  startTime: string;
  endTime: string;
  durationMs: number;
  steps: number;
  generations: number;
  /** Total tokens of its generations; null when none recorded any. */
  tokens: number | null;
  /** Whether a step failed. */
  error: boolean;
}

export interface TraceList {
  items: TraceSummary[];
  nextCursor: string | null;
}

/** A row of `GET /api/threads`, most recently active first. */
export interface ThreadSummary {
  id: string;
  /** The given name, else the first user input. */
  name: string | null;
  userId: string | null;
  startTime: string;
  endTime: string;
  traces: number;
}

export interface ThreadList {
  items: ThreadSummary[];
  nextCursor: string | null;
}

/** One turn of a thread: a trace, with its root step's input and output. */
export interface ThreadTurn {
  traceId: string;
  name: string | null;
  startTime: string;
  endTime: string;
  input: string | null;
  output: string | null;
  error: string | null;
}

/** `GET /api/threads/:id`: the thread with its traces in time order. */
export interface ThreadDetail extends Omit<ThreadSummary, 'traces'> {
  traces: ThreadTurn[];
}
