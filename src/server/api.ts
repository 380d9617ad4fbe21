import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ListQuerySchema, listFilterProblem, type ParsedListFilter } from '../generation/filter.js';
import { FACET_FIELDS, type FacetField, LIST_QUERY_PARAMETERS } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import type { ErrorBody, FacetList, GenerationItem, GenerationList } from '../generation/rest.js';
import type { IngestStore } from '../ingest/contract.js';
import { InvalidListFilterError } from '../store/errors.js';
import type { GenerationStore, TraceStore } from '../store/types.js';
import { jsonStream } from './json-stream.js';
import { listSummary } from './list-summary.js';
import type { StoreWriteHealth } from './store-health.js';

export interface ApiOptions {
  /** Its steps name the step and thread of a generation. */
  store: GenerationStore & TraceStore & Pick<IngestStore, 'stepLinks'>;
  /** Whether the store still takes writes, for `/healthz`. */
  health: StoreWriteHealth;
  /** Jaeger UI base URL, e.g. `http://localhost:16686`. */
  jaegerUrl?: string;
}

/** A query parameter that cannot be used: answered with 400 and this message. */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
}

/** Reads `GET /api/generations` query parameters into the store's filter. Pure; throws `InvalidQueryError`. */
export function listFilterFromQuery(query: Record<string, unknown>): ParsedListFilter {
  const parsed = ListQuerySchema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw new InvalidQueryError(listFilterProblem(parsed.error, (field) => `query parameter "${LIST_QUERY_PARAMETERS[field]}"`));
}

/** The Jaeger UI page of a trace. */
export function jaegerTraceUrl(jaegerUrl: string, traceId: string): string {
  return `${jaegerUrl.replace(/\/+$/, '')}/trace/${encodeURIComponent(traceId)}`;
}

/** The body of an answer other than 2xx. */
export function errorBody(statusCode: number, error: string, message: string): ErrorBody {
  return { statusCode, error, message };
}

/**
 * The REST API: `GET /api/generations` (filters and cursor pagination; summaries, so a page stays small whatever
 * is stored; the total matching, bounded), `GET /api/facets` (a field's values with their counts, for suggestions),
 * `GET /api/generations/:id` (the whole record with its step and thread, streamed as JSON),
 * `GET /api/generations.jsonl` (the whole store, streamed) and `GET /healthz`. Responses are serialized by Fastify
 * (JSON.stringify) or, streamed, by `jsonStream`, never assembled from strings by hand.
 */
export async function apiRoutes(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const { store, health, jaegerUrl } = options;
  const withLink = (record: GenerationRecord): GenerationItem =>
    jaegerUrl ? { ...record, jaegerUrl: jaegerTraceUrl(jaegerUrl, record.traceId) } : record;

  app.get('/api/generations', async (request, reply) => {
    let filter: ParsedListFilter;
    try {
      filter = listFilterFromQuery(request.query as Record<string, unknown>);
    } catch (error) {
      if (error instanceof InvalidQueryError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
      throw error;
    }
    try {
      const [page, total] = await Promise.all([store.list(filter), store.count(filter)]);
      const list: GenerationList = {
        items: page.items.map((record) => listSummary(withLink(record))),
        nextCursor: page.nextCursor,
        total,
      };
      return reply.send(list);
    } catch (error) {
      if (error instanceof InvalidListFilterError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
      throw error;
    }
  });

  app.get('/api/facets', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const field = query.field;
    if (typeof field !== 'string' || !Object.hasOwn(FACET_FIELDS, field)) {
      const message = `query parameter "field" must be one of ${Object.keys(FACET_FIELDS).join(', ')}`;
      return reply.code(400).send(errorBody(400, 'Bad Request', message));
    }
    let filter: ParsedListFilter;
    try {
      filter = listFilterFromQuery(query);
    } catch (error) {
      if (error instanceof InvalidQueryError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
      throw error;
    }
    const facets: FacetList = await store.facets(field as FacetField, filter);
    return reply.send(facets);
  });

  app.get('/api/generations.jsonl', (_request, reply) => {
    const output = new PassThrough();
    store.exportJsonl(output).then(
      () => output.end(),
      (error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))),
    );
    return reply
      .header('content-disposition', 'attachment; filename="generations.jsonl"')
      .type('application/x-ndjson; charset=utf-8')
      .send(output);
  });

  app.get<{ Params: { id: string } }>('/api/generations/:id', async (request, reply) => {
    const record = await store.get(request.params.id);
    if (!record) return reply.code(404).send(errorBody(404, 'Not Found', `no generation with id ${request.params.id}`));
    // The step that owns a record is its span's, so it has the record's id; records stored before steps have none.
    const [links, threadId] = await Promise.all([store.stepLinks([record.traceId]), store.threadOfTrace(record.traceId)]);
    const hasStep = links.get(record.traceId)?.some((link) => link.spanId === record.spanId) ?? false;
    const item: GenerationItem = { ...withLink(record), ...(hasStep ? { stepId: record.id } : {}), ...(threadId ? { threadId } : {}) };
    return reply.type('application/json; charset=utf-8').send(jsonStream(item));
  });

  // 503 with the reason when the store reads but has stopped taking writes: what it receives would be lost.
  app.get('/healthz', async (_request, reply) => {
    await store.list({ limit: 1 });
    const problem = health.problem;
    if (problem) return reply.code(503).send({ status: 'unwritable', message: problem });
    return reply.send({ status: 'ok' });
  });
}
