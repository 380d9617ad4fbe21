import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ParsedListFilter } from '../generation/filter.js';
import { LIST_PAGE_SIZE } from '../generation/list-query.js';
import type { ErrorBody, ThreadList, ThreadSummary, TraceDetail, TraceList, TraceSummary } from '../generation/rest.js';
import { truncateText } from '../semconv/encode.js';
import { InvalidListFilterError } from '../store/errors.js';
import type { ThreadFilter, TraceStore } from '../store/types.js';
import { InvalidQueryError, jaegerTraceUrl, listFilterFromQuery } from './api.js';
import { jsonStream } from './json-stream.js';
import { SUMMARY_TEXT_CHARS } from './list-summary.js';

/**
 * The traces' and threads' REST API: `GET /api/traces` (the generation list's filters and cursor; a trace is listed
 * when one of its generations matches), `GET /api/traces/:traceId` (its steps in tree order, streamed),
 * `GET /api/threads` (`limit`, `cursor`, `userId`) and `GET /api/threads/:id` (its turns in time order, streamed).
 * List rows are bounded: their free text (names, which may be a first user input) is cut as the generation list cuts it.
 */

export interface TraceRoutesOptions {
  store: TraceStore;
  /** Jaeger UI base URL: a trace then links to its page there. */
  jaegerUrl?: string;
}

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

const limitMessage = `must be an integer from 1 to ${LIST_PAGE_SIZE.max}`;
const onceAsText = (parameter: string) => z.string({ error: `query parameter "${parameter}" must be given once, as text` });

/** `GET /api/threads`' query parameters; unknown ones are ignored, blank ones are left out. */
const ThreadQuerySchema = z.object({
  limit: onceAsText('limit')
    .regex(/^\d+$/, { error: `query parameter "limit" ${limitMessage}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: `query parameter "limit" ${limitMessage}` })
        .max(LIST_PAGE_SIZE.max, { error: `query parameter "limit" ${limitMessage}` }),
    )
    .optional(),
  cursor: onceAsText('cursor').optional(),
  userId: onceAsText('userId').optional(),
});

/** Reads `GET /api/threads` query parameters into the store's filter. Pure; throws `InvalidQueryError`. */
export function threadFilterFromQuery(query: Record<string, unknown>): ThreadFilter {
  const present = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== '' && value !== undefined));
  const parsed = ThreadQuerySchema.safeParse(present);
  if (!parsed.success) throw new InvalidQueryError(parsed.error.issues.map((issue) => issue.message).join('; '));
  const filter: ThreadFilter = {};
  if (parsed.data.limit !== undefined) filter.limit = parsed.data.limit;
  if (parsed.data.cursor !== undefined) filter.cursor = parsed.data.cursor;
  if (parsed.data.userId !== undefined) filter.userId = parsed.data.userId;
  return filter;
}

const cut = (value: string | null): string | null => (value === null ? null : truncateText(value, SUMMARY_TEXT_CHARS));

/** A trace row with its free text cut, so a page of rows stays small whatever the root step was named. */
export function traceRow(summary: TraceSummary): TraceSummary {
  return { ...summary, name: cut(summary.name), serviceName: cut(summary.serviceName) };
}

/** A thread row with its free text cut: an unnamed thread is named by its first user input, which may be a document. */
export function threadRow(summary: ThreadSummary): ThreadSummary {
  return { ...summary, name: cut(summary.name), userId: cut(summary.userId) };
}

function errorBody(statusCode: number, error: string, message: string): ErrorBody {
  return { statusCode, error, message };
}

export async function traceRoutes(app: FastifyInstance, options: TraceRoutesOptions): Promise<void> {
  const { store, jaegerUrl } = options;
  const badRequest = (message: string) => errorBody(400, 'Bad Request', message);

  app.get('/api/traces', async (request, reply) => {
    let filter: ParsedListFilter;
    try {
      filter = listFilterFromQuery(request.query as Record<string, unknown>);
    } catch (error) {
      if (error instanceof InvalidQueryError) return reply.code(400).send(badRequest(error.message));
      throw error;
    }
    try {
      const page = await store.listTraces(filter);
      const list: TraceList = { items: page.items.map(traceRow), nextCursor: page.nextCursor };
      return reply.send(list);
    } catch (error) {
      if (error instanceof InvalidListFilterError) return reply.code(400).send(badRequest(error.message));
      throw error;
    }
  });

  app.get<{ Params: { traceId: string } }>('/api/traces/:traceId', async (request, reply) => {
    const { traceId } = request.params;
    if (!TRACE_ID.test(traceId)) return reply.code(400).send(badRequest(`a trace id is 32 hex characters, got ${JSON.stringify(traceId)}`));
    const trace = await store.getTrace(traceId.toLowerCase());
    if (!trace) return reply.code(404).send(errorBody(404, 'Not Found', `no trace with id ${traceId}`));
    const detail: TraceDetail = jaegerUrl ? { ...trace, jaegerUrl: jaegerTraceUrl(jaegerUrl, trace.traceId) } : trace;
    return reply.type('application/json; charset=utf-8').send(jsonStream(detail));
  });

  app.get('/api/threads', async (request, reply) => {
    let filter: ThreadFilter;
    try {
      filter = threadFilterFromQuery(request.query as Record<string, unknown>);
    } catch (error) {
      if (error instanceof InvalidQueryError) return reply.code(400).send(badRequest(error.message));
      throw error;
    }
    try {
      const page = await store.listThreads(filter);
      const list: ThreadList = { items: page.items.map(threadRow), nextCursor: page.nextCursor };
      return reply.send(list);
    } catch (error) {
      if (error instanceof InvalidListFilterError) return reply.code(400).send(badRequest(error.message));
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>('/api/threads/:id', async (request, reply) => {
    const thread = await store.getThread(request.params.id);
    if (!thread) return reply.code(404).send(errorBody(404, 'Not Found', `no thread with id ${request.params.id}`));
    return reply.type('application/json; charset=utf-8').send(jsonStream(thread));
  });
}
