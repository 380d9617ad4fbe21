import type { FastifyInstance } from 'fastify';
import { experimentDetail } from '../generation/experiment-summary.js';
import type { ErrorBody, ExperimentDetail, ExperimentList } from '../generation/rest.js';
import type { PlaygroundStore } from '../store/types.js';
import { RERUN_BODY_LIMIT_BYTES } from './defaults.js';
import { ExperimentInputError, type ExperimentRunner } from './experiments.js';
import { CONFIGURE_COMMAND, ownPageJsonOnly } from './playground.js';

/**
 * The experiments' REST API: `POST /api/experiments` (create and start), `GET /api/experiments` (newest first),
 * `GET /api/experiments/:id` (the experiment, its progress and results, with column totals and means) and
 * `POST /api/experiments/:id/cancel`.
 */

function errorBody(statusCode: number, error: string, message: string): ErrorBody {
  return { statusCode, error, message };
}

export function registerExperimentRoutes(app: FastifyInstance, options: { store: PlaygroundStore; runner: ExperimentRunner }): void {
  const { store, runner } = options;
  const notFound = (id: string) => errorBody(404, 'Not Found', `No experiment with id ${id}`);

  app.post(
    '/api/experiments',
    { bodyLimit: RERUN_BODY_LIMIT_BYTES, onRequest: ownPageJsonOnly('start an experiment', 'the experiment') },
    async (request, reply) => {
      if (!runner.enabled) {
        const message = `No provider is configured for experiments. Start the server with: ${CONFIGURE_COMMAND}`;
        return reply.code(503).send(errorBody(503, 'Service Unavailable', message));
      }
      try {
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send(await runner.create(request.body));
      } catch (error) {
        if (error instanceof ExperimentInputError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
        throw error;
      }
    },
  );

  app.get('/api/experiments', async (_request, reply) => {
    const list: ExperimentList = { items: await store.listExperiments() };
    return reply.header('cache-control', 'no-store').send(list);
  });

  app.get<{ Params: { id: string } }>('/api/experiments/:id', async (request, reply) => {
    const experiment = await store.getExperiment(request.params.id);
    if (!experiment) return reply.code(404).send(notFound(request.params.id));
    const results = await store.experimentResults(experiment.id);
    const ids = [...experiment.sourceIds, ...results.flatMap((result) => (result.generationId ? [result.generationId] : []))];
    const detail: ExperimentDetail = experimentDetail(experiment, results, await store.getMany(ids));
    return reply.header('cache-control', 'no-store').send(detail);
  });

  app.post<{ Params: { id: string } }>(
    '/api/experiments/:id/cancel',
    { onRequest: ownPageJsonOnly('cancel an experiment') },
    async (request, reply) => {
      const experiment = await runner.cancel(request.params.id);
      if (!experiment) return reply.code(404).send(notFound(request.params.id));
      return reply.header('cache-control', 'no-store').send(experiment);
    },
  );
}
