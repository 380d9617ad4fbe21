import type { GenerationIngest, IngestResult } from '../ingest/ingest.js';
import {
  type DecodeLimits,
  decodeLogsRequest,
  decodeTraceRequest,
  OtlpDecodeError,
  type OtlpEncoding,
  OtlpLimitError,
  type OtlpSignal,
  type PartialSuccess,
} from '../otlp/index.js';
import { StoreError } from '../store/errors.js';
import type { StoreWriteHealth } from './store-health.js';

/** What both OTLP receivers (HTTP and gRPC) need between reading a request's body and answering it. */
export interface OtlpExportContext {
  ingest: GenerationIngest;
  /** Told how each write ended. */
  health: StoreWriteHealth;
  /** What one request may carry. */
  limits: DecodeLimits;
  /** Where a warning about the stored records goes (the request's log). */
  warn: (message: string) => void;
}

/** How an export request ended; each receiver answers it in its own protocol's terms. */
export type ExportOutcome =
  | { kind: 'stored'; partialSuccess?: PartialSuccess }
  /** More items than `limits` allow (`OtlpLimitError`): the sender should send smaller batches. */
  | { kind: 'too-many-items'; message: string }
  /** Not a valid request of its signal: resending it cannot help. */
  | { kind: 'malformed'; message: string }
  | { kind: 'store-failed'; error: StoreError };

function partialSuccess(signal: OtlpSignal, rejected: number, rejectionMessage: string | undefined): PartialSuccess | undefined {
  if (rejected === 0) return undefined;
  return { rejected, message: rejectionMessage ?? `${rejected} ${signal === 'traces' ? 'span(s)' : 'log record(s)'} rejected` };
}

/** Decodes one OTLP export request and stores its generations; resolves once the store has them (or refused them). */
export async function exportOtlp(
  signal: OtlpSignal,
  body: Uint8Array,
  encoding: OtlpEncoding,
  context: OtlpExportContext,
): Promise<ExportOutcome> {
  const { ingest, health, limits, warn } = context;
  let rejected = 0;
  let rejectionMessage: string | undefined;
  let ingesting: () => Promise<IngestResult>;
  try {
    if (signal === 'traces') {
      const decoded = decodeTraceRequest(body, encoding, limits);
      rejected = decoded.rejected;
      rejectionMessage = decoded.rejectionMessage;
      ingesting = () => ingest.ingestSpans(decoded.spans);
    } else {
      const decoded = decodeLogsRequest(body, encoding, limits);
      ingesting = () => ingest.ingestLogs(decoded.records);
    }
  } catch (error) {
    if (error instanceof OtlpLimitError) return { kind: 'too-many-items', message: error.message };
    if (error instanceof OtlpDecodeError) return { kind: 'malformed', message: `invalid OTLP ${signal} request: ${error.message}` };
    throw error;
  }

  try {
    const result = await ingesting();
    if (result.failed > 0) warn(`${result.failed} LLM spans could not be read whole: stored with what could be read and a warning each`);
    // Only a write that reached the store says it takes writes again; a request with nothing to keep does not.
    if (result.stored + result.duplicates + result.updated > 0) health.succeeded();
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    health.failed(error);
    return { kind: 'store-failed', error };
  }
  const partial = partialSuccess(signal, rejected, rejectionMessage);
  // The sender hears of it in the answer; the server's log says so too, as nothing is dropped unsaid.
  if (partial) warn(`partial success: ${partial.message}`);
  return { kind: 'stored', partialSuccess: partial };
}
