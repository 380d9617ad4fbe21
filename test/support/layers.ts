import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NormalizedLogRecord, NormalizedSpan } from '../../src/translate/types.js';
import { type CapturedScenarioJson, reviveLog, reviveSpan } from '../translate/revive.js';
import { startFakeOpenAI } from './fake-openai.js';

export const LAYER_SCENARIOS = ['openai', 'vercel', 'langchain'] as const;
export type LayerScenario = (typeof LAYER_SCENARIOS)[number];

export interface Captured {
  spans: NormalizedSpan[];
  logs: NormalizedLogRecord[];
}

/**
 * Runs test/ingest/fixtures/layers.mjs for one scenario in its own `node` process (so require-in-the-middle patches
 * the client packages as in an app) against a fake OpenAI server on 127.0.0.1; needs the build (genspan's `step`).
 */
export async function captureLayers(scenario: LayerScenario): Promise<Captured> {
  const fake = await startFakeOpenAI();
  const script = fileURLToPath(new URL('../ingest/fixtures/layers.mjs', import.meta.url));
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, fake.baseURL, scenario], { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 }, (error, out, err) => {
        if (error) reject(new Error(`${script} ${scenario} failed: ${error.message}\n${err}`));
        else resolve(out);
      });
    });
    const raw = (JSON.parse(stdout) as Record<string, CapturedScenarioJson>)[scenario];
    if (raw.error) throw new Error(`${scenario}: the call failed: ${raw.error}`);
    return { spans: raw.spans.map(reviveSpan), logs: raw.logs.map(reviveLog) };
  } finally {
    await fake.close();
  }
}

/** One item as it reaches genspan: a span or a log record. */
export type Item = { span: NormalizedSpan } | { log: NormalizedLogRecord };

/** Consecutive items of one signal, as one export or request carries them, at most `size` each (0: no limit). */
export function signalBatches(items: readonly Item[], size: number): Item[][] {
  const out: Item[][] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (last && 'span' in last[0] === 'span' in item && (size <= 0 || last.length < size)) last.push(item);
    else out.push([item]);
  }
  return out;
}

function anyValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (typeof value === 'object' && value !== null) return { kvlistValue: { values: keyValues(value as Record<string, unknown>) } };
  return {};
}

function keyValues(attributes: Record<string, unknown>): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** An OTLP/JSON `ExportTraceServiceRequest` of normalized spans (one resource and scope each). */
export function otlpTracesJson(spans: readonly NormalizedSpan[]): string {
  return JSON.stringify({
    resourceSpans: spans.map((span) => ({
      resource: { attributes: keyValues(span.resource) },
      scopeSpans: [
        {
          scope: { name: span.scope.name, version: span.scope.version },
          spans: [
            {
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: span.startTimeUnixNano.toString(),
              endTimeUnixNano: span.endTimeUnixNano.toString(),
              attributes: keyValues(span.attributes),
              events: span.events.map((event) => ({
                name: event.name,
                timeUnixNano: event.timeUnixNano.toString(),
                attributes: keyValues(event.attributes),
              })),
              status: { code: span.status.code, message: span.status.message ?? '' },
            },
          ],
        },
      ],
    })),
  });
}

/** An OTLP/JSON `ExportLogsServiceRequest` of normalized log records. */
export function otlpLogsJson(logs: readonly NormalizedLogRecord[]): string {
  return JSON.stringify({
    resourceLogs: logs.map((log) => ({
      resource: { attributes: keyValues(log.resource) },
      scopeLogs: [
        {
          scope: { name: log.scope.name, version: log.scope.version },
          logRecords: [
            {
              traceId: log.traceId,
              spanId: log.spanId,
              timeUnixNano: log.timeUnixNano.toString(),
              eventName: log.eventName,
              body: anyValue(log.body),
              attributes: keyValues(log.attributes),
            },
          ],
        },
      ],
    })),
  });
}

/** The capture moved to another trace (same spans, new trace id), so one store can take it again as new. */
export function inTrace(capture: Captured, traceId: string): Captured {
  return {
    spans: capture.spans.map((span) => ({ ...span, traceId })),
    logs: capture.logs.map((log) => ({ ...log, traceId })),
  };
}
