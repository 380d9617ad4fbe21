import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { IngestStore } from '../store/types.js';
import { normalizeReadableLogRecord } from '../translate/normalize.js';
import type { NormalizedLogRecord } from '../translate/types.js';
import { GenerationIngest } from './ingest.js';
import { errorMessage, report } from './diagnostics.js';
import { callOnce, WriteQueue, type RetryOptions } from './write-queue.js';

export interface PlaygroundLogExporterOptions extends RetryOptions {
  /** The same store the `PlaygroundExporter` writes to. The exporter does not close it. */
  store: IngestStore;
}

/**
 * A Logs SDK `LogRecordExporter` for content that instrumentations send as GenAI log events
 * (`@opentelemetry/instrumentation-openai`): it keeps those records and joins them to their span's generation,
 * whichever of the two arrives first. Other log records are ignored. Same buffering and retries as `PlaygroundExporter`.
 */
export class PlaygroundLogExporter implements LogRecordExporter {
  readonly ingest: GenerationIngest;
  private readonly queue: WriteQueue<NormalizedLogRecord>;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: PlaygroundLogExporterOptions) {
    this.ingest = new GenerationIngest(options.store);
    this.queue = new WriteQueue((logs) => this.ingest.commitLogs({ logs: [...logs], ignored: 0 }), 'log records', options);
  }

  /** Log records dropped: buffer full, retries exhausted, rejected by the store, unreadable, or exported after shutdown. */
  get droppedRecords(): number {
    return this.queue.droppedRecords;
  }

  get bufferedRecords(): number {
    return this.queue.bufferedRecords;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const done = callOnce(resultCallback);
    let atRisk = Array.isArray(logs) ? logs.length : 0;
    try {
      const normalized: NormalizedLogRecord[] = [];
      let unreadable: unknown;
      for (const record of logs) {
        try {
          normalized.push(normalizeReadableLogRecord(record));
        } catch (error) {
          unreadable ??= error;
        }
      }
      const skipped = logs.length - normalized.length;
      if (skipped > 0) this.queue.reportDropped(skipped, `they could not be read: ${errorMessage(unreadable)}`);
      atRisk = normalized.length;
      this.queue.enqueue(this.ingest.prepareLogs(normalized).logs, done);
    } catch (error) {
      const reason = `log export failed: ${errorMessage(error)}`;
      if (atRisk > 0) this.queue.reportDropped(atRisk, reason);
      else report('error', `genspan: ${reason}`);
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.queue.close();
    return this.shutdownPromise;
  }
}
