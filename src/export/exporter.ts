import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IngestStore } from '../store/types.js';
import { normalizeReadableSpan } from '../translate/normalize.js';
import type { NormalizedSpan } from '../translate/types.js';
import { GenerationIngest } from './ingest.js';
import { errorMessage, report } from './diagnostics.js';
import { callOnce, WriteQueue, type RetryOptions } from './write-queue.js';

export interface PlaygroundExporterOptions extends RetryOptions {
  /** Where generation records go. The exporter does not close it: whoever opened the store does. */
  store: IngestStore;
}

/**
 * A `SpanExporter` that turns LLM spans into generation records in a playground store; other spans are ignored.
 * LLM spans are buffered as they are and translated as they are written, one store write at a time; a failing store is retried with backoff
 * while the records wait in a bounded buffer. Nothing here throws into the application.
 */
export class PlaygroundExporter implements SpanExporter {
  readonly ingest: GenerationIngest;
  private readonly queue: WriteQueue<NormalizedSpan>;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: PlaygroundExporterOptions) {
    this.ingest = new GenerationIngest(options.store);
    this.queue = new WriteQueue((spans) => this.ingest.ingestSpans(spans), 'generation records', options);
  }

  /**
   * Generation records dropped: buffer full, retries exhausted, rejected by the store, or exported after shutdown.
   * A span that could not be read, or a batch that could not be translated, counts as one dropped record per span.
   */
  get droppedRecords(): number {
    return this.queue.droppedRecords;
  }

  /** Generation records waiting for the store now. */
  get bufferedRecords(): number {
    return this.queue.bufferedRecords;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = callOnce(resultCallback);
    // Until translation succeeds, each span may be a generation that is lost if this export fails.
    let atRisk = Array.isArray(spans) ? spans.length : 0;
    try {
      const normalized: NormalizedSpan[] = [];
      let unreadable: unknown;
      for (const span of spans) {
        try {
          normalized.push(normalizeReadableSpan(span));
        } catch (error) {
          unreadable ??= error;
        }
      }
      const skipped = spans.length - normalized.length;
      if (skipped > 0) this.queue.reportDropped(skipped, `the spans could not be read: ${errorMessage(unreadable)}`);
      atRisk = normalized.length;
      // Only LLM spans are buffered, as the SDK made them: they are translated when written (see `ingestSpans`).
      this.queue.enqueue(this.ingest.selectSpans(normalized).spans, done);
    } catch (error) {
      const reason = `span export failed: ${errorMessage(error)}`;
      if (atRisk > 0) this.queue.reportDropped(atRisk, reason);
      else report('error', `genspan: ${reason}`);
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /** Writes everything buffered (waiting for retries when the store is failing). */
  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  /** Writes everything buffered, then refuses further exports. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.queue.close();
    return this.shutdownPromise;
  }
}
