/**
 * Checks of `genspan serve` options shared by the server and the CLI. No runtime imports, so the CLI can parse its
 * arguments without loading the server.
 */

/** A server option that cannot work (bad URL, an exposed host without a token): one clear message. */
export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

/**
 * An http(s) base URL option (`--jaeger-url`, `--provider-url`, `--endpoint`), normalized without trailing slashes.
 * Throws `ServerConfigError` naming the option; the message never repeats the value, whose query may hold a key.
 */
export function httpUrl(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServerConfigError(`${option} is not a URL: give an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ServerConfigError(`${option} must be an http:// or https:// URL, not ${url.protocol}//`);
  return url.href.replace(/\/+$/, '');
}
