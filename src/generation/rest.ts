/**
 * The REST API's contract: the types of what `genspan serve` answers and the page reads. Types only, so the page
 * imports them without loading anything at run time.
 */
import type { GenerationRecord } from './record.js';

/** A generation as the REST API returns it: the stored record, plus a link to its trace when Jaeger is known. */
export type GenerationItem = GenerationRecord & { jaegerUrl?: string };

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
}

/** `GET /api/playground/config`: what the page needs to know about the server. */
export interface PlaygroundConfig {
  provider: {
    configured: boolean;
    /** The base URL without credentials or query. */
    url: string | null;
    keyEnv: string | null;
    /** Whether that environment variable is set (its value is never sent). */
    keySet: boolean;
  };
  /** The Jaeger UI, for the page's link to all traces. */
  jaegerUrl: string | null;
  /** How to start the server with a provider. */
  configureCommand: string;
}

/** One line of `POST /api/generations/:id/rerun`'s answer (`application/x-ndjson`). */
export type RerunEvent =
  | { type: 'start'; rerunOf: string; model: string; api: 'chat' | 'completions' }
  | { type: 'delta'; text: string }
  | { type: 'done'; id: string; error: string | null; generation: Record<string, unknown> }
  | { type: 'error'; message: string };

/** The body of every answer other than 2xx. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}
