import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { GenerationIngest } from '../ingest/ingest.js';
import { type PricesOption, pricesFromOption } from '../ingest/prices.js';
import type { KeepSpans } from '../ingest/steps.js';
import { RpcCode } from '../otlp/index.js';
import { StoreError } from '../store/errors.js';
import type { RetentionPolicy } from '../store/retention.js';
import type { PlaygroundStore } from '../store/types.js';
import { InFlightLimiter } from './admission.js';
import { apiRoutes } from './api.js';
import { createTokenCheck, hostHeaderName, isLoopbackHost } from './auth.js';
import { answerClientError, NO_SNIFF_HEADER } from './client-error.js';
import {
  DEFAULT_ADMISSION_WAIT_MS,
  DEFAULT_BODY_MIN_RATE,
  DEFAULT_BODY_RATE_GRACE_MS,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_EXPERIMENT_CONCURRENCY,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_IN_FLIGHT_REQUESTS,
  DEFAULT_MAX_REQUEST_ITEMS,
  DEFAULT_PORT,
} from './defaults.js';
import { registerExperimentRoutes } from './experiment-routes.js';
import { ExperimentRunner, type RetryPolicy } from './experiments.js';
import { GrpcReceiver } from './grpc.js';
import { errorDetail, type LogDestination, type LogLevel, logRefusal, parseLogLevel, ServerLog } from './log.js';
import { httpUrl, ServerConfigError } from './options.js';
import { clientErrorStatus, otlpRoutes, sendOtlpStatus } from './otlp-routes.js';
import { PLAYGROUND_PUBLIC_PATHS, registerPlayground } from './playground.js';
import type { ProviderSpec } from './providers.js';
import { RetentionSchedule } from './retention.js';
import { answerStoreFailure } from './store-failure.js';
import { StoreWriteHealth } from './store-health.js';
import { traceRoutes } from './trace-routes.js';

/** Seconds a client waits before retrying a request refused because the server is shutting down (a restart, usually). */
export const RETRY_AFTER_CLOSING_SECONDS = 5;

export {
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_IN_FLIGHT_REQUESTS,
  DEFAULT_MAX_REQUEST_ITEMS,
  DEFAULT_PORT,
  ServerConfigError,
};

export interface ServerOptions {
  /** Where generations go. The caller opens it and closes it after the server. */
  store: PlaygroundStore;
  /** Default 127.0.0.1. A host other machines can reach requires `token` or `insecure`. */
  host?: string;
  /** Default 4318; 0 picks a free port. */
  port?: number;
  /**
   * Also receive OTLP/gRPC on this port of the same host (0 picks a free port), with the same token, host rule and
   * limits. Unset: no gRPC receiver (`genspan serve` sets 4317 unless `--grpc-port off`).
   */
  grpcPort?: number;
  /** Largest OTLP request body, compressed and decompressed. Default 64 MiB. */
  maxBodyBytes?: number;
  /**
   * Spans, events, log records and attribute values (array and map elements included) one OTLP request may carry;
   * more gets 413 as soon as the decoder counts past it. OTLP/JSON is counted before parsing, as two objects per item.
   * Default 100,000.
   */
  maxItems?: number;
  /** When set, every request needs `Authorization: Bearer <token>` (except the playground page's static files). */
  token?: string;
  /** Allows a non-loopback `host` without a token. */
  insecure?: boolean;
  /** Jaeger UI base URL: each generation then links to its trace. */
  jaegerUrl?: string;
  /** Prices of generations whose spans carry no cost (`readPriceFile` for `--prices`; see `PricesOption`). Default: genspan's own. */
  prices?: PricesOption;
  /** Which spans of a trace with AI work become steps (`--keep-spans`): `ai` (default) or `all`. */
  keepSpans?: KeepSpans;
  /** Named OpenAI-compatible providers for playground re-runs (`--provider`, `--providers`), in order. */
  providers?: readonly ProviderSpec[];
  /** OpenAI-compatible base URL for playground re-runs: a provider named `openai`, after `providers`. */
  providerUrl?: string;
  /** Environment variable holding the provider's API key. */
  providerApiKeyEnv?: string;
  /** Calls one provider gets at once from experiments, all together. Default 4. */
  experimentConcurrency?: number;
  /** How experiments retry a call a provider answered 429 or 5xx. Default: 5 attempts from 0.5 s, at most 30 s apart. */
  experimentRetry?: RetryPolicy;
  /** Limit for one re-run of `providerUrl`'s provider, in milliseconds (1 s to a day). Default 300 000. */
  providerTimeoutMs?: number;
  /** Where providers' keys are read, each time one is used. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** OTLP requests being received at once before new ones get 429. Default 4. */
  maxInFlightRequests?: number;
  /** Bytes their bodies may occupy together (declared, then as received and inflated) before new ones get 429. Default 64 MiB. */
  maxInFlightBytes?: number;
  /** How long a request waits for room among those in flight before it gets 429. Default 1 s. */
  admissionWaitMs?: number;
  /** A connection's request headers must arrive within this, or it is closed with 408. Default 60 s. */
  headersTimeoutMs?: number;
  /** An OTLP request's body must arrive within this once admitted, or the connection is closed with 408. Default 60 s. */
  bodyTimeoutMs?: number;
  /** ...and at least this many bytes per second on average, once `bodyRateGraceMs` have passed. Default 1024. */
  bodyMinRate?: number;
  /** Default 5 s. */
  bodyRateGraceMs?: number;
  /**
   * The least severe log lines written: `error`, `warn`, `info` (default: also the lifecycle and refused requests)
   * or `debug` (also every answered request).
   */
  logLevel?: LogLevel;
  /** Where log lines go, one per event. Default: stderr. */
  logDestination?: LogDestination;
  /** `--retain` / `--max-size`: delete the oldest data, at start and then on a schedule (see `RetentionSchedule`). */
  retention?: RetentionPolicy;
}

