import {
  Server as GrpcServer,
  Metadata,
  ServerCredentials,
  type ServerErrorResponse,
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import type { GenerationIngest } from '../ingest/ingest.js';
import { type DecodeLimits, encodeExportResponse, encodeRpcStatus, type OtlpSignal } from '../otlp/index.js';
import type { InFlightLimiter } from './admission.js';
import { createTokenCheck, hostHeaderName, isLoopbackHost } from './auth.js';
import { errorDetail } from './log.js';
import { exportOtlp } from './otlp-export.js';
import { RETRY_AFTER_BUSY_SECONDS } from './otlp-routes.js';
import { storeFailureAnswer } from './store-failure.js';
import type { StoreWriteHealth } from './store-health.js';

/** The OTLP/gRPC methods genspan serves: `Export` of the trace and logs collector services. */
export const GRPC_METHODS: Readonly<Record<OtlpSignal, string>> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

export interface GrpcReceiverOptions {
  ingest: GenerationIngest;
  health: StoreWriteHealth;
  /** The HTTP receiver's limiter: both receivers share the room for requests in flight. */
  limiter: InFlightLimiter;
  /** Largest message, compressed and decompressed (the HTTP body limit); gRPC itself answers RESOURCE_EXHAUSTED past it. */
  maxBodyBytes: number;
  limits: DecodeLimits;
  admissionWaitMs: number;
  /** A call's message must arrive within this once its metadata has (`--body-timeout`), else DEADLINE_EXCEEDED. */
  messageTimeoutMs: number;
  /** When set, every call needs `authorization: Bearer <token>` metadata. */
  token?: string;
  /** Calls must name a loopback address as their `:authority` (the HTTP receiver's Host rule without a token). */
  loopbackAuthorityOnly: boolean;
  log: FastifyBaseLogger;
}

/** A gRPC failure with a `google.rpc.Status` in `grpc-status-details-bin`, carrying RetryInfo when a retry may succeed. */
function grpcFailure(code: status, message: string, retryDelaySeconds?: number): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', encodeRpcStatus(code, message, retryDelaySeconds));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** Metadata the guard adds to each call it lets through: the request id its log lines carry. */
const REQUEST_ID_KEY = 'genspan-request-id';

/** Messages pass through as the bytes on the wire: the OTLP protobuf decoder reads them, no second schema. */
const rawBytes = (bytes: Buffer): Buffer => bytes;

function exportMethod(path: string) {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: rawBytes,
    requestDeserialize: rawBytes,
    responseSerialize: rawBytes,
    responseDeserialize: rawBytes,
  } as const;
}

/**
 * OTLP/gRPC receiver beside the HTTP one: the same token, host rule, limits, admission, decoding and ingest, answered
 * with gRPC statuses as the OTLP specification maps them (INVALID_ARGUMENT for bad data, RESOURCE_EXHAUSTED for a
 * request over the limits, UNAVAILABLE or RESOURCE_EXHAUSTED with RetryInfo when the store or the server is busy).
 */
export class GrpcReceiver {
  private readonly server: GrpcServer;
  private readonly tokenCheck: ((authorization: string | undefined) => boolean) | undefined;
  private calls = 0;
  /** The exports being decoded and written, so a shutdown never cuts one. */
  private readonly exporting = new Set<Promise<unknown>>();

  constructor(private readonly options: GrpcReceiverOptions) {
    this.tokenCheck = options.token === undefined ? undefined : createTokenCheck(options.token);
    this.server = new GrpcServer({
      'grpc.max_receive_message_length': options.maxBodyBytes,
      interceptors: [this.guard],
    });
    for (const signal of ['traces', 'logs'] as const) {
      this.server.addService({ Export: exportMethod(GRPC_METHODS[signal]) }, { Export: this.handler(signal) });
    }
  }

