import type { NormalizedEvent, NormalizedLogRecord, NormalizedSpan } from '../../src/translate/types.js';

/**
 * Captured spans and log records come as JSON, with their nanosecond times as decimal strings (JSON has no bigint):
 * these turn them back into the translator's normalized shapes. Shared by the capture tests and the benchmark.
 */

type CapturedEvent = Omit<NormalizedEvent, 'timeUnixNano'> & { timeUnixNano: string };
export type CapturedSpan = Omit<NormalizedSpan, 'startTimeUnixNano' | 'endTimeUnixNano' | 'events'> & {
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  events: CapturedEvent[];
};
export type CapturedLog = Omit<NormalizedLogRecord, 'timeUnixNano'> & { timeUnixNano: string };
/** What a capture script printed for one scenario. */
export interface CapturedScenarioJson {
  spans: CapturedSpan[];
  logs: CapturedLog[];
  error?: string;
}

export function reviveSpan(span: CapturedSpan): NormalizedSpan {
  return {
    ...span,
    startTimeUnixNano: BigInt(span.startTimeUnixNano),
    endTimeUnixNano: BigInt(span.endTimeUnixNano),
    events: span.events.map((event) => ({ ...event, timeUnixNano: BigInt(event.timeUnixNano) })),
  };
}

export function reviveLog(record: CapturedLog): NormalizedLogRecord {
  return { ...record, timeUnixNano: BigInt(record.timeUnixNano) };
}