export interface GenspanServer {
  app: FastifyInstance;
  ingest: GenerationIngest;
  /** The OTLP/gRPC receiver, when `grpcPort` is set; `startServer` binds it, `close` shuts it down. */
  grpc?: GrpcReceiver;
  /** Present with `retention`: its runs (`run()` starts one now). */
  retention?: RetentionSchedule;
  /** Stops accepting requests and waits for those in flight (their records are written). Leaves the store open. */
  close(): Promise<void>;
}

export interface RunningServer extends GenspanServer {
  /** e.g. `http://127.0.0.1:4318` */
  url: string;
  host: string;
  port: number;
  /** The bound OTLP/gRPC port, when `grpcPort` was set. */
  grpcPort?: number;
}

/**
 * Fastify's per-request lines, in genspan's terms: each answered request is one line, at `info` when it was refused
 * or failed (why is logged where it happened) and at `debug` otherwise; no separate "incoming request" line.
 */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const line = `${request.method} ${request.url} ${status} ${STATUS_CODES[status] ?? ''} in ${reply.elapsedTime.toFixed(1)} ms`;
    if (error) reply.log.warn(`${line}; the response failed: ${error.message}`);
    else if (status >= 400) reply.log.info(line);
    else reply.log.debug(line);
  }
}

/** Whether a request path is one the playground serves without a token (its static page, which holds no data). */
function isPublicPath(path: string): boolean {
  return PLAYGROUND_PUBLIC_PATHS.some((pattern) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern));
}

function isOtlpPath(path: string): boolean {
  return path.startsWith('/v1/');
}

/** Answers with `google.rpc.Status` on OTLP paths, `{ statusCode, error, message }` elsewhere. */
function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  message: string,
  rpcCode: number,
  retryAfterSeconds?: number,
) {
  const path = request.url.split('?', 1)[0];
  if (isOtlpPath(path)) return sendOtlpStatus(request, reply, statusCode, rpcCode, message, retryAfterSeconds);
  logRefusal(request, statusCode, message);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message });
}

/** A whole, positive (or, with `zeroAllowed`, non-negative) number option, or `ServerConfigError` naming it. */
function positiveOption(value: number, option: string, unit: string, zeroAllowed = false): number {
  if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1))
    throw new ServerConfigError(`${option} must be a whole ${zeroAllowed ? 'non-negative' : 'positive'} number of ${unit}, got ${value}`);
  return value;
}

/**
 * Builds the `genspan serve` application without listening: the OTLP receiver, the REST API, the playground and
 * the token check. Throws `ServerConfigError` for unusable options.
 */
