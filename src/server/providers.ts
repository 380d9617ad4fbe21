import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ProviderInfo } from '../generation/rest.js';
import { DEFAULT_PROVIDER_TIMEOUT_MS, MAX_PROVIDER_TIMEOUT_MS, MIN_PROVIDER_TIMEOUT_MS } from './defaults.js';
import { ENV_NAME, PROVIDER_NAME, PROVIDER_NAME_RULE, providerUrl, ServerConfigError } from './options.js';

/**
 * The named OpenAI-compatible providers re-runs (and later experiments and `genspan replay`) are sent to: how they are
 * configured (`--provider NAME=URL`, `--provider-key-env NAME=VARIABLE`, a providers file, or the single
 * `--provider-url`), resolved by name, and described without their keys. A key is read from the environment each
 * time it is used, and never leaves this module's callers except as an `Authorization` header.
 */

/** The name of the provider `--provider-url` configures: the API it speaks, as re-runs recorded it before names. */
export const DEFAULT_PROVIDER_NAME = 'openai';

/** A provider as configured: never its key, only where the key is read. */
export interface ProviderSpec {
  name: string;
  /** Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`; its query is kept on every request. */
  url: string;
  /** The environment variable holding its API key, sent as `Authorization: Bearer <key>` when set. */
  keyEnv?: string;
  timeoutMs: number;
}

/** A provider ready to be called: its key read from the environment at the moment `apiKey` is read. */
export interface ProviderConfig {
  /** `gen_ai.provider.name` recorded on its re-runs. */
  name: string;
  url: string;
  apiKey?: string;
  timeoutMs: number;
}

/** Property names that suggest a key was written into the file itself. */
const KEY_IN_FILE = /^(api[-_]?key|key|token|secret)$/i;

const TIMEOUT_RULE = `must be a positive number of seconds from ${MIN_PROVIDER_TIMEOUT_MS / 1000} to ${
  MAX_PROVIDER_TIMEOUT_MS / 1000
} (a day)`;

/** Whether a timeout in milliseconds is one `AbortSignal.timeout` keeps: a whole number within the bounds. */
function isProviderTimeout(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= MIN_PROVIDER_TIMEOUT_MS && ms <= MAX_PROVIDER_TIMEOUT_MS;
}

