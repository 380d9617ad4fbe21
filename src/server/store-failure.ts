import type { FastifyRequest } from 'fastify';
import { RpcCode } from '../otlp/index.js';
import { InvalidListFilterError, isRetryableStoreError, RecordsRejectedError, type StoreError } from '../store/errors.js';

/** Seconds a client waits before retrying when the store cannot write for now (503). */
export const RETRY_AFTER_STORE_SECONDS = 5;

export interface StoreFailureAnswer {
  statusCode: 400 | 500 | 503;
  /** The `google.rpc.Status` code, for OTLP answers. */
  rpcCode: number;
  message: string;
  /** Set for 503 only. */
  retryAfterSeconds?: number;
  /**
   * The server log's level for it: `warn` for a failure that may pass, `error` for one that needs someone; unset for
   * the client's own data refused, logged as a refusal like any other.
   */
  logLevel?: 'warn' | 'error';
}

/**
 * How to answer a store error. 503 + Retry-After only when the same request may succeed later: clients such as
 * the Collector retry it until it does. 400 when the client's data or filter is what the store refused. 500 for
 * the rest (a database that is not genspan's, a closed store), which clients do not retry, since no retry can help.
 */
export function storeFailureAnswer(error: StoreError, action: string): StoreFailureAnswer {
  if (isRetryableStoreError(error)) {
    return {
      statusCode: 503,
      rpcCode: RpcCode.UNAVAILABLE,
      message: `the store cannot ${action} right now: ${error.message}`,
      retryAfterSeconds: RETRY_AFTER_STORE_SECONDS,
      logLevel: 'warn',
    };
  }
  if (error instanceof RecordsRejectedError || error instanceof InvalidListFilterError) {
    return { statusCode: 400, rpcCode: RpcCode.INVALID_ARGUMENT, message: error.message };
  }
  return { statusCode: 500, rpcCode: RpcCode.INTERNAL, message: `the store failed to ${action}: ${error.message}`, logLevel: 'error' };
}

/** The answer to a store error during `request`, logged on the request's log at the answer's level. */
export function answerStoreFailure(request: FastifyRequest, error: StoreError, action: 'read' | 'write'): StoreFailureAnswer {
  const answer = storeFailureAnswer(error, action);
  if (answer.logLevel) request.log[answer.logLevel](`${request.method} ${request.url}: ${answer.message}`);
  return answer;
}
