import { OtlpDecodeError } from './errors.js';
import { decodeLogsRequestJson, decodeTraceRequestJson } from './json.js';
import { decodeLogsRequestProtobuf, decodeTraceRequestProtobuf } from './protobuf.js';
import type { DecodedLogsRequest, DecodedTraceRequest, OtlpEncoding } from './types.js';

export { OtlpDecodeError } from './errors.js';
export { decodeLogsRequestJson, decodeTraceRequestJson } from './json.js';
export { decodeLogsRequestProtobuf, decodeTraceRequestProtobuf } from './protobuf.js';
export type { EncodedBody, PartialSuccess } from './response.js';
export { CONTENT_TYPE, encodeExportResponse, encodeStatus, RpcCode } from './response.js';
export type { DecodedLogsRequest, DecodedTraceRequest, OtlpEncoding, OtlpSignal } from './types.js';

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

/** Decodes an OTLP `ExportTraceServiceRequest` body; throws `OtlpDecodeError` (an HTTP 400) saying what was wrong. */
export function decodeTraceRequest(body: Uint8Array, encoding: OtlpEncoding): DecodedTraceRequest {
  if (encoding === 'json') return decodeTraceRequestJson(body);
  try {
    return decodeTraceRequestProtobuf(body);
  } catch (error) {
    if (error instanceof OtlpDecodeError && decodesAs(() => decodeLogsRequestProtobuf(body).records.length)) {
      throw new OtlpDecodeError('this is an OTLP logs request (ExportLogsServiceRequest), not traces; send it to /v1/logs');
    }
    throw error;
  }
}

/** Decodes an OTLP `ExportLogsServiceRequest` body; throws `OtlpDecodeError` (an HTTP 400) saying what was wrong. */
export function decodeLogsRequest(body: Uint8Array, encoding: OtlpEncoding): DecodedLogsRequest {
  if (encoding === 'json') return decodeLogsRequestJson(body);
  try {
    return decodeLogsRequestProtobuf(body);
  } catch (error) {
    if (error instanceof OtlpDecodeError && decodesAs(() => decodeTraceRequestProtobuf(body).spans.length)) {
      throw new OtlpDecodeError('this is an OTLP traces request (ExportTraceServiceRequest), not logs; send it to /v1/traces');
    }
    throw error;
  }
}
