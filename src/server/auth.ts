import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The environment variable `genspan serve` reads the API token from when `--token` is not given. */
export const TOKEN_ENV = 'GENSPAN_TOKEN';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks an `Authorization` header against `Bearer <token>` in constant time: both sides are hashed first, so
 * neither the comparison nor an early length mismatch tells an attacker how much of a guess was right.
 */
export function createTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(`Bearer ${token}`);
  return (authorization) => timingSafeEqual(digest(authorization ?? ''), expected);
}

/** True for a host that only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const version = isIP(bare);
  if (version === 4) return bare.startsWith('127.');
  if (version === 6) return bare === '::1' || bare.toLowerCase().startsWith('::ffff:127.');
  return false;
}

/** The host name of a `Host` header (`name:port`, `[v6]:port`), or undefined when there is none. */
export function hostHeaderName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end > 0 ? header.slice(0, end + 1) : undefined;
  }
  const colon = header.indexOf(':');
  return colon >= 0 ? header.slice(0, colon) : header;
}
