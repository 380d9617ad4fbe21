/**
 * The experiment view's numbers: each source and result as a cell, and each column's totals and means. Pure and
 * browser-safe (types only from the schemas), so the server, `genspan replay` and the page compute them alike.
 */
import type { Experiment, ExperimentResult } from './experiment.js';
import type { GenerationRecord } from './record.js';
import type { ExperimentCell, ExperimentColumn, ExperimentDetail, ExperimentRow } from './rest.js';

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part === 'object' && part !== null && typeof part.text === 'string' ? (part.text as string) : ''))
    .join('');
}

/** A generation's output as text: the completion, or the assistant message's text followed by its tool calls. */
export function outputText(generation: Readonly<Record<string, unknown>>): string | null {
  if (generation.type === 'COMPLETION') return typeof generation.completion === 'string' ? generation.completion : null;
  const message = generation.messageCompletion as { content?: unknown; tool_calls?: unknown } | null | undefined;
  if (!message) return null;
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const callText = calls.map((call) => {
    const fn = (call as { function?: { name?: unknown; arguments?: unknown } }).function;
    return `${String(fn?.name ?? '')}(${String(fn?.arguments ?? '')})`;
  });
  return [contentText(message.content), ...callText].filter(Boolean).join('\n');
}

/** A stored generation as a cell; `error` is the result's own when it has no record. */
export function experimentCell(record: GenerationRecord | undefined, error: string | null = null): ExperimentCell {
  if (!record)
    return { generationId: null, output: null, error, inputTokens: null, outputTokens: null, tokens: null, latencyMs: null, cost: null };
  const generation = record.generation as Record<string, unknown>;
  const inputTokens = count(generation.inputTokenCount);
  const outputTokens = count(generation.outputTokenCount);
  const latencyMs = Date.parse(record.endTime) - Date.parse(record.startTime);
  return {
    generationId: record.id,
    output: outputText(generation),
    error: typeof generation.error === 'string' ? generation.error : error,
    inputTokens,
    outputTokens,
    tokens: count(generation.tokenCount) ?? (inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null),
    latencyMs: Number.isFinite(latencyMs) ? latencyMs : null,
    cost: record.cost?.total ?? null,
  };
}

/** The value at quantile `q` of sorted values (nearest rank), or null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function isJson(text: string | null): boolean {
  if (text === null) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A column's totals and means over its cells. With `originals` (one per cell, same order), the share of outputs
 * identical to their original's; with `expectsJson`, the share of valid JSON outputs.
 */
export function summarizeColumn(
  cells: readonly ExperimentCell[],
  originals?: readonly (ExperimentCell | null)[],
  expectsJson = false,
): ExperimentColumn {
  const n = cells.length;
  const share = (matches: number) => (n === 0 ? null : matches / n);
  const errors = cells.filter((cell) => cell.error !== null).length;
  const tokens = cells.map((cell) => cell.tokens).filter((value) => value !== null);
  const costs = cells.map((cell) => cell.cost).filter((value) => value !== null);
  const latencies = cells
    .map((cell) => cell.latencyMs)
    .filter((value) => value !== null)
    .sort((a, b) => a - b);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const identical = originals
    ? share(cells.filter((cell, i) => cell.output !== null && cell.output === (originals[i]?.output ?? null)).length)
    : null;
  return {
    results: n,
    errors,
    errorRate: share(errors),
    tokens: { total: sum(tokens), mean: tokens.length > 0 ? sum(tokens) / tokens.length : null },
    cost: { total: sum(costs), mean: costs.length > 0 ? sum(costs) / costs.length : null },
    latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
    identicalShare: identical,
    validJsonShare: expectsJson ? share(cells.filter((cell) => isJson(cell.output)).length) : null,
  };
}

/** Whether a variant asks for JSON: a response format it sets, or one in its settings. */
function expectsJson(variant: Experiment['variants'][number]): boolean {
  if (variant.responseFormat) return true;
  const format = variant.settings.response_format;
  return typeof format === 'object' && format !== null;
}

/** The experiment view: one row per source, one column per variant, plus the originals'; `records` by id. */
export function experimentDetail(
  experiment: Experiment,
  results: readonly ExperimentResult[],
  records: ReadonlyMap<string, GenerationRecord>,
): ExperimentDetail {
  const bySource = new Map<string, (ExperimentResult | undefined)[]>();
  for (const result of results) {
    const row = bySource.get(result.sourceId) ?? [];
    row[result.variant] = result;
    bySource.set(result.sourceId, row);
  }
  const rows: ExperimentRow[] = experiment.sourceIds.map((sourceId) => {
    const source = records.get(sourceId);
    const found = bySource.get(sourceId) ?? [];
    return {
      sourceId,
      original: source ? experimentCell(source) : null,
      results: experiment.variants.map((_, index) => {
        const result = found[index];
        if (!result) return null;
        return experimentCell(result.generationId ? records.get(result.generationId) : undefined, result.error);
      }),
    };
  });
  const originals = rows.map((row) => row.original).filter((cell) => cell !== null);
  const variants = experiment.variants.map((variant, index) => {
    const ran = rows.filter((row) => row.results[index] !== null);
    return summarizeColumn(
      ran.map((row) => row.results[index] as ExperimentCell),
      ran.map((row) => row.original),
      expectsJson(variant),
    );
  });
  return { experiment, original: summarizeColumn(originals), variants, rows };
}