const ProviderEntrySchema = z
  .object({
    name: z.string().regex(PROVIDER_NAME, `must be a name of ${PROVIDER_NAME_RULE}`),
    url: z.string().transform((value, context) => {
      try {
        return providerUrl(value, 'the URL');
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
    keyEnv: z.string().regex(ENV_NAME, 'must be an environment variable name like OPENAI_API_KEY').optional(),
    timeoutSeconds: z
      .number()
      .min(MIN_PROVIDER_TIMEOUT_MS / 1000, TIMEOUT_RULE)
      .max(MAX_PROVIDER_TIMEOUT_MS / 1000, TIMEOUT_RULE)
      .optional(),
  })
  .strict();

/**
 * The providers file (`--providers FILE`): `{ "providers": [{ "name", "url", "keyEnv"?, "timeoutSeconds"? }] }`, in
 * order; the first is the page's default when a generation's own provider is not among them. Keys are never in it.
 */
export const ProvidersFileSchema = z.object({ providers: z.array(ProviderEntrySchema).min(1, 'must list at least one provider') }).strict();
export type ProvidersFile = z.infer<typeof ProvidersFileSchema>;

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`)).join('');
}

/** One line per problem of a zod issue, with the field's path; a key written into the file says where keys go. */
function issueLines(issue: z.core.$ZodIssue): string[] {
  const at = issuePath(issue.path) || 'the file';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      KEY_IN_FILE.test(key)
        ? `${at}.${key}: keys never go in the file; put the key in an environment variable and name it with "keyEnv"`
        : `${at}.${key}: unknown field (a provider has name, url, keyEnv and timeoutSeconds)`,
    );
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return [`${at}: is required`];
  return [`${at}: ${issue.message}`];
}

/**
 * Reads a providers file's text: every problem found, each named apart (`; ` between them), in one `ServerConfigError`
 * naming `source`.
 * Pure, so it is tested without files.
 */
export function parseProvidersFile(text: string, source: string): ProviderSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ServerConfigError(`${source} is not JSON: ${(error as Error).message}`);
  }
  const parsed = ProvidersFileSchema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.flatMap(issueLines);
  const specs: ProviderSpec[] = (parsed.success ? parsed.data.providers : []).map((entry) => ({
    name: entry.name,
    url: entry.url,
    keyEnv: entry.keyEnv,
    timeoutMs: entry.timeoutSeconds === undefined ? DEFAULT_PROVIDER_TIMEOUT_MS : Math.round(entry.timeoutSeconds * 1000),
  }));
  problems.push(...duplicateNames(specs).map((name) => `providers: the name "${name}" is used more than once`));
  if (problems.length > 0) throw new ServerConfigError(`${source} is not a valid providers file: ${problems.join('; ')}`);
  return specs;
}

/** Reads and checks a providers file (`--providers FILE`). */
export async function readProvidersFile(path: string): Promise<ProviderSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServerConfigError(
      `cannot read the providers file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseProvidersFile(text, path);
}

function duplicateNames(specs: readonly { name: string }[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const { name } of specs) (seen.has(name) ? twice : seen).add(name);
  return [...twice];
}

/** How a server is told its providers; every part is optional and they add up, in this order. */
export interface ProviderSources {
  /** From a providers file, already read. */
  file?: readonly ProviderSpec[];
  /** `--provider NAME=URL`, in order. */
  named?: readonly { name: string; url: string }[];
  /** `--provider-key-env NAME=VARIABLE`: the key variable of a provider named on the command line or in the file. */
  keyEnvs?: readonly { name: string; keyEnv: string }[];
  /** `--provider-url`: the single provider of earlier versions, named `openai`. */
  url?: string;
  /** `--provider-key-env VARIABLE` (without a name): the key of `url`'s provider. */
  urlKeyEnv?: string;
  /** Limit for one call of a command-line provider. Default 300 s. */
  timeoutMs?: number;
}

/**
 * The providers the sources describe, checked: valid URLs and names, no name twice, every named key variable for a
 * provider that exists. Throws `ServerConfigError` naming every problem (`; ` between them).
 */
export function providerSpecs(sources: ProviderSources): ProviderSpec[] {
  const timeoutMs = sources.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  const problems: string[] = [];
  // Copies: a key variable given on the command line is set on the copy, never on the caller's file entry.
  const specs: ProviderSpec[] = (sources.file ?? []).map((spec) => ({ ...spec }));
  for (const { name, url } of sources.named ?? []) {
    try {
      if (!PROVIDER_NAME.test(name)) throw new ServerConfigError(`--provider ${name}=...: the name must be ${PROVIDER_NAME_RULE}`);
      specs.push({ name, url: providerUrl(url, `--provider ${name}=URL`), timeoutMs });
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (sources.url !== undefined) {
    try {
      const keyEnv = sources.urlKeyEnv?.trim() || undefined;
      specs.push({ name: DEFAULT_PROVIDER_NAME, url: providerUrl(sources.url, '--provider-url'), keyEnv, timeoutMs });
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  for (const spec of specs) {
    if (!isProviderTimeout(spec.timeoutMs)) problems.push(`the timeout of ${spec.name} (${spec.timeoutMs / 1000} s) ${TIMEOUT_RULE}`);
  }
  for (const name of duplicateNames(specs)) {
    problems.push(
      name === DEFAULT_PROVIDER_NAME && sources.url !== undefined
        ? `the provider name "${name}" is taken by --provider-url: give the other provider another name`
        : `the provider name "${name}" is used more than once`,
    );
  }
  for (const { name, keyEnv } of sources.keyEnvs ?? []) {
    const spec = specs.find((candidate) => candidate.name === name);
    if (!spec) problems.push(`--provider-key-env ${name}=${keyEnv}: no provider is named ${name}`);
    else if (!ENV_NAME.test(keyEnv)) problems.push(`--provider-key-env ${name}=...: "${keyEnv}" is not an environment variable name`);
    else spec.keyEnv = keyEnv;
  }
  if (problems.length > 0) throw new ServerConfigError(problems.join('; '));
  return specs;
}

/** Query parameters that hold a credential (Azure's `api-key`, a signature...): their values are secrets too. */
const SECRET_PARAMETER = /key|token|secret|sig|auth|pass/i;

/** What must never be forwarded to the page, a log or the store: the API key and credentials in the URL's query. */
export function providerSecrets(provider: ProviderConfig): string[] {
  const secrets = provider.apiKey ? [provider.apiKey] : [];
  for (const [name, value] of new URL(provider.url).searchParams) if (SECRET_PARAMETER.test(name) && value) secrets.push(value);
  return secrets;
}

/** A provider's address as messages may show it: without userinfo, query or fragment, where credentials can hide. */
export function publicUrl(value: string): string {
  const url = new URL(value);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

/** An endpoint under the provider's base URL; the base's query (e.g. Azure's `api-version`) stays a query. */
export function endpointUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  return url;
}

/** A provider name the server does not know: the request names one (answered with 400). */
export class UnknownProviderError extends Error {
  override readonly name = 'UnknownProviderError';
}

/** The configured providers, by name, with keys read from `env` whenever a call needs one. */
export class Providers {
  private readonly byName: ReadonlyMap<string, ProviderSpec>;

  constructor(
    readonly specs: readonly ProviderSpec[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.byName = new Map(specs.map((spec) => [spec.name, spec]));
  }

  get names(): string[] {
    return this.specs.map((spec) => spec.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The provider to call: the one named, or without a name `preferred` when configured (a generation's recorded
   * provider), else the first. Throws `UnknownProviderError` for a name that is not configured.
   */
  resolve(name?: string, preferred?: string | null): ProviderConfig {
    const chosen = name ?? (preferred && this.byName.has(preferred) ? preferred : this.specs[0]?.name);
    const spec = chosen === undefined ? undefined : this.byName.get(chosen);
    if (!spec) {
      const known = this.names;
      throw new UnknownProviderError(
        known.length === 0 ? 'No provider is configured.' : `No provider is named ${name}; the configured ones are: ${known.join(', ')}.`,
      );
    }
    const env = this.env;
    return {
      name: spec.name,
      url: spec.url,
      timeoutMs: spec.timeoutMs,
      get apiKey() {
        return spec.keyEnv ? env[spec.keyEnv] || undefined : undefined;
      },
    };
  }

  /** What the page may know: names, public URLs, key variables and whether each is set; never a key. */
  info(): ProviderInfo[] {
    return this.specs.map((spec) => ({
      name: spec.name,
      url: publicUrl(spec.url),
      keyEnv: spec.keyEnv ?? null,
      keySet: spec.keyEnv !== undefined && Boolean(this.env[spec.keyEnv]),
    }));
  }

  /**
   * Why calls would go without an API key: said at start, not found out on the first call. A local provider may need
   * no key, so these are warnings. Never repeats a URL's query, which may hold a key.
   */
  keyWarnings(): string[] {
    return this.specs.flatMap((spec) => {
      const target = `re-runs ${this.specs.length > 1 ? `with ${spec.name} ` : ''}are sent to ${publicUrl(spec.url)} without an API key`;
      if (spec.keyEnv === undefined) return [`${target}: no --provider-key-env was given`];
      if (!this.env[spec.keyEnv]) return [`${target}: the environment variable ${spec.keyEnv} (--provider-key-env) is not set`];
      return [];
    });
  }
}
