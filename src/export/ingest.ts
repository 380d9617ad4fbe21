import { toGenerationRecord } from '../store/record.js';
import { spanKeyString, type GenerationRecord, type IngestStore, type SpanKey } from '../store/types.js';
import { translateSpan } from '../translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from '../translate/types.js';
import { GenAILogs, InstrumentationScopes } from '../semconv/keys.js';
import { errorMessage, report } from './diagnostics.js';

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
}

/** A span the translator recognised, ready to be written. */
export interface PreparedGeneration {
  span: NormalizedSpan;
  result: TranslationResult;
  /** Whether log records could still add content, so the span is kept for a later rebuild. */
  awaitsLogs: boolean;
}

export interface PreparedSpans {
  generations: PreparedGeneration[];
  ignored: number;
}

export interface PreparedLogs {
  logs: NormalizedLogRecord[];
  ignored: number;
}

const EMPTY_RESULT: IngestResult = { stored: 0, duplicates: 0, ignored: 0, updated: 0 };

function spanKey(span: SpanKey): SpanKey {
  return { traceId: span.traceId, spanId: span.spanId };
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
 * the OTLP server. The translation step (`prepareSpans`) is pure; `commitSpans` and `ingestLogs` talk to the store
 * and let its errors through, so the caller decides about retries.
 *
 * Spans and log records may arrive in either order, from one process or several: a span that may still get
 * content from logs is kept beside its record; logs are kept until (and after) their span arrives. Each side
 * writes first and then reads the other, so whichever lands second rebuilds the generation.
 */
export class GenerationIngest {
  constructor(readonly store: IngestStore) {}

  /** Translates each span; other spans are only counted. Never throws. */
  prepareSpans(spans: readonly NormalizedSpan[]): PreparedSpans {
    const generations: PreparedGeneration[] = [];
    let ignored = 0;
    for (const span of spans) {
      const result = translateSpan(span);
      if (!result) {
        ignored++;
        continue;
      }
      const awaitsLogs = span.scope?.name === InstrumentationScopes.OPENTELEMETRY_OPENAI || lacksContent(result);
      generations.push({ span, result, awaitsLogs });
    }
    return { generations, ignored };
  }

  /** Keeps the log records that belong to a span and name a GenAI event. Never throws. */
  prepareLogs(records: readonly NormalizedLogRecord[]): PreparedLogs {
    const logs = records.filter(isGenerationLog);
    return { logs, ignored: records.length - logs.length };
  }

  async ingestSpans(spans: readonly NormalizedSpan[]): Promise<IngestResult> {
    return this.commitSpans(this.prepareSpans(spans));
  }

  /** Writes prepared generations (idempotently). Safe to call again with the same input after a store error. */
  async commitSpans(prepared: PreparedSpans): Promise<IngestResult> {
    const awaiting = prepared.generations.filter((g) => g.awaitsLogs);
    const logCounts = new Map<string, number>();
    const joined = new Map<string, TranslationResult>();
    if (awaiting.length > 0) {
      const logs = await this.store.logsFor(awaiting.map((g) => spanKey(g.span)));
      for (const { span } of awaiting) {
        const key = spanKeyString(span);
        const records = logs.get(key) ?? [];
        logCounts.set(key, records.length);
        if (records.length === 0) continue;
        const result = translateSpan(span, records);
        if (result) joined.set(key, result);
      }
    }

    let ignored = prepared.ignored;
    const records: GenerationRecord[] = [];
    const kept = new Map<string, NormalizedSpan>();
    for (const { span, result, awaitsLogs } of prepared.generations) {
      const key = spanKeyString(span);
      const record = buildRecord(span, joined.get(key) ?? result);
      if (!record) {
        ignored++;
        continue;
      }
      records.push(record);
      if (awaitsLogs) kept.set(key, span);
    }
    if (records.length === 0) return { ...EMPTY_RESULT, ignored };

    const written = await this.store.writeWithSpans(records, kept);
    const updated = kept.size > 0 ? await this.rejoinLateLogs(kept, logCounts) : 0;
    return { stored: written.inserted, duplicates: written.duplicates, ignored, updated };
  }

  /** Stores GenAI log records and rebuilds the stored generations they belong to. */
  async ingestLogs(records: readonly NormalizedLogRecord[]): Promise<IngestResult> {
    return this.commitLogs(this.prepareLogs(records));
  }

  async commitLogs(prepared: PreparedLogs): Promise<IngestResult> {
    const { logs, ignored } = prepared;
    if (logs.length === 0) return { ...EMPTY_RESULT, ignored };
    await this.store.writeLogs(logs);

    const keys = new Map<string, SpanKey>();
    for (const record of logs) {
      const key = { traceId: record.traceId as string, spanId: record.spanId as string };
      keys.set(spanKeyString(key), key);
    }
    const spans = await this.store.spansFor([...keys.values()]);
    if (spans.size === 0) return { stored: logs.length, duplicates: 0, ignored, updated: 0 };
    const updated = await this.rebuild(spans);
    return { stored: logs.length, duplicates: 0, ignored, updated };
  }

  /**
   * After writing kept spans, reads their logs once more: logs that another writer stored between our read and
   * our write would otherwise miss the generation (their writer found no span yet).
   */
  private async rejoinLateLogs(kept: Map<string, NormalizedSpan>, logCounts: Map<string, number>): Promise<number> {
    const logs = await this.store.logsFor([...kept.values()].map(spanKey));
    const changed = new Map<string, NormalizedSpan>();
    for (const [key, span] of kept) {
      if ((logs.get(key)?.length ?? 0) !== (logCounts.get(key) ?? 0)) changed.set(key, span);
    }
    if (changed.size === 0) return 0;
    return this.rebuild(changed, logs);
  }

  /** Re-translates stored spans with all their log records and replaces their generations. */
  private async rebuild(spans: Map<string, NormalizedSpan>, knownLogs?: Map<string, NormalizedLogRecord[]>): Promise<number> {
    const logs = knownLogs ?? (await this.store.logsFor([...spans.values()].map(spanKey)));
    const records: GenerationRecord[] = [];
    for (const [key, span] of spans) {
      const result = translateSpan(span, logs.get(key) ?? []);
      const record = result ? buildRecord(span, result) : undefined;
      if (record) records.push(record);
    }
    if (records.length > 0) await this.store.updateGenerations(records);
    return records.length;
  }
}

function buildRecord(span: NormalizedSpan, result: TranslationResult): GenerationRecord | undefined {
  try {
    return toGenerationRecord(span, result);
  } catch (error) {
    report('warn', `genspan: skipped the generation of span ${span.spanId} (trace ${span.traceId}): ${errorMessage(error)}`);
    return undefined;
  }
}
