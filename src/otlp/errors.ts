/** A request body that is not a valid OTLP request of the expected signal: answered with HTTP 400. */
export class OtlpDecodeError extends Error {
  override readonly name: string = 'OtlpDecodeError';
}

/**
 * A request that carries more items (spans, events, log records, attribute values) than the receiver takes in one
 * request: answered with HTTP 413, like a body over the size limit, so the sender knows to send smaller batches.
 */
export class OtlpLimitError extends OtlpDecodeError {
  override readonly name = 'OtlpLimitError';
  constructor(readonly maxItems: number) {
    super(`the request carries more than ${maxItems} spans, events, log records and attribute values (--max-items); send smaller batches`);
  }
}

/** Counts what a request carries as it is decoded, and stops the decoding as soon as it passes the limit. */
export class ItemCounter {
  private count = 0;
  constructor(readonly maxItems: number) {}

  add(items = 1): void {
    this.count += items;
    if (this.count > this.maxItems) throw new OtlpLimitError(this.maxItems);
  }
}

/** Prefixes the location inside the request to a decode error raised further down, e.g. `resourceSpans[0].scopeSpans[1]`. */
export function atPath(error: unknown, path: string): OtlpDecodeError {
  if (error instanceof OtlpLimitError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof OtlpDecodeError && error.message.startsWith('at ')) {
    // "at a.b: msg" -> "at path.a.b: msg"
    return new OtlpDecodeError(`at ${path}.${message.slice(3)}`);
  }
  return new OtlpDecodeError(`at ${path}: ${message}`);
}