export async function createServer(options: ServerOptions): Promise<GenspanServer> {
  const jaegerUrl = options.jaegerUrl ? httpUrl(options.jaegerUrl, '--jaeger-url') : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0)
    throw new ServerConfigError(`--max-body must be a positive number of bytes, got ${maxBodyBytes}`);
  const token = options.token ?? undefined;
  if (token !== undefined && token.trim() === '') throw new ServerConfigError('--token must not be empty');

  const limits = { maxItems: positiveOption(options.maxItems ?? DEFAULT_MAX_REQUEST_ITEMS, '--max-items', 'items') };
  const headersTimeoutMs = positiveOption(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, '--headers-timeout', 'milliseconds');
  const bodyPace = {
    timeoutMs: positiveOption(options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS, '--body-timeout', 'milliseconds'),
    minBytesPerSecond: positiveOption(options.bodyMinRate ?? DEFAULT_BODY_MIN_RATE, '--body-min-rate', 'bytes per second', true),
    graceMs: positiveOption(options.bodyRateGraceMs ?? DEFAULT_BODY_RATE_GRACE_MS, 'bodyRateGraceMs', 'milliseconds', true),
  };
  const admissionWaitMs = positiveOption(options.admissionWaitMs ?? DEFAULT_ADMISSION_WAIT_MS, 'admissionWaitMs', 'milliseconds', true);

  const log: FastifyBaseLogger = new ServerLog(parseLogLevel(options.logLevel ?? DEFAULT_LOG_LEVEL), options.logDestination);

  // Fastify's own 503 while closing has no Retry-After, so clients would not know to come back: answered here instead.
  const app = Fastify({
    loggerInstance: log,
    logController: new RequestLog(),
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: answerClientError,
    // Node closes a connection (408) whose headers, or whole request, take too long; Fastify turns that off by default.
    // The OTLP routes hold bodies to a pace of their own; this bounds every other request, and bodies left unread.
    requestTimeout: headersTimeoutMs + admissionWaitMs + bodyPace.timeoutMs,
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(50, headersTimeoutMs / 4)) },
  });
  const prices = pricesFromOption(options.prices, (message) => log.error(message));
  const ingest = new GenerationIngest(options.store, { prices, keepSpans: options.keepSpans });

  // JSON that holds stored markup must never be sniffed as HTML by a browser, whatever the route or the status.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header(NO_SNIFF_HEADER.name, NO_SNIFF_HEADER.value);
    return payload;
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    // A server whose listen failed is closed too, with nothing to shut down.
    if (app.server.listening) app.log.info('shutting down: finishing the requests in flight');
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    return sendError(request, reply, 503, 'genspan is shutting down; retry later', RpcCode.UNAVAILABLE, RETRY_AFTER_CLOSING_SECONDS);
  });

  if (token === undefined && isLoopbackHost(options.host ?? DEFAULT_HOST)) {
    // With no token, being reachable from this machine only is the protection; a web page whose domain resolves
    // to 127.0.0.1 (DNS rebinding) would get around it, and its requests name that domain in the Host header.
    app.addHook('onRequest', async (request, reply) => {
      const name = hostHeaderName(request.headers.host);
      if (name !== undefined && isLoopbackHost(name)) return;
      return sendError(
        request,
        reply,
        403,
        `requests must be addressed to this machine's loopback address, not ${name ?? 'no host'}`,
        RpcCode.PERMISSION_DENIED,
      );
    });
  }

  if (token !== undefined) {
    const check = createTokenCheck(token);
    app.addHook('onRequest', async (request, reply) => {
      if (isPublicPath(request.url.split('?', 1)[0])) return;
      if (check(request.headers.authorization)) return;
      reply.header('www-authenticate', 'Bearer realm="genspan"');
      return sendError(request, reply, 401, 'missing or wrong token: send Authorization: Bearer <token>', RpcCode.UNAUTHENTICATED);
    });
  }

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof StoreError) {
      const answer = answerStoreFailure(request, error, request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
      return sendError(request, reply, answer.statusCode, answer.message, answer.rpcCode, answer.retryAfterSeconds);
    }
    const statusCode = clientErrorStatus(error);
    if (statusCode !== undefined) return sendError(request, reply, statusCode, (error as Error).message, RpcCode.INVALID_ARGUMENT);
    request.log.error(`${request.method} ${request.url} failed: ${errorDetail(error)}`);
    return sendError(request, reply, 500, 'internal error', RpcCode.INTERNAL);
  });

  const limiter = new InFlightLimiter(
    options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS,
    options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES,
  );
  const health = new StoreWriteHealth();
  await app.register(otlpRoutes, { ingest, health, limiter, maxBodyBytes, limits, admissionWaitMs, bodyPace });
  const grpc =
    options.grpcPort === undefined
      ? undefined
      : new GrpcReceiver({
          ingest,
          health,
          limiter,
          maxBodyBytes,
          limits,
          admissionWaitMs,
          messageTimeoutMs: bodyPace.timeoutMs,
          token,
          loopbackAuthorityOnly: token === undefined && isLoopbackHost(options.host ?? DEFAULT_HOST),
          log,
        });
  await app.register(apiRoutes, { store: options.store, health, jaegerUrl });
  await app.register(traceRoutes, { store: options.store, jaegerUrl });
  const experimentConcurrency = positiveOption(
    options.experimentConcurrency ?? DEFAULT_EXPERIMENT_CONCURRENCY,
    'experimentConcurrency',
    'calls',
  );
  // Throws ServerConfigError for a provider problem; anything else is a fault, not the configuration's, and stays as it is.
  const playground = registerPlayground(app, {
    store: options.store,
    ingest,
    jaegerUrl,
    providers: options.providers,
    providerUrl: options.providerUrl,
    providerApiKeyEnv: options.providerApiKeyEnv,
    providerTimeoutMs: options.providerTimeoutMs,
    env: options.env,
  });
  const experiments = new ExperimentRunner({
    store: options.store,
    rerun: playground.rerun,
    providers: playground.providers,
    log: app.log,
    concurrency: experimentConcurrency,
    retry: options.experimentRetry,
  });
  registerExperimentRoutes(app, { store: options.store, runner: experiments });
  // Experiments a stopped server left running go on once this one is up; a shutdown leaves them running again.
  app.addHook('onReady', async () => {
    await experiments.resume().catch((error: unknown) => app.log.error(`experiments could not be resumed: ${errorDetail(error)}`));
  });
  app.addHook('preClose', () => experiments.close());

  const retention = options.retention && new RetentionSchedule(options.store, options.retention, app.log);
  if (retention) {
    app.addHook('onReady', async () => retention.start());
    app.addHook('preClose', () => retention.close());
  }

  // gRPC's calls in flight are answered (their records written) too before the caller closes the store.
  const close = async () => {
    await Promise.all([app.close(), grpc?.close()]);
  };
  return { app, ingest, grpc, retention, close };
}

