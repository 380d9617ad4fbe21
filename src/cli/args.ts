import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MAX_EXPERIMENT_SOURCES } from '../generation/experiment.js';
import { ListQuerySchema, listFilterProblem } from '../generation/filter.js';
import { LIST_QUERY_PARAMETERS, type ListFilterField } from '../generation/list-query.js';
import { MAX_VARIANTS } from '../generation/variant.js';
import { DEFAULT_KEEP_SPANS, isKeepSpans, KEEP_SPANS, type KeepSpans } from '../ingest/steps.js';
import { TOKEN_ENV } from '../server/auth.js';
import {
  DEFAULT_BODY_MIN_RATE,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_EXPERIMENT_CONCURRENCY,
  DEFAULT_GRPC_PORT,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_REQUEST_ITEMS,
  DEFAULT_PORT,
} from '../server/defaults.js';
import { type LogLevel, parseLogLevel } from '../server/log.js';
import { ENV_NAME, httpUrl, PROVIDER_NAME, PROVIDER_NAME_RULE, providerUrl } from '../server/options.js';
import { DEFAULT_PROVIDER_NAME } from '../server/providers.js';
import { DEFAULT_DATABASE_PATH } from '../store/defaults.js';
import type { RetentionPolicy } from '../store/retention.js';

/**
 * The CLI's argument parsing, pure (no I/O): each command's argv becomes a typed value or a `UsageError` whose
 * message is the one line the user sees. The deployment test parses docker-compose's command with these too.
 */

/** A command line the CLI cannot run: one line for the user, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_DEMO_ENDPOINT = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export type StoreChoice = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface HelpRequest {
  help: true;
}

export interface ServeArgs {
  help: false;
  host: string;
  port: number;
  /** `--grpc-port`: the OTLP/gRPC receiver's port; undefined for `off`. */
  grpcPort?: number;
  store: StoreChoice;
  maxBodyBytes: number;
  maxItems: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Bytes per second. */
  bodyMinRate: number;
  token?: string;
  insecure: boolean;
  jaegerUrl?: string;
  /** `--provider NAME=URL`, in order. */
  providers: { name: string; url: string }[];
  /** `--provider-key-env NAME=VARIABLE`. */
  providerKeyEnvs: { name: string; keyEnv: string }[];
  /** `--providers FILE`, resolved. */
  providersFile?: string;
  /** `--provider-url`: a provider named `openai`. */
  providerUrl?: string;
  /** `--provider-key-env VARIABLE` (no name): the key of `--provider-url`'s provider. */
  providerKeyEnv?: string;
  /** A price file to merge over genspan's prices. */
  prices?: string;
  /** Calls one provider gets at once from all experiments together. */
  experimentConcurrency: number;
  logLevel: LogLevel;
  /** `--keep-spans`: which spans of a trace with AI work are stored as steps. */
  keepSpans: KeepSpans;
  /** `--retain` and `--max-size`: what retention keeps (nothing is deleted without them). */
  retention?: RetentionPolicy;
}

export interface PruneArgs {
  help: false;
  store: StoreChoice;
  retention: RetentionPolicy;
  /** `--vacuum`: compact the whole store afterwards. */
  vacuum: boolean;
}

/** `jsonl`: genspan's JSON Lines; `literal`: Literal AI thread and step dictionaries, as JSON Lines. */
export const EXPORT_FORMATS = ['jsonl', 'literal'] as const;

export interface ExportArgs {
  help: false;
  format: (typeof EXPORT_FORMATS)[number];
  store: StoreChoice;
  /** undefined: stdout */
  output?: string;
}

export interface ImportArgs {
  help: false;
  /** `-` reads standard input. */
  file: string;
  store: StoreChoice;
  /** A price file to merge over genspan's prices. */
  prices?: string;
}

