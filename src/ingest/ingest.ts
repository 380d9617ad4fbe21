import type { PriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import type { StepRecord } from '../generation/step-record.js';
import { GenAILogs, InstrumentationScopes } from '../semconv/keys.js';
import { describeStep, isAiSpan } from '../translate/step-kind.js';
import { translateSpan } from '../translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from '../translate/types.js';
import { type GenerationMerge, type IngestStore, type SpanKey, type StepLink, spanKeyString } from './contract.js';
import { errorMessage, report } from './diagnostics.js';
import { type CallChain, type CallTiming, joinDetached, mergeLayers, type TraceCalls, traceCalls } from './overlap.js';
import { AiTraces, PendingSpans, type PendingStats } from './pending.js';
import { type PricesOption, pricesFromOption } from './prices.js';
import { recordId, toGenerationRecord } from './record.js';
import { redactLogRecord, redactSpan } from './redact-telemetry.js';
import { DEFAULT_KEEP_SPANS, type DescribedSpan, decideKeep, type KeepSpans, toStepRecord, traceThreads } from './steps.js';
import { linkTemplates, mayHoldTemplates, readTemplateStep, withTemplate } from './templates.js';
import { TraceLocks } from './trace-locks.js';

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

/** The spans of a batch worth queueing (AI spans, spans of traces with AI work); the others wait in memory. */
export interface SelectedSpans {
  spans: NormalizedSpan[];
  /** Spans held in memory until their trace shows AI work. */
  ignored: number;
}

export interface PreparedLogs {
  logs: NormalizedLogRecord[];
  ignored: number;
}

const EMPTY_RESULT: IngestResult = { stored: 0, duplicates: 0, ignored: 0, updated: 0, failed: 0 };
const NO_STEPS: ReadonlyMap<string, readonly StepLink[]> = new Map();
const NO_KEYS: ReadonlySet<string> = new Set();

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
 * Turns spans and their log records into stored steps and generation records. Shared by the in-app exporters and
 * the OTLP server. The selection steps (`selectSpans`, `prepareLogs`) are pure but for the memory of held spans;
 * `ingestSpans` and `commitLogs` talk to the store and let its errors through, so the caller decides about retries.
 *
 * Spans and log records may arrive in either order, from one process or several: a span that may still get
 * content from logs is kept beside its record; logs are kept until (and after) their span arrives. Each side
 * writes first and then reads the other, so whichever lands second rebuilds the generation. One LLM call traced by
 * two layers (an LLM span under an LLM span) is joined the same way: whichever side lands second merges them.
 */
export interface GenerationIngestOptions {
  /** Prices of the generations whose spans carry no cost (see `PricesOption`); genspan's own table by default. */
  prices?: PricesOption;
  /** Which spans of a trace with AI work become steps: `ai` (default) or `all` (see `KeepSpans`). */
  keepSpans?: KeepSpans;
}

export class GenerationIngest {
  readonly prices: PriceTable;
  readonly keepSpans: KeepSpans;
  private readonly pending = new PendingSpans();
  private readonly aiTraces = new AiTraces();
  private readonly locks = new TraceLocks();

  constructor(
    readonly store: IngestStore,
    options: GenerationIngestOptions = {},
  ) {
    this.prices = pricesFromOption(options.prices);
    this.keepSpans = options.keepSpans ?? DEFAULT_KEEP_SPANS;
  }

  /** Spans held in memory for their trace's AI work, and how many were let go of. */
  get pendingSpans(): PendingStats {
    return this.pending.stats;
  }

  /**
   * The exporter's cheap pre-filter, run on every span an app ends: AI spans (by a handful of keys, no content read)
   * and spans of traces this process saw AI work in are queued; the others wait in memory until their trace shows
   * AI work, and are queued with it. Never throws.
   */
  selectSpans(spans: readonly NormalizedSpan[]): SelectedSpans {
    const selected: NormalizedSpan[] = [];
    const waiting: NormalizedSpan[] = [];
    const newlyAi = new Set<string>();
    for (const span of spans) {
      if (isAiSpan(span)) {
        selected.push(span);
        if (!this.aiTraces.has(span.traceId)) newlyAi.add(span.traceId);
        this.aiTraces.add(span.traceId);
      } else if (this.aiTraces.has(span.traceId)) {
        selected.push(span);
      } else {
        waiting.push(span);
      }
    }
    this.pending.hold(waiting);
    if (newlyAi.size > 0) selected.push(...this.pending.take(newlyAi));
    return { spans: selected, ignored: waiting.length };
  }

  /** Keeps the log records that belong to a span and name a GenAI event. Never throws. */
  prepareLogs(records: readonly NormalizedLogRecord[]): PreparedLogs {
    const logs = records.filter(isGenerationLog);
    return { logs, ignored: records.length - logs.length };
  }

  /**
   * Writes the steps of the spans the keep policy keeps, with the generations of their LLM calls (idempotently);
   * `ignored` counts the spans without a generation. Safe to call again with the same spans after a store error.
   * Each span is translated as the store takes its record, so a batch's translated content is garbage as soon as it
   * is written rather than all held until the write. Generations whose content may still come as log records keep
   * their span beside them, and whatever logs are already stored are joined right after the write; then LLM calls
   * traced by two layers are merged with their other side if it is stored.
   */
  async ingestSpans(spans: readonly NormalizedSpan[]): Promise<IngestResult> {
    const described: DescribedSpan[] = spans.map(describe);
    const aiTraceIds = new Set<string>();
    for (const { span, description } of described) if (description.ai) aiTraceIds.add(span.traceId);
    const taken = this.pending.take(aiTraceIds);
    // A held span sent again (an OTLP client's retry) is taken once.
    const seen = new Set(spans.map(spanKeyString));
    for (const span of taken) {
      const key = spanKeyString(span);
      if (seen.has(key)) continue;
      seen.add(key);
      described.push(describe(span));
    }
    try {
      const traceIds = new Set(described.map(({ span }) => span.traceId));
      return await this.exclusive(traceIds, (store) => this.writeSteps(store, spans.length, described, aiTraceIds));
    } catch (error) {
      this.pending.restore(taken);
      throw error;
    }
  }

  /**
   * Runs one ingest call's writes and reads of these traces with no other call's on them in between, in this process
   * and, on a store several processes share, in all of them (see `IngestStore.exclusive`).
   */
  private exclusive<T>(traceIds: ReadonlySet<string>, work: (store: IngestStore) => Promise<T>): Promise<T> {
    const store = this.store;
    return this.locks.run(traceIds, () => (store.exclusive ? store.exclusive([...traceIds], work) : work(store)));
  }

  private async writeSteps(
    store: IngestStore,
    given: number,
    described: readonly DescribedSpan[],
    aiTraceIds: Set<string>,
  ): Promise<IngestResult> {
    let decision = decideKeep(described, NO_STEPS, this.keepSpans);
    if (decision.held.length > 0) {
      // One lookup per write: are the held spans' traces' steps stored (their AI work came earlier)?
      const stored = await store.stepLinks([...new Set(decision.held.map((span) => span.traceId))]);
      if (stored.size > 0) decision = decideKeep(described, stored, this.keepSpans);
      for (const traceId of stored.keys()) aiTraceIds.add(traceId);
    }
    for (const traceId of aiTraceIds) this.aiTraces.add(traceId);

    let generations = 0;
    let failed = 0;
    const kept = new Map<string, NormalizedSpan>();
    const calls = new Map<string, NormalizedSpan>();
    const steps: StepRecord[] = [];
    const prices = this.prices;
    function* records(): Generator<GenerationRecord> {
      for (const keptSpan of decision.kept) {
        const span = keptSpan.span;
        const result = translateSpan(span);
        const record = result ? buildRecord(span, result, prices) : undefined;
        steps.push(toStepRecord(keptSpan, record));
        if (!result || !record) continue;
        generations++;
        if (result.failure !== undefined) failed++;
        const key = spanKeyString(span);
        calls.set(key, span);
        // Kept with its credentials redacted: a rebuild from it gives the same generation.
        if (awaitsLogs(span, result)) kept.set(key, redactSpan(span));
        yield record;
      }
    }
    const written = await store.writeWithSpans(records(), kept, { steps, threads: traceThreads(decision.kept) });
    this.pending.hold(decision.held);
    const rebuilt = kept.size > 0 ? await this.joinStoredLogs(store, kept) : new Map<string, GenerationRecord>();
    const templates = new Set(steps.filter((step) => readTemplateStep(step) !== undefined).map(spanKeyString));
    await this.settle(store, new Set(decision.kept.map(({ span }) => spanKeyString(span))), calls, rebuilt, templates);
    return { stored: written.inserted, duplicates: written.duplicates, ignored: given - generations, updated: rebuilt.size, failed };
  }

  /** Stores GenAI log records (their credentials redacted) and rebuilds the stored generations they belong to. */
  async ingestLogs(records: readonly NormalizedLogRecord[]): Promise<IngestResult> {
    return this.commitLogs(this.prepareLogs(records));
  }

  async commitLogs(prepared: PreparedLogs): Promise<IngestResult> {
    const { ignored } = prepared;
    if (prepared.logs.length === 0) return { ...EMPTY_RESULT, ignored };
    const logs = prepared.logs.map(redactLogRecord);
    const keys = new Map<string, SpanKey>();
    for (const record of logs) {
      const key = { traceId: record.traceId as string, spanId: record.spanId as string };
      keys.set(spanKeyString(key), key);
    }
    const traceIds = new Set([...keys.values()].map((key) => key.traceId));
    const updated = await this.exclusive(traceIds, async (store) => {
      await store.writeLogs(logs);
      const spans = await store.spansFor([...keys.values()]);
      if (spans.size === 0) return 0;
      const rebuilt = await this.rebuild(store, spans);
      await this.settle(store, new Set(rebuilt.keys()), spans, rebuilt);
      return rebuilt.size;
    });
    return { ...EMPTY_RESULT, stored: logs.length, ignored, updated };
  }

  /**
   * After writing kept spans, joins the log records already stored for them: those that arrived first, and those
   * another writer stored meanwhile (their writer found no span yet). Logs arriving later join from their side.
   */
  private async joinStoredLogs(store: IngestStore, kept: Map<string, NormalizedSpan>): Promise<Map<string, GenerationRecord>> {
    const logs = await store.logsFor([...kept.values()].map(spanKey));
    const joined = new Map<string, NormalizedSpan>();
    for (const [key, span] of kept) if ((logs.get(key)?.length ?? 0) > 0) joined.set(key, span);
    if (joined.size === 0) return new Map();
    return this.rebuild(store, joined, logs);
  }

  /** Re-translates stored spans with all their log records: their generations, by span key. */
  private async rebuild(
    store: IngestStore,
    spans: Map<string, NormalizedSpan>,
    knownLogs?: Map<string, NormalizedLogRecord[]>,
  ): Promise<Map<string, GenerationRecord>> {
    const logs = knownLogs ?? (await store.logsFor([...spans.values()].map(spanKey)));
    const records = new Map<string, GenerationRecord>();
    for (const [key, span] of spans) {
      const result = translateSpan(span, logs.get(key) ?? []);
      const record = result ? buildRecord(span, result, this.prices) : undefined;
      if (record) records.set(key, record);
    }
    return records;
  }

  /**
   * Stores what a write or a log join changed: for each LLM call traced by more than one layer that `touched` (the
   * spans just written or rebuilt) is part of, the merged generation (README: the innermost span owns it); the
   * rebuilt generations of the other calls as they are. Reads after writing, so whichever layer lands second merges.
   * `calls` are the touched LLM spans, translated again here when their call is merged (rather than all held).
   */
  private async settle(
    store: IngestStore,
    touched: ReadonlySet<string>,
    calls: ReadonlyMap<string, NormalizedSpan>,
    rebuilt: ReadonlyMap<string, GenerationRecord>,
    templates: ReadonlySet<string> = NO_KEYS,
  ): Promise<void> {
    const traces: { traceId: string; links: StepLink[]; calls: TraceCalls; joining: boolean }[] = [];
    const wanted = new Map<string, SpanKey>();
    const want = (traceId: string, spanIds: readonly string[]) => {
      for (const spanId of spanIds) wanted.set(`${traceId}:${spanId}`, { traceId, spanId });
    };
    if (touched.size > 0) {
      const traceIds = new Set([...touched].map((key) => key.slice(0, key.indexOf(':'))));
      for (const [traceId, links] of await store.stepLinks([...traceIds])) {
        const found = traceCalls(links);
        const isTouched = (chain: CallChain) => chain.path.some((spanId) => touched.has(`${traceId}:${spanId}`));
        for (const chain of found.chains) if (isTouched(chain)) want(traceId, chain.calls);
        // Detached layers can only be joined by their times and scopes, read from their records.
        const joining = found.detached.length > 0 && found.detached.length + found.chains.length > 1;
        if (joining) {
          want(traceId, found.detached);
          for (const chain of found.chains) want(traceId, chain.calls);
        }
        traces.push({ traceId, links, calls: found, joining });
      }
    }
    const records = await this.callRecords(store, [...wanted.values()], calls, rebuilt);
    const merges: GenerationMerge[] = [];
    const merged = new Set<string>();
    // Traces whose generations a merge rewrites from the layers' translations: their templates are applied again.
    const rewritten = new Set<string>();
    for (const { traceId, links, calls: found, joining } of traces) {
      let chains = found.chains;
      if (joining) {
        const timings = new Map<string, CallTiming>();
        for (const spanId of [...found.detached, ...found.chains.map((chain) => chain.calls[0])]) {
          const record = records.get(`${traceId}:${spanId}`);
          if (record) timings.set(spanId, { scope: record.scope.name, startTime: record.startTime, endTime: record.endTime });
        }
        chains = joinDetached(links, found, timings);
      }
      for (const chain of chains) {
        if (!chain.path.some((spanId) => touched.has(`${traceId}:${spanId}`))) continue;
        const layers = chain.calls.map((spanId) => records.get(`${traceId}:${spanId}`));
        if (layers.some((layer) => layer === undefined)) continue;
        const [inner, ...outers] = layers as GenerationRecord[];
        merges.push({ owner: mergeLayers(inner, outers), merged: outers });
        for (const spanId of chain.calls) merged.add(`${traceId}:${spanId}`);
        rewritten.add(traceId);
      }
    }
    const updates = [...rebuilt].filter(([key]) => !merged.has(key)).map(([, record]) => record);
    if (updates.length > 0) await store.updateGenerations(updates);
    if (merges.length > 0) await store.mergeGenerations(merges);
    // A trace is read for templates when this write touched a model call or a template step of it, or merged a call.
    const templated = traces
      .filter(
        ({ traceId, links }) =>
          mayHoldTemplates(links) &&
          (rewritten.has(traceId) ||
            links.some((link) => {
              const key = `${traceId}:${link.spanId}`;
              return templates.has(key) || (link.type === 'llm' && touched.has(key));
            })),
      )
      .map(({ traceId }) => traceId);
    if (templated.length > 0) await this.applyTemplates(store, templated);
  }

  /**
   * Gives the model calls that a prompt template step fed (src/ingest/templates.ts) its template and variables. Runs
   * after every write or rebuild of a trace that may hold one, whichever of the template and the call came second,
   * and after merges (which rebuild the owner's generation from the layers' translations). Idempotent.
   */
  private async applyTemplates(store: IngestStore, traceIds: readonly string[]): Promise<void> {
    const links = [];
    for (const traceId of traceIds) {
      const detail = await store.getTrace(traceId);
      if (detail) links.push(...linkTemplates(detail.steps));
    }
    if (links.length === 0) return;
    const records = await store.getMany([...new Set(links.map((link) => link.generationId))]);
    const updates = new Map<string, GenerationRecord>();
    for (const { template, generationId } of links) {
      const record = records.get(generationId);
      const updated = record && !updates.has(generationId) ? withTemplate(record, template) : undefined;
      if (updated) updates.set(generationId, updated);
    }
    if (updates.size > 0) await store.updateGenerations([...updates.values()]);
  }

  /**
   * The generation records of calls, by span key: rebuilt or translated again when just written, else as stored
   * (as translated when merged into another already, else the one in the list).
   */
  private async callRecords(
    store: IngestStore,
    keys: readonly SpanKey[],
    calls: ReadonlyMap<string, NormalizedSpan>,
    rebuilt: ReadonlyMap<string, GenerationRecord>,
  ): Promise<Map<string, GenerationRecord>> {
    const records = new Map<string, GenerationRecord>();
    const stored: SpanKey[] = [];
    for (const key of keys) {
      const id = spanKeyString(key);
      const span = calls.get(id);
      const record = rebuilt.get(id) ?? (span ? translatedRecord(span, this.prices) : undefined);
      if (record) records.set(id, record);
      else stored.push(key);
    }
    if (stored.length === 0) return records;
    for (const [key, record] of await store.mergedRecords(stored)) records.set(key, record);
    const listed = stored.filter((key) => !records.has(spanKeyString(key)));
    if (listed.length > 0) {
      const byId = await store.getMany(listed.map((key) => recordId(key.traceId, key.spanId)));
      for (const record of byId.values()) records.set(spanKeyString(record), record);
    }
    return records;
  }
}

function describe(span: NormalizedSpan): DescribedSpan {
  const description = describeStep(span);
  if (description.failure !== undefined) {
    report('warn', `genspan: could not read span ${span.spanId} (trace ${span.traceId}) as a step: ${description.failure}`);
  }
  return { span, description };
}

/** The generation record of an LLM span as translated from the span alone. */
function translatedRecord(span: NormalizedSpan, prices: PriceTable): GenerationRecord | undefined {
  const result = translateSpan(span);
  return result ? buildRecord(span, result, prices) : undefined;
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
