import { OtlpDecodeError, OtlpLimitError } from './errors.js';
import { decodeLogsRequestJson, decodeTraceRequestJson } from './json.js';
import { decodeLogsRequestProtobuf, decodeTraceRequestProtobuf } from './protobuf.js';
import { type DecodedLogsRequest, type DecodedTraceRequest, type DecodeLimits, NO_DECODE_LIMITS, type OtlpEncoding } from './types.js';

export { OtlpDecodeError, OtlpLimitError } from './errors.js';
export { decodeLogsRequestJson, decodeTraceRequestJson } from './json.js';
export { decodeLogsRequestProtobuf, decodeTraceRequestProtobuf } from './protobuf.js';
export type { EncodedBody, PartialSuccess } from './response.js';
export { CONTENT_TYPE, encodeExportResponse, encodeRpcStatus, encodeStatus, RETRY_INFO_TYPE_URL, RpcCode } from './response.js';
export type { DecodedLogsRequest, DecodedTraceRequest, DecodeLimits, OtlpEncoding, OtlpSignal } from './types.js';
export { NO_DECODE_LIMITS } from './types.js';

/**
 * A protobuf logs request decodes "successfully" far enough on the traces path to confuse (ResourceLogs and
 * ResourceSpans share field numbers), so when a body fails as one signal, see whether it is the other one.
 */
function decodesAs(decode: () => number): boolean {
  try {
    return decode() > 0;
  } catch {
    return false;
  }
}

function isMalformed(error: unknown): boolean {
  return error instanceof OtlpDecodeError && !(error instanceof OtlpLimitError);
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` body; throws `OtlpDecodeError` (an HTTP 400) saying what was wrong, or
 * `OtlpLimitError` (an HTTP 413) as soon as it is seen to carry more than `limits` allow.
 */
export function decodeTraceRequest(body: Uint8Array, encoding: OtlpEncoding, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedTraceRequest {
  if (encoding === 'json') return decodeTraceRequestJson(body, limits);
  try {
    return decodeTraceRequestProtobuf(body, limits);
  } catch (error) {
    if (isMalformed(error) && decodesAs(() => decodeLogsRequestProtobuf(body, limits).records.length)) {
      throw new OtlpDecodeError('this is an OTLP logs request (ExportLogsServiceRequest), not traces; send it to /v1/logs');
    }
    throw error;
  }
}

/** Decodes an OTLP `ExportLogsServiceRequest` body, as `decodeTraceRequest` does. */
export function decodeLogsRequest(body: Uint8Array, encoding: OtlpEncoding, limits: DecodeLimits = NO_DECODE_LIMITS): DecodedLogsRequest {
  if (encoding === 'json') return decodeLogsRequestJson(body, limits);
  try {
    return decodeLogsRequestProtobuf(body, limits);
  } catch (error) {
    if (isMalformed(error) && decodesAs(() => decodeTraceRequestProtobuf(body, limits).spans.length)) {
      throw new OtlpDecodeError('this is an OTLP traces request (ExportTraceServiceRequest), not logs; send it to /v1/traces');
    }
    throw error;
  }
}
