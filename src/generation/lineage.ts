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

/**
 * How an experiment's result names its experiment and variant: `metadata.experiment = { id, variant }`, beside
 * `metadata.rerunOf` naming its source. Written by the server's experiment runner.
 */
export const EXPERIMENT_METADATA_KEY = 'experiment';

export interface ExperimentLink {
  /** The experiment's id. */
  id: string;
  /** The variant's index in the experiment's variants. */
  variant: number;
}

/** The experiment a generation's metadata names, or `null` when it is no experiment's result. */
export function experimentLinkOf(metadata: Readonly<Record<string, unknown>> | null | undefined): ExperimentLink | null {
  const link = metadata?.[EXPERIMENT_METADATA_KEY];
  if (typeof link !== 'object' || link === null) return null;
  const { id, variant } = link as Record<string, unknown>;
  return typeof id === 'string' && typeof variant === 'number' ? { id, variant } : null;
}
