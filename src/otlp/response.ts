import protobuf from 'protobufjs/minimal.js';
import type { OtlpEncoding, OtlpSignal } from './types.js';

/**
 * OTLP/HTTP response bodies, encoded like the request: `Export{Trace,Logs}ServiceResponse` on success
 * (`partial_success` { rejected_spans | rejected_log_records = 1; error_message = 2 }), `google.rpc.Status`
 * { code = 1; message = 2 } on failure.
 */

export const CONTENT_TYPE: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export interface PartialSuccess {
  rejected: number;
  message: string;
}

export interface EncodedBody {
  contentType: string;
  body: Buffer | string;
}

/** gRPC status codes used in `google.rpc.Status.code` for the HTTP statuses genspan answers with. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  PERMISSION_DENIED: 7,
  UNAUTHENTICATED: 16,
  INTERNAL: 13,
} as const;

/** The success response; `partial` only when some items were rejected or there is a warning to pass on. */
export function encodeExportResponse(signal: OtlpSignal, encoding: OtlpEncoding, partial?: PartialSuccess): EncodedBody {
  if (encoding === 'json') {
    const body = partial
      ? {
          partialSuccess:
            signal === 'traces'
              ? { rejectedSpans: String(partial.rejected), errorMessage: partial.message }
              : { rejectedLogRecords: String(partial.rejected), errorMessage: partial.message },
        }
      : {};
    return { contentType: CONTENT_TYPE.json, body: JSON.stringify(body) };
  }
  if (!partial) return { contentType: CONTENT_TYPE.protobuf, body: Buffer.alloc(0) };
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 2).fork();
  if (partial.rejected !== 0) writer.uint32((1 << 3) | 0).int64(partial.rejected);
  if (partial.message) writer.uint32((2 << 3) | 2).string(partial.message);
  writer.ldelim();
  return { contentType: CONTENT_TYPE.protobuf, body: Buffer.from(writer.finish()) };
}

/** A failure body (`google.rpc.Status`). */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): EncodedBody {
  if (encoding === 'json') return { contentType: CONTENT_TYPE.json, body: JSON.stringify({ code, message }) };
  return { contentType: CONTENT_TYPE.protobuf, body: encodeRpcStatus(code, message) };
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * `google.rpc.Status` { code = 1; message = 2; details = 3 (Any { type_url = 1; value = 2 }) } in protobuf; with
 * `retryDelaySeconds`, one `google.rpc.RetryInfo` { retry_delay = 1 (Duration { seconds = 1 }) } detail, which OTLP/gRPC
 * clients read from `grpc-status-details-bin` to know a RESOURCE_EXHAUSTED or UNAVAILABLE is worth retrying, and when.
 */
export function encodeRpcStatus(code: number, message: string, retryDelaySeconds?: number): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 0).int32(code);
  writer.uint32((2 << 3) | 2).string(message);
  if (retryDelaySeconds !== undefined) {
    writer.uint32((3 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string(RETRY_INFO_TYPE_URL);
    writer.uint32((2 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).fork();
    writer.uint32((1 << 3) | 0).int64(retryDelaySeconds);
    writer.ldelim().ldelim().ldelim();
  }
  return Buffer.from(writer.finish());
}
