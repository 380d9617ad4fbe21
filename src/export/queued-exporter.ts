import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { callOnce, type WriteQueue } from './write-queue.js';

/** How one kind of exporter reads the SDK's items and picks those worth buffering. */
export interface QueuedSignal<Input, Item> {
  /** The SDK item in genspan's normalized shape; may throw for an item that cannot be read. */
  normalize(input: Input): Item;
  /** The normalized items to buffer (the others are ignored); may throw only on a bug. */
  select(items: Item[]): Item[];
  /** How drops caused by unreadable items are explained: "the spans could not be read". */
  unreadable: string;
  /** How a failed export is explained: "span export failed". */
  failure: string;
}

/**
 * The SDK exporter contract over a `WriteQueue`, shared by the span and log exporters: `export` reads and selects
 * the batch at once and answers through the queue, exactly once; whatever cannot be read or queued is counted and
 * logged as dropped. Nothing here throws into the application.
 */
export class QueuedExporter<Input, Item> {
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly signal: QueuedSignal<Input, Item>,
    private readonly queue: WriteQueue<Item>,
  ) {}

  get droppedRecords(): number {
    return this.queue.droppedRecords;
  }

  get bufferedRecords(): number {
    return this.queue.bufferedRecords;
  }

  export(inputs: Input[], resultCallback: (result: ExportResult) => void): void {
    const done = callOnce(resultCallback);
    // Until the batch is queued, each item may be a record that is lost if this export fails.
    let atRisk = Array.isArray(inputs) ? inputs.length : 0;
    try {
      const normalized: Item[] = [];
      let unreadable: unknown;
      for (const input of inputs) {
        try {
          normalized.push(this.signal.normalize(input));
        } catch (error) {
          unreadable ??= error;
        }
      }
      const skipped = inputs.length - normalized.length;
      if (skipped > 0) this.queue.reportDropped(skipped, `${this.signal.unreadable}: ${errorMessage(unreadable)}`);
      atRisk = normalized.length;
      this.queue.enqueue(this.signal.select(normalized), done);
    } catch (error) {
      const reason = `${this.signal.failure}: ${errorMessage(error)}`;
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
