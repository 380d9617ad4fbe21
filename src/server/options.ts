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

/** An environment variable name, as a provider's key variable (`--provider-key-env`, `keyEnv`) must be. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A provider's name: what re-runs record as their provider and what the page and `?provider=` choose by. */
export const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PROVIDER_NAME_RULE = 'letters, digits, dot, dash or underscore, at most 64, starting with a letter or digit';

/**
 * A provider's base URL: http(s), without userinfo (a key goes in an environment variable). The messages name the
 * option (or file field) and never repeat the value, whose query may hold a key.
 */
export function providerUrl(value: string, option: string): string {
  const checked = httpUrl(value, option);
  const url = new URL(checked);
  if (url.username || url.password) {
    throw new ServerConfigError(`${option} must not hold credentials; name the key's environment variable (--provider-key-env, or keyEnv)`);
  }
  return checked;
}
