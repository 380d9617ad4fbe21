import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { GenerationIngest } from '../ingest/ingest.js';
import type { PricesOption } from '../ingest/prices.js';
import type { KeepSpans } from '../ingest/steps.js';
import type { PlaygroundStore } from '../store/types.js';
import { normalizeReadableSpan } from '../translate/normalize.js';
import type { NormalizedSpan } from '../translate/types.js';
import { QueuedExporter } from './queued-exporter.js';
import { type RetryOptions, WriteQueue } from './write-queue.js';

export interface PlaygroundExporterOptions extends RetryOptions {
  /** Where generation records go. The exporter does not close it: whoever opened the store does. */
  store: PlaygroundStore;
  /**
   * Prices of generations whose spans carry no cost: genspan's own by default; a price table, its data or a file's path
   * merge yours over them (`PricesOption`). One that cannot be used is reported and genspan's prices are used.
   */
  prices?: PricesOption;
  /** Which spans of a trace with AI work become steps: `ai` (default) or `all` (see `KeepSpans`). */
  keepSpans?: KeepSpans;
}

/**
 * A `SpanExporter` that turns spans into steps and generation records in a playground store: AI spans, and the
 * spans of their traces the keep policy keeps; spans of other traces wait in memory a while, then are let go of.
 * Selected spans are buffered as the SDK made them and translated as they are written, one store write at a time; a
 * failing store is retried with backoff while the spans wait in a bounded buffer. Nothing here throws into the
 * application. `droppedRecords` counts what was lost: buffer full, retries exhausted, rejected by the store,
 * exported after shutdown, or a span that could not be read.
 */
export class PlaygroundExporter extends QueuedExporter<ReadableSpan, NormalizedSpan> implements SpanExporter {
  readonly ingest: GenerationIngest;

  constructor(options: PlaygroundExporterOptions) {
    const ingest = new GenerationIngest(options.store, { prices: options.prices, keepSpans: options.keepSpans });
    super(
      {
        normalize: normalizeReadableSpan,
        select: (spans) => ingest.selectSpans(spans).spans,
        unreadable: 'the spans could not be read',
        failure: 'span export failed',
      },
      new WriteQueue((spans) => ingest.ingestSpans(spans), 'generation records', options),
    );
    this.ingest = ingest;
  }
}