export interface DemoArgs {
  help: false;
  endpoint: string;
  token?: string;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const STORE_OPTIONS = {
  db: { type: 'string' },
  postgres: { type: 'string' },
} as const satisfies Options;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

function parse<T extends Options>(command: string, argv: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options: { ...options, ...HELP_OPTION }, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('\n', 1)[0].replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${message} (see: genspan ${command} --help)`);
  }
}

function storeChoice(db: string | undefined, postgres: string | undefined): StoreChoice {
  if (db !== undefined && postgres !== undefined) throw new UsageError('use either --db or --postgres, not both');
  if (postgres !== undefined) return { kind: 'postgres', url: postgresUrl(postgres) };
  if (db !== undefined && db.trim() === '') throw new UsageError('--db needs a file name');
  return { kind: 'sqlite', path: resolve(db ?? DEFAULT_DATABASE_PATH) };
}

function postgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--postgres must be a URL like postgres://user:password@host:5432/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`--postgres must be a postgres:// or postgresql:// URL, got ${url.protocol}//...`);
  }
  return value;
}

/** Runs one of the server's option checks, its refusal becoming a usage error: the command line is what to fix. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function urlOption(value: string, option: string): string {
  return checked(() => httpUrl(value, option));
}

function port(value: string | undefined, option = '--port', defaultPort = DEFAULT_PORT): number {
  if (value === undefined) return defaultPort;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) throw new UsageError(`${option} must be an integer from 0 to 65535, got "${value}"`);
  return number;
}

/** `--grpc-port`: a port as `--port` takes, or `off` for no gRPC receiver. */
function grpcPort(value: string | undefined): number | undefined {
  if (value?.trim().toLowerCase() === 'off') return undefined;
  return port(value, '--grpc-port (or off)', DEFAULT_GRPC_PORT);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `--max-body` (or `option`): bytes, or with a K/M/G suffix (powers of 1024), e.g. `64MiB`. */
export function parseSize(value: string, option = '--max-body'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new UsageError(`${option} must be a size like 67108864, 64MiB or 512K, got "${value}"`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `--retain`: a whole number with a unit, `s`, `m` (minutes), `h`, `d` or `w`, e.g. `30d`, `12h`; in milliseconds. */
export function parseDuration(value: string, option = '--retain'): number {
  const match = /^(\d+)\s*([a-z]+)$/i.exec(value.trim());
  const unit = match ? DURATION_UNITS[match[2].toLowerCase()] : undefined;
  const ms = match && unit !== undefined ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new UsageError(`${option} must be a duration like 30d, 12h, 90m or 45s (units s, m, h, d, w), got "${value}"`);
  return ms;
}

/** `--retain` and `--max-size`, either or both; undefined when neither is given. */
function retentionPolicy(retain: string | undefined, maxSize: string | undefined): RetentionPolicy | undefined {
  if (retain === undefined && maxSize === undefined) return undefined;
  return {
    retainMs: retain === undefined ? undefined : parseDuration(retain),
    maxBytes: maxSize === undefined ? undefined : parseSize(maxSize, '--max-size'),
  };
}

const RETENTION_OPTIONS = {
  retain: { type: 'string' },
  'max-size': { type: 'string' },
} as const satisfies Options;

/** `--max-items`: a positive whole number. */
function count(value: string | undefined, option: string, defaultCount: number): number {
  if (value === undefined) return defaultCount;
  const number = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number <= 0) throw new UsageError(`${option} must be a positive whole number, got "${value}"`);
  return number;
}

/** `--headers-timeout`, `--body-timeout`: seconds (fractions allowed), as milliseconds. */
function seconds(value: string | undefined, option: string, defaultMs: number): number {
  if (value === undefined) return defaultMs;
  const ms = /^\d+(\.\d+)?$/.test(value.trim()) ? Math.round(Number(value) * 1000) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError(`${option} must be a number of seconds like 60 or 0.5, got "${value}"`);
  return ms;
}

function token(value: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const chosen = value ?? env[TOKEN_ENV];
  if (chosen === undefined || chosen === '') {
    if (value === '') throw new UsageError('--token must not be empty');
    return undefined;
  }
  return chosen;
}

function pricesOption(value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError('--prices needs a file name');
  return value;
}

/** `--provider NAME=URL`, each checked: a name of the allowed characters, an http(s) URL without credentials. */
function namedProviders(values: readonly string[]): { name: string; url: string }[] {
  return values.map((value) => {
    const split = value.indexOf('=');
    const name = value.slice(0, Math.max(split, 0));
    if (split <= 0) throw new UsageError('--provider needs NAME=URL, e.g. --provider local=http://127.0.0.1:11434/v1');
    if (!PROVIDER_NAME.test(name)) throw new UsageError(`--provider ${name}=URL: the name must be ${PROVIDER_NAME_RULE}`);
    return { name, url: checked(() => providerUrl(value.slice(split + 1), `--provider ${name}=URL`)) };
  });
}

/**
 * `--provider-key-env`, given once as `VARIABLE` for `--provider-url`'s provider (as before names), or as
 * `NAME=VARIABLE` for a named one, as often as there are providers.
 */
function keyEnvs(values: readonly string[]): { named: { name: string; keyEnv: string }[]; plain?: string } {
  const named: { name: string; keyEnv: string }[] = [];
  const plain: string[] = [];
  for (const value of values) {
    const split = value.indexOf('=');
    if (split === 0) throw new UsageError('--provider-key-env needs NAME=VARIABLE (or VARIABLE with --provider-url)');
    const keyEnv = value.slice(split + 1);
    const name = split === -1 ? '' : value.slice(0, split);
    if (!ENV_NAME.test(keyEnv)) {
      throw new UsageError(`--provider-key-env ${name ? `${name}=...` : keyEnv}: "${keyEnv}" is not an environment variable name`);
    }
    if (split === -1) plain.push(keyEnv);
    else named.push({ name, keyEnv });
  }
  if (plain.length > 1)
    throw new UsageError('--provider-key-env VARIABLE is for --provider-url and given once; name others as NAME=VARIABLE');
  return { named, plain: plain[0] };
}

function keepSpans(value: string | undefined): KeepSpans {
  if (value === undefined) return DEFAULT_KEEP_SPANS;
  if (!isKeepSpans(value)) throw new UsageError(`--keep-spans must be ${KEEP_SPANS.join(' or ')}, got "${value}"`);
  return value;
}

export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeArgs | HelpRequest {
  const { values } = parse('serve', argv, {
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    'grpc-port': { type: 'string' },
    ...STORE_OPTIONS,
    'max-body': { type: 'string' },
    'max-items': { type: 'string' },
    'headers-timeout': { type: 'string' },
    'body-timeout': { type: 'string' },
    'body-min-rate': { type: 'string' },
    token: { type: 'string' },
    insecure: { type: 'boolean' },
    'jaeger-url': { type: 'string' },
    provider: { type: 'string', multiple: true },
    providers: { type: 'string' },
    'provider-url': { type: 'string' },
    'provider-key-env': { type: 'string', multiple: true },
    prices: { type: 'string' },
    'experiment-concurrency': { type: 'string' },
    'log-level': { type: 'string' },
    'keep-spans': { type: 'string' },
    ...RETENTION_OPTIONS,
  });
  if (values.help) return { help: true };
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') throw new UsageError('--host must not be empty');
  const providers = namedProviders(values.provider ?? []);
  const keys = keyEnvs(values['provider-key-env'] ?? []);
  const providersFile = values.providers === undefined ? undefined : resolve(values.providers);
  if (values.providers?.trim() === '') throw new UsageError('--providers needs a file name');
  // Without a providers file, every provider a key names is on the command line; with one, the file is read later.
  const unnamed = providersFile ? undefined : keys.named.find(({ name }) => !providers.some((p) => p.name === name));
  if (unnamed) throw new UsageError(`--provider-key-env ${unnamed.name}=...: no --provider ${unnamed.name}=URL was given`);
  if (keys.plain !== undefined && values['provider-url'] === undefined) {
    throw new UsageError(
      `--provider-key-env ${keys.plain} is the key of --provider-url: give --provider-url, or name a provider as NAME=VARIABLE`,
    );
  }
  return {
    help: false,
    host,
    port: port(values.port),
    grpcPort: grpcPort(values['grpc-port']),
    store: storeChoice(values.db, values.postgres),
    maxBodyBytes: values['max-body'] === undefined ? DEFAULT_MAX_BODY_BYTES : parseSize(values['max-body']),
    maxItems: count(values['max-items'], '--max-items', DEFAULT_MAX_REQUEST_ITEMS),
    headersTimeoutMs: seconds(values['headers-timeout'], '--headers-timeout', DEFAULT_HEADERS_TIMEOUT_MS),
    bodyTimeoutMs: seconds(values['body-timeout'], '--body-timeout', DEFAULT_BODY_TIMEOUT_MS),
    bodyMinRate: values['body-min-rate'] === undefined ? DEFAULT_BODY_MIN_RATE : parseSize(values['body-min-rate'], '--body-min-rate'),
    token: token(values.token, env),
    insecure: values.insecure ?? false,
    jaegerUrl: values['jaeger-url'] === undefined ? undefined : urlOption(values['jaeger-url'], '--jaeger-url'),
    providers,
    providerKeyEnvs: keys.named,
    providersFile,
    providerUrl:
      values['provider-url'] === undefined ? undefined : checked(() => providerUrl(values['provider-url'] as string, '--provider-url')),
    providerKeyEnv: keys.plain,
    prices: pricesOption(values.prices),
    experimentConcurrency: count(values['experiment-concurrency'], '--experiment-concurrency', DEFAULT_EXPERIMENT_CONCURRENCY),
    logLevel: checked(() => parseLogLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL)),
    keepSpans: keepSpans(values['keep-spans']),
    retention: retentionPolicy(values.retain, values['max-size']),
  };
}

export function parsePruneArgs(argv: readonly string[]): PruneArgs | HelpRequest {
  const { values } = parse('prune', argv, { ...STORE_OPTIONS, ...RETENTION_OPTIONS, vacuum: { type: 'boolean' } });
  if (values.help) return { help: true };
  const retention = retentionPolicy(values.retain, values['max-size']);
  const vacuum = values.vacuum ?? false;
  if (!retention && !vacuum)
    throw new UsageError('genspan prune needs --retain DURATION, --max-size SIZE or --vacuum (see: genspan prune --help)');
  return { help: false, store: storeChoice(values.db, values.postgres), retention: retention ?? {}, vacuum };
}

export function parseExportArgs(argv: readonly string[]): ExportArgs | HelpRequest {
  const { values } = parse('export', argv, { format: { type: 'string' }, output: { type: 'string', short: 'o' }, ...STORE_OPTIONS });
  if (values.help) return { help: true };
  const format = EXPORT_FORMATS.find((known) => known === (values.format ?? 'jsonl'));
  if (format === undefined) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}, got "${values.format}"`);
  return { help: false, format, store: storeChoice(values.db, values.postgres), output: values.output === '-' ? undefined : values.output };
}

export function parseImportArgs(argv: readonly string[]): ImportArgs | HelpRequest {
  const { values, positionals } = parse('import', argv, { ...STORE_OPTIONS, prices: { type: 'string' } }, true);
  if (values.help) return { help: true };
  if (positionals.length === 0)
    throw new UsageError('import needs a JSON Lines file (or - for standard input) (see: genspan import --help)');
  if (positionals.length > 1) throw new UsageError(`import takes one file, got ${positionals.length} (see: genspan import --help)`);
  return { help: false, file: positionals[0], store: storeChoice(values.db, values.postgres), prices: pricesOption(values.prices) };
}

export function parseDemoArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoArgs | HelpRequest {
  const { values } = parse('demo', argv, { endpoint: { type: 'string' }, token: { type: 'string' } });
  if (values.help) return { help: true };
  return {
    help: false,
    endpoint: urlOption(values.endpoint ?? DEFAULT_DEMO_ENDPOINT, '--endpoint'),
    token: token(values.token, env),
  };
}

/** A `--variant`: the request's variant, with its template still a file to read. */
export interface ReplayVariantArg {
  provider: string;
  model: string;
  settings: Record<string, unknown>;
  /** `template=FILE`: a text template, or a JSON array of messages. */
  templateFile?: string;
}

export interface ReplayArgs {
  help: false;
  endpoint: string;
  token?: string;
  name?: string;
  source: { ids: string[] } | { filter: Record<string, unknown> };
  variants: ReplayVariantArg[];
  concurrency?: number;
  json: boolean;
  failOnDiff: boolean;
}

/** The list's filters as `genspan replay` options: the REST query's names (`--service`, `--error`...), the cursor aside. */
const REPLAY_FILTERS = Object.entries(LIST_QUERY_PARAMETERS).filter(([field]) => field !== 'cursor') as [ListFilterField, string][];

const VARIANT_USAGE = '--variant needs KEY=VALUE pairs, e.g. --variant provider=openai,model=gpt-4o-mini,temperature=0.2';

/** A setting's value as JSON when it reads as JSON (`0.2`, `true`, `["\\n"]`), else as the text given. */
function settingValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `--variant provider=P,model=M,template=FILE,temperature=0.2,...`: provider defaults to the server's default name. */
export function parseVariant(value: string, index: number): ReplayVariantArg {
  const variant: ReplayVariantArg = { provider: DEFAULT_PROVIDER_NAME, model: '', settings: {} };
  const at = `--variant ${index + 1}`;
  for (const pair of value.split(',')) {
    const split = pair.indexOf('=');
    if (split <= 0) throw new UsageError(`${at}: "${pair}" is not KEY=VALUE; ${VARIANT_USAGE}`);
    const key = pair.slice(0, split).trim();
    const text = pair.slice(split + 1).trim();
    if (text === '') throw new UsageError(`${at}: ${key} needs a value`);
    if (key === 'provider') variant.provider = text;
    else if (key === 'model') variant.model = text;
    else if (key === 'template') variant.templateFile = resolve(text);
    else variant.settings[key] = settingValue(text);
  }
  if (variant.model === '') throw new UsageError(`${at}: model=... is missing; ${VARIANT_USAGE}`);
  return variant;
}

export function parseReplayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ReplayArgs | HelpRequest {
  const filterOptions = Object.fromEntries(
    REPLAY_FILTERS.map(([field, parameter]) => [parameter, { type: field === 'errorsOnly' ? 'boolean' : 'string' }]),
  ) as Record<string, { type: 'string' | 'boolean' }>;
  const { values } = parse('replay', argv, {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    name: { type: 'string' },
    ids: { type: 'string' },
    variant: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on-diff': { type: 'boolean' },
    ...filterOptions,
  });
  if (values.help) return { help: true };
  const given = values as Record<string, string | boolean | string[] | undefined>;
  const variantValues = values.variant ?? [];
  if (variantValues.length === 0) throw new UsageError(`replay needs at least one ${VARIANT_USAGE.slice(2)} (see: genspan replay --help)`);
  if (variantValues.length > MAX_VARIANTS)
    throw new UsageError(`--variant is given ${variantValues.length} times; at most ${MAX_VARIANTS}`);
  const filtersGiven = REPLAY_FILTERS.filter(([, parameter]) => given[parameter] !== undefined).map(([, parameter]) => `--${parameter}`);
  let source: ReplayArgs['source'];
  if (values.ids !== undefined) {
    if (filtersGiven.length > 0) throw new UsageError(`use either --ids or filters (${filtersGiven.join(', ')}), not both`);
    const ids = values.ids
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (ids.length === 0) throw new UsageError('--ids needs generation ids, separated by commas');
    if (ids.length > MAX_EXPERIMENT_SOURCES)
      throw new UsageError(`--ids names ${ids.length} generations; at most ${MAX_EXPERIMENT_SOURCES}`);
    source = { ids };
  } else {
    const { limit: limitText, ...query } = Object.fromEntries(REPLAY_FILTERS.map(([, parameter]) => [parameter, given[parameter]]));
    const parsed = ListQuerySchema.safeParse({ ...query, error: query.error ? 'true' : undefined });
    if (!parsed.success) throw new UsageError(listFilterProblem(parsed.error, (field) => `--${LIST_QUERY_PARAMETERS[field]}`));
    const limit = limitText === undefined ? undefined : count(limitText as string, '--limit', MAX_EXPERIMENT_SOURCES);
    if (limit !== undefined && limit > MAX_EXPERIMENT_SOURCES) throw new UsageError(`--limit must be at most ${MAX_EXPERIMENT_SOURCES}`);
    source = { filter: { ...parsed.data, limit } };
  }
  if (values.name?.trim() === '') throw new UsageError('--name must not be empty');
  return {
    help: false,
    endpoint: urlOption(values.endpoint ?? DEFAULT_DEMO_ENDPOINT, '--endpoint'),
    token: token(values.token, env),
    name: values.name,
    source,
    variants: variantValues.map(parseVariant),
    concurrency: values.concurrency === undefined ? undefined : count(values.concurrency, '--concurrency', 1),
    json: values.json ?? false,
    failOnDiff: values['fail-on-diff'] ?? false,
  };
}
