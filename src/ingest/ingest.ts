import type { PriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import { GenAILogs, InstrumentationScopes } from '../semconv/keys.js';
import { isGenerationSpan, translateSpan } from '../translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from '../translate/types.js';
import { type IngestStore, type SpanKey, spanKeyString } from './contract.js';
import { errorMessage, report } from './diagnostics.js';
import { type PricesOption, pricesFromOption } from './prices.js';
import { toGenerationRecord } from './record.js';
import { redactLogRecord, redactSpan } from './redact-telemetry.js';

/** What one ingest call did, so a caller (the exporters, the OTLP server) can report partial success. */
export interface IngestResult {
  /** Spans: generation records stored now. Logs: log records kept for joining. */
  stored: number;
  /** Spans whose generation was already stored for the same (traceId, spanId), left as it was. */
  duplicates: number;
  /** Spans that are not an LLM call or whose generation is invalid; log records with no span or no GenAI event. */
  ignored: number;
  /** Stored generations rebuilt because log records joined them. */
  updated: number;
  /**
   * LLM spans a convention reader failed on: stored with what could be read and a warning on the record, and
   * reported through the OpenTelemetry diagnostic logger.
   */
  failed: number;
}

/** The spans of a batch that are LLM calls, ready to be queued; the others are only counted. */
export interface SelectedSpans {
  spans: NormalizedSpan[];
  ignored: number;
}

export interface PreparedLogs {
  logs: NormalizedLogRecord[];
  ignored: number;
}

const EMPTY_RESULT: IngestResult = { stored: 0, duplicates: 0, ignored: 0, updated: 0, failed: 0 };

function spanKey(span: SpanKey): SpanKey {
  return { traceId: span.traceId, spanId: span.spanId };
}

/** Whether log records could still add content to the generation, so its span is kept for a later rebuild. */
function awaitsLogs(span: NormalizedSpan, result: TranslationResult): boolean {
  const scope = span.scope?.name;
  return (
    scope === InstrumentationScopes.OPENTELEMETRY_OPENAI ||
    lacksContent(result) ||
    (result.generation.tools == null && typeof scope === 'string' && scope.startsWith(InstrumentationScopes.OPENLIT_PREFIX))
  );
}

function lacksContent(result: TranslationResult): boolean {
  const generation = result.generation;
  if (generation.type === 'CHAT') return generation.messages.length === 0 || generation.messageCompletion == null;
  return generation.prompt == null || generation.completion == null;
}

/** True for a log record that can carry content of an LLM call: a GenAI event inside a span. */
export function isGenerationLog(record: NormalizedLogRecord): boolean {
  return (
    typeof record.traceId === 'string' &&
    typeof record.spanId === 'string' &&
    record.traceId.length > 0 &&
    record.spanId.length > 0 &&
    typeof record.eventName === 'string' &&
    record.eventName.startsWith(GenAILogs.EVENT_NAME_PREFIX)
  );
}

/**
 * Turns LLM spans and their log records into stored generation records. Shared by the in-app exporters and
 * the OTLP server. The selection steps (`selectSpans`, `prepareLogs`) are pure; `ingestSpans` and `commitLogs` talk
 * to the store and let its errors through, so the caller decides about retries.
 *
 * Spans and log records may arrive in either order, from one process or several: a span that may still get
 * content from logs is kept beside its record; logs are kept until (and after) their span arrives. Each side
 * writes first and then reads the other, so whichever lands second rebuilds the generation.
 */
export interface GenerationIngestOptions {
  /** Prices of the generations whose spans carry no cost (see `PricesOption`); genspan's own table by default. */
  prices?: PricesOption;
}

export class GenerationIngest {
  readonly prices: PriceTable;

  constructor(
    readonly store: IngestStore,
    options: GenerationIngestOptions = {},
  ) {
    this.prices = pricesFromOption(options.prices);
  }

  /** Picks the spans that are LLM calls, by the translator's classification alone (no content is read). Never throws. */
  selectSpans(spans: readonly NormalizedSpan[]): SelectedSpans {
    const selected = spans.filter(isGenerationSpan);
    return { spans: selected, ignored: spans.length - selected.length };
  }

  /** Keeps the log records that belong to a span and name a GenAI event. Never throws. */
  prepareLogs(records: readonly NormalizedLogRecord[]): PreparedLogs {
    const logs = records.filter(isGenerationLog);
    return { logs, ignored: records.length - logs.length };
  }

  /**
   * Translates the spans and writes their generations (idempotently); other spans are counted as ignored. Safe to
   * call again with the same spans after a store error. Each span is translated as the store takes its record, so
   * a batch's translated content is garbage as soon as it is written rather than all held until the write.
   * Generations whose content may still come as log records keep their span beside them, and whatever logs are
   * already stored are joined right after the write.
   */
  async ingestSpans(spans: readonly NormalizedSpan[]): Promise<IngestResult> {
    let ignored = 0;
    let failed = 0;
    const kept = new Map<string, NormalizedSpan>();
    const prices = this.prices;
    function* records(): Generator<GenerationRecord> {
      for (const span of spans) {
        const result = translateSpan(span);
        const record = result ? buildRecord(span, result, prices) : undefined;
        if (!result || !record) {
          ignored++;
          continue;
        }
        if (result.failure !== undefined) failed++;
        // Kept with its credentials redacted: a rebuild from it gives the same generation.
        if (awaitsLogs(span, result)) kept.set(spanKeyString(span), redactSpan(span));
        yield record;
      }
    }
    const written = await this.store.writeWithSpans(records(), kept);
    const updated = kept.size > 0 ? await this.joinStoredLogs(kept) : 0;
    return { stored: written.inserted, duplicates: written.duplicates, ignored, updated, failed };
  }

  /** Stores GenAI log records (their credentials redacted) and rebuilds the stored generations they belong to. */
  async ingestLogs(records: readonly NormalizedLogRecord[]): Promise<IngestResult> {
    return this.commitLogs(this.prepareLogs(records));
  }

  async commitLogs(prepared: PreparedLogs): Promise<IngestResult> {
    const { ignored } = prepared;
    if (prepared.logs.length === 0) return { ...EMPTY_RESULT, ignored };
    const logs = prepared.logs.map(redactLogRecord);
    await this.store.writeLogs(logs);

    const keys = new Map<string, SpanKey>();
    for (const record of logs) {
      const key = { traceId: record.traceId as string, spanId: record.spanId as string };
      keys.set(spanKeyString(key), key);
    }
    const spans = await this.store.spansFor([...keys.values()]);
    if (spans.size === 0) return { ...EMPTY_RESULT, stored: logs.length, ignored };
    const updated = await this.rebuild(spans);
    return { ...EMPTY_RESULT, stored: logs.length, ignored, updated };
  }

  /**
   * After writing kept spans, joins the log records already stored for them: those that arrived first, and those
   * another writer stored meanwhile (their writer found no span yet). Logs arriving later join from their side.
   */
  private async joinStoredLogs(kept: Map<string, NormalizedSpan>): Promise<number> {
    const logs = await this.store.logsFor([...kept.values()].map(spanKey));
    const joined = new Map<string, NormalizedSpan>();
    for (const [key, span] of kept) if ((logs.get(key)?.length ?? 0) > 0) joined.set(key, span);
    if (joined.size === 0) return 0;
    return this.rebuild(joined, logs);
  }

  /** Re-translates stored spans with all their log records and replaces their generations. */
  private async rebuild(spans: Map<string, NormalizedSpan>, knownLogs?: Map<string, NormalizedLogRecord[]>): Promise<number> {
    const logs = knownLogs ?? (await this.store.logsFor([...spans.values()].map(spanKey)));
    const records: GenerationRecord[] = [];
    for (const [key, span] of spans) {
      const result = translateSpan(span, logs.get(key) ?? []);
      const record = result ? buildRecord(span, result, this.prices) : undefined;
      if (record) records.push(record);
    }
    if (records.length > 0) await this.store.updateGenerations(records);
    return records.length;
  }
}

/** The record of a translated span; a translator failure is reported here, once per translation, and kept as a warning. */
function buildRecord(span: NormalizedSpan, result: TranslationResult, prices: PriceTable): GenerationRecord | undefined {
  if (result.failure !== undefined) {
    report(
      'warn',
      `genspan: could not read all of LLM span ${span.spanId} (trace ${span.traceId}): ${result.failure}; ` +
        'its generation is stored with what could be read and a warning',
    );
  }
  try {
    return toGenerationRecord(span, result, prices);
  } catch (error) {
    report('warn', `genspan: skipped the generation of span ${span.spanId} (trace ${span.traceId}): ${errorMessage(error)}`);
    return undefined;
  }
}
