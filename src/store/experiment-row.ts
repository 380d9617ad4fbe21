import {
  type Experiment,
  type ExperimentDefinition,
  ExperimentDefinitionSchema,
  type ExperimentResult,
  ExperimentStatusSchema,
} from '../generation/experiment.js';

/**
 * Experiments and their results as both stores keep them: one row per experiment (its definition as JSON, its status),
 * one per result, keyed by (experiment, source, variant) so a result is stored once however often it is written.
 */

/** An experiment's row, with its progress counted from its results. */
export interface ExperimentRow {
  id: string;
  status: string;
  error: string | null;
  definition: string;
  /** Counts come back as numbers from SQLite and as strings (bigint) from PostgreSQL. */
  done: number | string;
  errors: number | string;
}

export interface ExperimentResultRow {
  experiment_id: string;
  source_id: string;
  variant: number;
  generation_id: string | null;
  error: string | null;
}

/** Selects experiments with their progress; the caller adds WHERE and ORDER BY. */
export const EXPERIMENT_SELECT = `SELECT e.id, e.status, e.error, e.definition,
  (SELECT count(*) FROM genspan_experiment_results r WHERE r.experiment_id = e.id) AS done,
  (SELECT count(*) FROM genspan_experiment_results r WHERE r.experiment_id = e.id AND r.error IS NOT NULL) AS errors
FROM genspan_experiments e`;

export const EXPERIMENT_NEWEST_FIRST = 'ORDER BY e.created_ms DESC, e.id DESC';

export const EXPERIMENT_RESULT_COLUMNS = 'experiment_id, source_id, variant, generation_id, error';

export function experimentFromRow(row: ExperimentRow): Experiment {
  const definition = ExperimentDefinitionSchema.parse(JSON.parse(row.definition));
  return {
    ...definition,
    status: ExperimentStatusSchema.parse(row.status),
    error: row.error,
    progress: { total: definition.sourceIds.length * definition.variants.length, done: Number(row.done), errors: Number(row.errors) },
  };
}

/** The values of an experiment's new row: id, created_ms, status, definition (JSON). */
export function experimentValues(definition: ExperimentDefinition, status: string): [string, number, string, string] {
  return [definition.id, Date.parse(definition.createdTime), status, JSON.stringify(ExperimentDefinitionSchema.parse(definition))];
}

export function resultFromRow(row: ExperimentResultRow): ExperimentResult {
  return {
    experimentId: row.experiment_id,
    sourceId: row.source_id,
    variant: Number(row.variant),
    generationId: row.generation_id,
    error: row.error,
  };
}
