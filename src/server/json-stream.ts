import { Readable } from 'node:stream';

/** Text handed to the socket at a time when a value is streamed as JSON. */
const CHUNK_CHARS = 64 * 1024;

/** The JSON text of plain data, piece by piece, as `JSON.stringify` would write it; no piece is longer than one string of the value. */
function* jsonPieces(value: unknown): Generator<string> {
  if (typeof value !== 'object' || value === null) {
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  const data = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
  if (data !== value) {
    yield* jsonPieces(data);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) yield ',';
      const item: unknown = value[index];
      // As JSON.stringify: what JSON cannot hold is null in an array.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* jsonPieces(item);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    // As JSON.stringify: what JSON cannot hold is left out of an object.
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonPieces(item);
  }
  yield '}';
}

function* chunked(pieces: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * A value's JSON as a stream, written as the socket takes it: a large record is never held as one JSON string
 * beside itself (each piece is at most one of its strings, which the stored-value caps bound).
 */
export function jsonStream(value: unknown): Readable {
  return Readable.from(chunked(jsonPieces(value)), { objectMode: false });
}
