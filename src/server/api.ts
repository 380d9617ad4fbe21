import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { InvalidListFilterError } from '../store/errors.js';
import type { GenerationRecord, GenerationStore, ListFilter } from '../store/types.js';

/** A generation as the REST API returns it: the stored record, plus a link to its trace when Jaeger is known. */
export type GenerationItem = GenerationRecord & { jaegerUrl?: string };

export interface GenerationList {
  items: GenerationItem[];
  nextCursor: string | null;
}

export interface ApiOptions {
  store: GenerationStore;
  /** Jaeger UI base URL, e.g. `http://localhost:16686`. */
  jaegerUrl?: string;
}

/** A query parameter that cannot be used: answered with 400 and this message. */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidQueryError(`query parameter "${name}" is given more than once`);
  return value;
}

function time(query: Query, name: string): string | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new InvalidQueryError(`query parameter "${name}" must be an ISO-8601 time, got "${value}"`);
  return new Date(parsed).toISOString();
}

const TRUE_VALUES = new Set(['true', '1', 'yes']);
const FALSE_VALUES = new Set(['false', '0', 'no']);

/** Reads `GET /api/generations` query parameters into the store's filter. Pure; throws `InvalidQueryError`. */
export function listFilterFromQuery(query: Query): ListFilter {
  const filter: ListFilter = {};
  const traceId = single(query, 'traceId');
  if (traceId !== undefined) filter.traceId = traceId.toLowerCase();
  const strings = [
    ['model', 'model'],
    ['provider', 'provider'],
    ['service', 'serviceName'],
    ['tag', 'tag'],
    ['source', 'source'],
    ['q', 'q'],
    ['cursor', 'cursor'],
  ] as const;
  for (const [parameter, key] of strings) {
    const value = single(query, parameter);
    if (value !== undefined) filter[key] = value;
  }
  const error = single(query, 'error');
  if (error !== undefined) {
    if (TRUE_VALUES.has(error.toLowerCase())) filter.errorsOnly = true;
    else if (!FALSE_VALUES.has(error.toLowerCase()))
      throw new InvalidQueryError(`query parameter "error" must be true or false, got "${error}"`);
  }
  const from = time(query, 'from');
  if (from !== undefined) filter.from = from;
  const to = time(query, 'to');
  if (to !== undefined) filter.to = to;
  const limit = single(query, 'limit');
  if (limit !== undefined) {
    const value = Number(limit);
    if (!/^\d+$/.test(limit) || value < 1 || value > 500)
      throw new InvalidQueryError(`query parameter "limit" must be an integer from 1 to 500, got "${limit}"`);
    filter.limit = value;
  }
  return filter;
}

/** The Jaeger UI page of a trace. */
export function jaegerTraceUrl(jaegerUrl: string, traceId: string): string {
  return `${jaegerUrl.replace(/\/+$/, '')}/trace/${encodeURIComponent(traceId)}`;
}

function errorBody(statusCode: number, error: string, message: string) {
  return { statusCode, error, message };
}

/**
 * The REST API: `GET /api/generations` (filters and cursor pagination), `GET /api/generations/:id`,
 * `GET /api/generations.jsonl` (the whole store, streamed) and `GET /healthz`. Responses are serialized by
 * Fastify (JSON.stringify), never assembled from strings.
 */
export async function apiRoutes(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const { store, jaegerUrl } = options;
  const withLink = (record: GenerationRecord): GenerationItem =>
    jaegerUrl ? { ...record, jaegerUrl: jaegerTraceUrl(jaegerUrl, record.traceId) } : record;

  app.get('/api/generations', async (request, reply) => {
    let filter: ListFilter;
    try {
      filter = listFilterFromQuery(request.query as Query);
    } catch (error) {
      if (error instanceof InvalidQueryError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
      throw error;
    }
    try {
      const page = await store.list(filter);
      const list: GenerationList = { items: page.items.map(withLink), nextCursor: page.nextCursor };
      return reply.send(list);
    } catch (error) {
      if (error instanceof InvalidListFilterError) return reply.code(400).send(errorBody(400, 'Bad Request', error.message));
      throw error;
    }
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
    return reply.send(withLink(record));
  });

  app.get('/healthz', async (_request, reply) => {
    await store.list({ limit: 1 });
    return reply.send({ status: 'ok' });
  });
}