  /** Binds `host:port` (0 picks a free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => {
        if (!error) return resolve(bound);
        // gRPC names the socket's error only in its message ("... [listen EADDRINUSE: ...]"): given back as its code.
        reject(Object.assign(new Error(error.message), { code: /\blisten (E[A-Z]+)\b/.exec(error.message)?.[1] }));
      });
    });
  }

  /**
   * Takes no new calls and resolves once those in flight are answered (their records written). A connection still
   * open after `messageTimeoutMs` holds only calls that were ended for stalling (a client may leave its side of a
   * stream open): it is cut once no export is in flight.
   */
  async close(): Promise<void> {
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())),
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, this.options.messageTimeoutMs);
      }),
    ]);
    clearTimeout(grace);
    while (this.exporting.size > 0) await Promise.allSettled(this.exporting);
    this.server.forceShutdown();
  }

  /**
   * Checks the host rule and the token as soon as a call's metadata arrives, before its message is read, and logs
   * each answered call as the HTTP receiver logs each request.
   */
  private readonly guard: ServerInterceptor = (method, call) => {
    const started = performance.now();
    const requestId = `grpc-${++this.calls}`;
    const log = this.options.log.child({ reqId: requestId });
    const label = `gRPC ${method.path}`;
    // A sender that stalls mid-message holds its stream (and what it sent) only this long: HTTP's body timeout.
    const stalled = setTimeout(
      () =>
        intercepted.sendStatus({
          code: status.DEADLINE_EXCEEDED,
          details: `the message did not arrive within ${this.options.messageTimeoutMs} ms (--body-timeout)`,
        }),
      this.options.messageTimeoutMs,
    );
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const refusal = this.refusal(call.getHost(), metadata);
            if (refusal) return intercepted.sendStatus(refusal);
            // The handler logs under the same request id; set here, so a client cannot choose it.
            metadata.set(REQUEST_ID_KEY, requestId);
            nextMetadata(metadata);
          },
          onReceiveMessage: (message, nextMessage) => {
            clearTimeout(stalled);
            nextMessage(message);
          },
          onCancel: () => clearTimeout(stalled),
        });
      },
      sendStatus: (sent, nextStatus) => {
        clearTimeout(stalled);
        const line = `${label} ${status[sent.code] ?? sent.code} in ${(performance.now() - started).toFixed(1)} ms`;
        if (sent.code === status.OK) log.debug(line);
        else {
          // Why a call was refused, as for HTTP's 4xx; failures (the server's side) are logged where they happen.
          if (sent.code !== status.INTERNAL && sent.code !== status.UNAVAILABLE) log.debug(`${label} refused: ${sent.details}`);
          log.info(line);
        }
        nextStatus(sent);
      },
    });
    return intercepted;
  };

  private refusal(authority: string, metadata: Metadata): { code: status; details: string } | undefined {
    if (this.options.loopbackAuthorityOnly) {
      const name = hostHeaderName(authority);
      if (name === undefined || !isLoopbackHost(name)) {
        return {
          code: status.PERMISSION_DENIED,
          details: `calls must be addressed to this machine's loopback address, not ${name ?? 'no host'}`,
        };
      }
    }
    if (this.tokenCheck) {
      const [authorization] = metadata.get('authorization');
      if (!this.tokenCheck(typeof authorization === 'string' ? authorization : undefined)) {
        return { code: status.UNAUTHENTICATED, details: 'missing or wrong token: send authorization: Bearer <token> metadata' };
      }
    }
    return undefined;
  }

  private handler(signal: OtlpSignal) {
    return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
      const [requestId] = call.metadata.get(REQUEST_ID_KEY);
      const log = this.options.log.child({ reqId: String(requestId) });
      const exporting = this.export(signal, call, log).then(
        (response) => (Buffer.isBuffer(response) ? callback(null, response) : callback(response)),
        (error: unknown) => {
          log.error(`gRPC ${GRPC_METHODS[signal]} failed: ${errorDetail(error)}`);
          callback(grpcFailure(status.INTERNAL, 'internal error while receiving the request'));
        },
      );
      this.exporting.add(exporting);
      void exporting.finally(() => this.exporting.delete(exporting));
    };
  }

  private async export(
    signal: OtlpSignal,
    call: ServerUnaryCall<Buffer, Buffer>,
    log: FastifyBaseLogger,
  ): Promise<Buffer | ServerErrorResponse> {
    const { ingest, health, limiter, limits, admissionWaitMs } = this.options;
    const body = call.request;
    const gone = new AbortController();
    const onGone = () => gone.abort();
    call.once('cancelled', onGone);
    // gRPC hands over a call once its whole message is here: it is ready, and waits only for room.
    const reservation = await limiter.acquire(body.length, { waitMs: admissionWaitMs, ready: () => true, signal: gone.signal });
    call.off('cancelled', onGone);
    if (!reservation || gone.signal.aborted) {
      reservation?.release();
      return grpcFailure(status.RESOURCE_EXHAUSTED, 'genspan is busy writing earlier requests; retry later', RETRY_AFTER_BUSY_SECONDS);
    }
    try {
      const outcome = await exportOtlp(signal, body, 'protobuf', { ingest, health, limits, warn: (message) => log.warn(message) });
      switch (outcome.kind) {
        // The OTLP/gRPC specification's answer to a request over the server's limits, without RetryInfo: not retryable.
        case 'too-many-items':
          return grpcFailure(status.RESOURCE_EXHAUSTED, outcome.message);
        case 'malformed':
          return grpcFailure(status.INVALID_ARGUMENT, outcome.message);
        case 'store-failed': {
          const answer = storeFailureAnswer(outcome.error, 'write');
          if (answer.logLevel) log[answer.logLevel](`gRPC ${GRPC_METHODS[signal]}: ${answer.message}`);
          return grpcFailure(answer.rpcCode, answer.message, answer.retryAfterSeconds);
        }
      }
      const response = encodeExportResponse(signal, 'protobuf', outcome.partialSuccess).body;
      return typeof response === 'string' ? Buffer.from(response) : response;
    } finally {
      reservation.release();
    }
  }
}
