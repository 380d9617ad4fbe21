import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { GenerationIngest } from '../ingest/ingest.js';
import type { PricesOption } from '../ingest/prices.js';
import type { PlaygroundStore } from '../store/types.js';
import { normalizeReadableLogRecord } from '../translate/normalize.js';
import type { NormalizedLogRecord } from '../translate/types.js';
import { QueuedExporter } from './queued-exporter.js';
import { type RetryOptions, WriteQueue } from './write-queue.js';

export interface PlaygroundLogExporterOptions extends RetryOptions {
  /** The same store the `PlaygroundExporter` writes to. The exporter does not close it. */
  store: PlaygroundStore;
  /**
   * Prices of generations whose spans carry no cost: genspan's own by default; a price table, its data or a file's path
   * merge yours over them (`PricesOption`). One that cannot be used is reported and genspan's prices are used.
   */
  prices?: PricesOption;
}

/**
 * A Logs SDK `LogRecordExporter` for content that instrumentations send as GenAI log events
 * (`@opentelemetry/instrumentation-openai`): it keeps those records and joins them to their span's generation,
 * whichever of the two arrives first. Other log records are ignored. Same buffering and retries as `PlaygroundExporter`.
 */
export class PlaygroundLogExporter extends QueuedExporter<ReadableLogRecord, NormalizedLogRecord> implements LogRecordExporter {
  readonly ingest: GenerationIngest;

  constructor(options: PlaygroundLogExporterOptions) {
    const ingest = new GenerationIngest(options.store, { prices: options.prices });
    super(
      {
        normalize: normalizeReadableLogRecord,
        select: (logs) => ingest.prepareLogs(logs).logs,
        unreadable: 'they could not be read',
        failure: 'log export failed',
      },
      new WriteQueue((logs) => ingest.commitLogs({ logs: [...logs], ignored: 0 }), 'log records', options),
    );
    this.ingest = ingest;
  }
}
