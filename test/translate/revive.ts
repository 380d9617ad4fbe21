import { logRecordFromJson, type NormalizedLogRecordJson, type NormalizedSpanJson, spanFromJson } from '../../src/translate/normalize.js';

/**
 * Captured spans and log records come as JSON, with their nanosecond times as decimal strings (JSON has no bigint);
 * the translator's own JSON readers turn them back into its normalized shapes. Shared by the capture tests and the
 * benchmark.
 */

export type CapturedSpan = NormalizedSpanJson;
export type CapturedLog = NormalizedLogRecordJson;

/** What a capture script printed for one scenario. */
export interface CapturedScenarioJson {
  spans: CapturedSpan[];
  logs: CapturedLog[];
  error?: string;
}

export const reviveSpan = spanFromJson;
export const reviveLog = logRecordFromJson;
