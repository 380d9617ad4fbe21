import { CliError } from './stores.js';

/** Talking to a running `genspan serve` over its REST API, as `genspan demo` and `genspan replay` do. */

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** `: <message>` from a genspan error body, or nothing when the body is not one. */
export async function errorDetail(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    return typeof body.message === 'string' && body.message !== '' ? `: ${body.message.split('\n', 1)[0]}` : '';
  } catch {
    return '';
  }
}

/** Fails with one line when the server is not there or refuses the token, before anything is sent. */
export async function checkServer(endpoint: string, token: string | undefined): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}/healthz`, { headers: authHeaders(token), signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CliError(`cannot reach genspan at ${endpoint} (${reason}); start it with: genspan serve`);
  }
  const refused = response.status === 401 || response.status === 403;
  if (refused && token !== undefined) {
    throw new CliError(`genspan at ${endpoint} rejected the token (HTTP ${response.status}): check --token or GENSPAN_TOKEN`);
  }
  if (response.status === 401) throw new CliError(`genspan at ${endpoint} requires a token: pass --token or set GENSPAN_TOKEN`);
  if (!response.ok) throw new CliError(`genspan at ${endpoint} is not healthy (HTTP ${response.status}${await errorDetail(response)})`);
}
