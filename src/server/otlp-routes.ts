import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationIngest } from '../ingest/ingest.js';
import { type DecodeLimits, encodeExportResponse, encodeStatus, type OtlpEncoding, type OtlpSignal, RpcCode } from '../otlp/index.js';
import type { InFlightLimiter, InFlightReservation } from './admission.js';
import { type BodyPace, BodyReadError, readBody } from './body.js';
import { errorDetail, logRefusal } from './log.js';
import { exportOtlp } from './otlp-export.js';
import { answerStoreFailure } from './store-failure.js';
import type { StoreWriteHealth } from './store-health.js';

export const TRACES_PATH = '/v1/traces';
export const LOGS_PATH = '/v1/logs';

/** Seconds a client waits before retrying when the server is busy (429). */
export const RETRY_AFTER_BUSY_SECONDS = 1;

export interface OtlpRouteOptions {
  ingest: GenerationIngest;
  /** Told how each write ended. */
  health: StoreWriteHealth;
  limiter: InFlightLimiter;
  maxBodyBytes: number;
  /** What one request may carry; more is refused with 413 as soon as the decoder sees it. */
  limits: DecodeLimits;
  /** How long a request waits for room among those in flight before 429. */
  admissionWaitMs: number;
  /** How fast an admitted request's body must arrive. */
  bodyPace: BodyPace;
}

/** The OTLP encoding of a Content-Type, or undefined for one OTLP/HTTP does not define. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = contentType?.split(';', 1)[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** Sends a `google.rpc.Status` failure in the request's encoding (JSON when the request's is unknown). */
export function sendOtlpStatus(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  rpcCode: number,
  message: string,
  retryAfterSeconds?: number,
): FastifyReply {
  logRefusal(request, statusCode, message);
  const { contentType, body } = encodeStatus(otlpEncodingOf(request.headers['content-type']) ?? 'json', rpcCode, message);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(statusCode).type(contentType).send(body);
}

function declaredLength(request: FastifyRequest): number {
  const header = request.headers['content-length'];
  const length = header === undefined ? 0 : Number(header);
  return Number.isFinite(length) && length > 0 ? length : 0;
}

/** The 4xx status an error carries (Fastify's own client errors do), or undefined. */
export function clientErrorStatus(error: unknown): number | undefined {
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
}

/**
 * `POST /v1/traces` and `POST /v1/logs`, OTLP/HTTP as the specification describes: protobuf or JSON chosen by
 * Content-Type, optional gzip, the response in the request's encoding, 200 only once the store has the records.
 * Registered in their own encapsulated context: the body is read here, as a stream, not by Fastify's parsers.
 */
export async function otlpRoutes(app: FastifyInstance, options: OtlpRouteOptions): Promise<void> {
  const { ingest, health, limiter, maxBodyBytes, limits, admissionWaitMs, bodyPace } = options;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  // Admission happens before the body is read; the body then grows the reservation as it is received and inflated.
  const reservations = new WeakMap<FastifyRequest, InFlightReservation>();
  const admit = async (request: FastifyRequest, reply: FastifyReply) => {
    const length = declaredLength(request);
    if (length > maxBodyBytes) {
      return sendOtlpStatus(
        request,
        reply,
        413,
        RpcCode.INVALID_ARGUMENT,
        `the request body (${length} bytes) is larger than the limit of ${maxBodyBytes} bytes (--max-body)`,
      );
    }
    const socket = request.raw.socket;
    const gone = new AbortController();
    const onGone = () => gone.abort();
    socket.once('close', onGone);
    const raw = request.raw;
    const reservation = await limiter.acquire(length, {
      waitMs: admissionWaitMs,
      // Its body is here in full, or fills the buffer Node reads it into: the sender is waiting for us, not we for it.
      ready: () => raw.complete || raw.readableLength >= raw.readableHighWaterMark,
      signal: gone.signal,
    });
    socket.off('close', onGone);
    // A client that left while waiting gets its room back at once (its answer goes nowhere).
    if (gone.signal.aborted) reservation?.release();
    if (!reservation || gone.signal.aborted) {
      return sendOtlpStatus(
        request,
        reply,
        429,
        RpcCode.RESOURCE_EXHAUSTED,
        'genspan is busy writing earlier requests; retry later',
        RETRY_AFTER_BUSY_SECONDS,
      );
    }
    reservations.set(request, reservation);
    reply.raw.once('close', reservation.release);
  };

  const handle = (signal: OtlpSignal) => async (request: FastifyRequest, reply: FastifyReply) => {
    const encoding = otlpEncodingOf(request.headers['content-type']);
    if (!encoding) {
      const given = request.headers['content-type'] ?? 'none';
      return sendOtlpStatus(
        request,
        reply,
        415,
        RpcCode.INVALID_ARGUMENT,
        `unsupported Content-Type "${given}": send application/x-protobuf or application/json`,
      );
    }
    const contentEncoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
      return sendOtlpStatus(
        request,
        reply,
        415,
        RpcCode.INVALID_ARGUMENT,
        `unsupported Content-Encoding "${contentEncoding}": send gzip or no encoding`,
      );
    }

    let body: Buffer;
    try {
      body = await readBody(request.raw, {
        gzip: contentEncoding === 'gzip',
        maxBytes: maxBodyBytes,
        reservation: reservations.get(request),
        pace: bodyPace,
      });
    } catch (error) {
      if (!(error instanceof BodyReadError)) throw error;
      if (error.statusCode === 408) {
        // The slow client loses its connection too, so it cannot go on holding a socket.
        reply.header('connection', 'close');
        reply.raw.once('finish', () => request.raw.socket.destroy());
        return sendOtlpStatus(request, reply, 408, RpcCode.DEADLINE_EXCEEDED, error.message);
      }
      if (error.statusCode === 429)
        return sendOtlpStatus(request, reply, 429, RpcCode.RESOURCE_EXHAUSTED, error.message, RETRY_AFTER_BUSY_SECONDS);
      return sendOtlpStatus(request, reply, error.statusCode, RpcCode.INVALID_ARGUMENT, error.message);
    }

    const outcome = await exportOtlp(signal, body, encoding, { ingest, health, limits, warn: (message) => request.log.warn(message) });
    switch (outcome.kind) {
      case 'too-many-items':
        return sendOtlpStatus(request, reply, 413, RpcCode.INVALID_ARGUMENT, outcome.message);
      case 'malformed':
        return sendOtlpStatus(request, reply, 400, RpcCode.INVALID_ARGUMENT, outcome.message);
      case 'store-failed': {
        const answer = answerStoreFailure(request, outcome.error, 'write');
        return sendOtlpStatus(request, reply, answer.statusCode, answer.rpcCode, answer.message, answer.retryAfterSeconds);
      }
    }
    const response = encodeExportResponse(signal, encoding, outcome.partialSuccess);
    return reply.code(200).type(response.contentType).send(response.body);
  };

  app.post(TRACES_PATH, { onRequest: admit }, handle('traces'));
  app.post(LOGS_PATH, { onRequest: admit }, handle('logs'));

  app.setErrorHandler((error, request, reply) => {
    // Fastify's own client errors (e.g. a malformed Content-Type) keep their status: they are the client's to fix.
    const statusCode = clientErrorStatus(error);
    if (statusCode !== undefined) return sendOtlpStatus(request, reply, statusCode, RpcCode.INVALID_ARGUMENT, (error as Error).message);
    request.log.error(`${request.method} ${request.url} failed: ${errorDetail(error)}`);
    return sendOtlpStatus(request, reply, 500, RpcCode.INTERNAL, 'internal error while receiving the request');
  });
}