/** Describes a listen failure (port in use, address not available) in one line. */
function listenFailure(error: unknown, host: string, port: number, option = '--port'): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new ServerConfigError(`port ${port} on ${host} is already in use; stop the other process or choose another with ${option}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new ServerConfigError(`cannot listen on ${host}: no such local address`);
  if (code === 'EACCES') return new ServerConfigError(`not allowed to listen on ${host}:${port}; use a port above 1023`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Creates the server and listens. Refuses a host other machines can reach unless a token is set or `insecure`
 * is true.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  for (const [option, value] of [
    ['--port', port],
    ['--grpc-port', options.grpcPort ?? 0],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 65535)
      throw new ServerConfigError(`${option} must be an integer from 0 to 65535, got ${value}`);
  }
  if (!isLoopbackHost(host) && !options.token && !options.insecure) {
    throw new ServerConfigError(
      `refusing to listen on ${host} without a token: anyone who can reach it could read and write your generations. ` +
        'Set --token (or GENSPAN_TOKEN), or pass --insecure if the network is trusted',
    );
  }
  const server = await createServer(options);
  // gRPC first: when its port is taken, nothing has been announced as listening yet.
  let grpcPort: number | undefined;
  if (server.grpc && options.grpcPort !== undefined) {
    try {
      grpcPort = await server.grpc.listen(host, options.grpcPort);
    } catch (error) {
      await server.close();
      throw listenFailure(error, host, options.grpcPort, '--grpc-port');
    }
  }
  try {
    await server.app.listen({ host, port, listenTextResolver: (address) => `listening on ${address}` });
  } catch (error) {
    await server.close();
    throw listenFailure(error, host, port);
  }
  if (grpcPort !== undefined) server.app.log.info(`OTLP/gRPC listening on ${host}:${grpcPort}`);
  const address = server.app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { ...server, url: `http://${urlHost}:${boundPort}`, host, port: boundPort, grpcPort };
}
