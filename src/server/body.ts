import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { InFlightReservation } from './admission.js';

/**
 * A request body that cannot be read: `statusCode` is the HTTP answer (413 too large, 400 bad gzip or aborted,
 * 429 no room for it among the requests in flight, 408 too slow: the connection is then closed, not drained).
 */
export class BodyReadError extends Error {
  override readonly name = 'BodyReadError';
  constructor(
    readonly statusCode: 400 | 408 | 413 | 429,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadBodyOptions {
  /** `Content-Encoding: gzip` */
  gzip: boolean;
  /** Largest body accepted, before and after decompression. */
  maxBytes: number;
  /** Grown to the bytes kept (received, or inflated for gzip) whenever they pass what it holds. */
  reservation?: Pick<InFlightReservation, 'bytes' | 'growTo'>;
  /** How fast the body must arrive; unset: as slowly as the client likes. */
  pace?: BodyPace;
}

/** The least progress a body must make, counted in bytes received from the time reading starts. */
export interface BodyPace {
  /** The whole body must have arrived by then. */
  timeoutMs: number;
  /** Bytes per second on average, checked once `graceMs` have passed. */
  minBytesPerSecond: number;
  graceMs: number;
}

/** How often the pace is checked: often enough to act within a tenth of the shorter bound, at most once a second. */
function paceCheckInterval(pace: BodyPace): number {
  return Math.max(10, Math.min(1000, pace.timeoutMs / 10, pace.graceMs / 10));
}

function tooLarge(what: string, maxBytes: number): BodyReadError {
  return new BodyReadError(413, `${what} is larger than the limit of ${maxBytes} bytes (--max-body)`);
}

/**
 * Reads a request body into one Buffer, inflating gzip as it arrives. Both the bytes received and the bytes
 * inflated are counted while they flow, so an oversize body or a gzip bomb is refused as soon as it passes the
 * limit, holding at most `maxBytes` in memory; the reservation grows with what is actually kept. On failure the
 * rest of the request is drained, not destroyed, so the 413, 429 or 400 still reaches the client. With a `pace`, a body
 * that does not arrive in time, or too slowly, fails with 408.
 */
export function readBody(source: Readable, options: ReadBodyOptions): Promise<Buffer> {
  const { maxBytes, reservation, pace } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let kept = 0;
    let settled = false;
    const inflater = options.gzip ? createGunzip() : undefined;
    const started = performance.now();
    const checkPace = () => {
      if (!pace) return;
      const elapsed = performance.now() - started;
      if (elapsed >= pace.timeoutMs) {
        finish(new BodyReadError(408, `the request body did not arrive within ${pace.timeoutMs / 1000} s (--body-timeout)`));
      } else if (elapsed >= pace.graceMs && received < (pace.minBytesPerSecond * elapsed) / 1000) {
        finish(new BodyReadError(408, `the request body arrives slower than ${pace.minBytesPerSecond} bytes/s (--body-min-rate)`));
      }
    };
    const paceTimer = pace ? setInterval(checkPace, paceCheckInterval(pace)) : undefined;

    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearInterval(paceTimer);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
      source.off('close', onClose);
      if (inflater) {
        inflater.off('data', onInflated);
        inflater.off('end', onInflatedEnd);
        inflater.destroy();
      }
      if (error) {
        chunks.length = 0;
        // A slow client's connection is closed by the caller; any other is drained so the answer reaches it.
        if (!(error instanceof BodyReadError && error.statusCode === 408)) source.resume();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, kept));
      }
    };
    const keep = (chunk: Buffer, what: string) => {
      kept += chunk.length;
      if (kept > maxBytes) return finish(tooLarge(what, maxBytes));
      if (reservation && kept > reservation.bytes && !reservation.growTo(kept)) {
        return finish(new BodyReadError(429, `genspan is busy writing earlier requests and has no room for ${what}; retry later`));
      }
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return finish(tooLarge('the request body', maxBytes));
      if (!inflater) return keep(chunk, 'the request body');
      if (!inflater.write(chunk)) {
        source.pause();
        inflater.once('drain', () => {
          if (!settled) source.resume();
        });
      }
    };
    const onEnd = () => (inflater ? inflater.end() : finish(undefined));
    const onSourceError = (error: Error) => finish(new BodyReadError(400, `the request body could not be read: ${error.message}`));
    const onClose = () => {
      if (!source.readableEnded) finish(new BodyReadError(400, 'the client closed the connection before the body was complete'));
    };
    const onInflated = (chunk: Buffer) => keep(chunk, 'the decompressed body');
    const onInflatedEnd = () => finish(undefined);

    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onSourceError);
    source.once('close', onClose);
    if (inflater) {
      inflater.on('data', onInflated);
      inflater.once('end', onInflatedEnd);
      inflater.once('error', (error) => finish(new BodyReadError(400, `the body is not valid gzip: ${error.message}`)));
    }
  });
}
