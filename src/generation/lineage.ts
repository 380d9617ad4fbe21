/**
 * How a playground re-run names the generation it came from: `metadata.rerunOf = { id, traceId, spanId }`.
 * Written by the server's re-run, read by the page; browser-safe.
 */

export const RERUN_METADATA_KEY = 'rerunOf';

export interface RerunOrigin {
  /** Record id of the original generation. */
  id: string;
  traceId: string;
  spanId: string;
}

/** The origin a generation's metadata names, or `null` when it is not a re-run. */
export function rerunOriginOf(metadata: Readonly<Record<string, unknown>> | null | undefined): RerunOrigin | null {
  const origin = metadata?.[RERUN_METADATA_KEY];
  if (typeof origin !== 'object' || origin === null) return null;
  const { id, traceId, spanId } = origin as Record<string, unknown>;
  return typeof id === 'string'
    ? { id, traceId: typeof traceId === 'string' ? traceId : '', spanId: typeof spanId === 'string' ? spanId : '' }
    : null;
}
