/** A request body that is not a valid OTLP request of the expected signal: answered with HTTP 400. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** Prefixes the location inside the request to a decode error raised further down, e.g. `resourceSpans[0].scopeSpans[1]`. */
export function atPath(error: unknown, path: string): OtlpDecodeError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof OtlpDecodeError && error.message.startsWith('at ')) {
    // "at a.b: msg" -> "at path.a.b: msg"
    return new OtlpDecodeError(`at ${path}.${message.slice(3)}`);
  }
  return new OtlpDecodeError(`at ${path}: ${message}`);
}
