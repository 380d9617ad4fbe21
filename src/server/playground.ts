import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GenerationValidationError } from '../generation/generation.js';
import type { PriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import type { PlaygroundConfig, RerunEvent, RerunPreview } from '../generation/rest.js';
import type { GenerationIngest } from '../ingest/ingest.js';
import { StoreError } from '../store/errors.js';
import type { PlaygroundStore } from '../store/types.js';
import { RERUN_BODY_LIMIT_BYTES } from './defaults.js';
import { errorDetail } from './log.js';
import { type ProviderSpec, Providers, providerSpecs, UnknownProviderError } from './providers.js';
import { RerunInputError, type RerunPlan, RerunRunner } from './rerun.js';

/**
 * The Prompt Playground's server side: the page's static assets, its configuration endpoint, and the re-run
 * endpoint. The generation list and detail come from the REST API of `src/server`.
 */

export interface PlaygroundOptions {
  store: PlaygroundStore;
  /** The named providers (`--provider`, `--providers`), in order; see `providerSpecs`. Without any, re-runs are off. */
  providers?: readonly ProviderSpec[];
  /**
   * Base URL of an OpenAI-compatible API (`--provider-url`), e.g. `https://api.openai.com/v1`: a provider named
   * `openai`, after `providers`.
   */
  providerUrl?: string;
  /**
   * Name of the environment variable holding that provider's API key (`--provider-key-env`). The key never leaves the
   * server. Without `providerUrl` it names no provider, and the log says so.
   */
  providerApiKeyEnv?: string;
  /** Limit for one re-run of `providerUrl`'s provider, in milliseconds. Default 300 000. */
  providerTimeoutMs?: number;
  /** Jaeger UI base URL (`--jaeger-url`), linked from the page's header. */
  jaegerUrl?: string;
  /** Where the API key is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The server's ingest, when it has one; defaults to a new one over `store`, pricing with `prices`. */
  ingest?: GenerationIngest;
  /** Prices for the default ingest's cost estimates (genspan's own when absent); unused with `ingest`. */
  prices?: PriceTable;
}

/** The folders of `dist/src` the page's files are served from, at `/<folder>/<file>`. */
const PAGE_FOLDERS = ['ui', 'generation'] as const;

/** The routes `registerPlayground` adds, for a server that requires a token everywhere else: the page must load to ask for it. */
export const PLAYGROUND_PUBLIC_PATHS: readonly string[] = ['/', ...PAGE_FOLDERS.map((folder) => `/${folder}/*`)];
export const CONFIGURE_COMMAND = 'genspan serve --provider-url URL --provider-key-env ENV_NAME';

/** Inline scripts are forbidden: every script is a file of the page's own origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  type: string;
  body: Buffer;
}

/** The page's files, by the path they are served at (`ui/app.js`, `generation/template.js`). */
type Assets = Map<string, Asset>;

const MODULE_DIR = dirname(fileURLToPath(import.meta.url));

/** Relative module imports of a compiled script: static `from` clauses and dynamic `import()` of a path starting with a dot. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[a-z0-9/-]+\.js)['"]/g;

/**
 * The browser modules the page loads, as paths under the compiled `root` (`ui/app.js`, `generation/template.js`): the
 * modules of `ui` and all they import, found by following the compiled imports. `outside` names the imports that reach
 * past the page folders: those are not served, so the page would break (a test keeps the list empty).
 */
export function pageModules(root: string): { served: string[]; outside: string[] } {
  const served = new Set<string>();
  const outside = new Set<string>();
  const pending = readdirSync(join(root, 'ui'))
    .filter((name) => /^[a-z0-9-]+\.js$/.test(name))
    .map((name) => `ui/${name}`);
  while (pending.length > 0) {
    const path = pending.pop() as string;
    const file = join(root, path);
    if (served.has(path) || outside.has(path)) continue;
    if (!PAGE_FOLDERS.some((folder) => path.startsWith(`${folder}/`))) {
      outside.add(path);
      continue;
    }
    if (!existsSync(file)) continue;
    served.add(path);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      pending.push(posix.normalize(posix.join(posix.dirname(path), specifier)));
    }
  }
  return { served: [...served].sort(), outside: [...outside].sort() };
}

/**
 * The page's files: `index.html`, the CSS and the icon from `src/ui`, the browser modules tsc compiled to
 * `dist/src/ui`, and the model's browser-safe modules they import from `dist/src/generation`, found by following the
 * compiled imports, so exactly what the page loads is served. Looked up from this module's own place, so it works
 * from the compiled package and from the sources.
 */
function loadAssets(): Assets {
  const assets: Assets = new Map();
  const staticDir = [resolve(MODULE_DIR, '../ui'), resolve(MODULE_DIR, '../../../src/ui')].find((dir) =>
    existsSync(join(dir, 'index.html')),
  );
  const scriptDir = [resolve(MODULE_DIR, '../ui'), resolve(MODULE_DIR, '../../dist/src/ui')].find((dir) => existsSync(join(dir, 'app.js')));
  const add = (path: string, file: string) => {
    const extension = file.slice(file.lastIndexOf('.'));
    assets.set(path, { type: CONTENT_TYPES[extension], body: readFileSync(file) });
  };
  if (staticDir) {
    for (const name of readdirSync(staticDir)) if (/^[a-z0-9-]+\.(html|css|svg)$/.test(name)) add(`ui/${name}`, join(staticDir, name));
  }
  if (scriptDir) {
    const root = dirname(scriptDir);
    for (const path of pageModules(root).served) add(path, join(root, path));
  }
  return assets;
}

function sendAsset(reply: FastifyReply, asset: Asset): FastifyReply {
  return reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body);
}

function errorBody(statusCode: number, error: string, message: string) {
  return { statusCode, error, message };
}

/**
 * What `genspan serve` says at start about its providers' keys (the server's log and the banner), so a missing key is
 * not found out on the first re-run; and a key variable given without a provider. Never repeats a URL's query.
 */
export function providerWarnings(providers: Providers, unusedKeyEnv: string | undefined): string[] {
  const unused = unusedKeyEnv?.trim();
  return [...(unused ? [`--provider-key-env ${unused} has no effect without --provider-url`] : []), ...providers.keyWarnings()];
}

/** The configured providers of a server's options; throws `ServerConfigError` naming every problem. */
export function playgroundProviders(options: PlaygroundOptions, env: NodeJS.ProcessEnv): Providers {
  const specs = providerSpecs({
    file: options.providers,
    url: options.providerUrl,
    urlKeyEnv: options.providerApiKeyEnv,
    timeoutMs: options.providerTimeoutMs,
  });
  return new Providers(specs, env);
}

/** The media type of a `Content-Type` header, without its parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** Whether an `Origin` header names the host and port the request was sent to (this server, as the page sees it). */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Guards a route that spends money or changes state against cross-site requests: a web page can make a visitor's
 * browser post `text/plain` or a form to a token-less local server without asking it first, but not
 * `application/json`; and a browser always names the page's origin on a cross-origin post. `action` and `body` name
 * what is refused: "start a re-run", "the edited generation"; without `body`, a request of any media type (one with
 * no body) passes, from the page's own origin.
 */
export function ownPageJsonOnly(action: string, body?: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const origin = request.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, request.headers.host)) {
      return reply.code(403).send(errorBody(403, 'Forbidden', `Only this server's own page may ${action}.`));
    }
    if (body !== undefined && mediaType(request.headers['content-type']) !== 'application/json') {
      return reply.code(415).send(errorBody(415, 'Unsupported Media Type', `Send ${body} as Content-Type: application/json.`));
    }
    return undefined;
  };
}

/** What `registerPlayground` made: the re-run runner (none without providers), and how to release it. */
export interface Playground {
  rerun: RerunRunner | undefined;
  providers: Providers;
  shutdown(): Promise<void>;
}

/**
 * Adds the playground to a Fastify app: `GET /`, `GET /ui/:file` and `GET /generation/:file` (the page),
 * `GET /api/playground/config`, `POST /api/generations/:id/rerun/preview` and `POST /api/generations/:id/rerun`.
 * Throws `ServerConfigError` for any problem with the providers (see `providerSpecs`). The returned `shutdown`
 * releases the re-run tracer; the app's `onClose` calls it too.
 */
export function registerPlayground(app: FastifyInstance, options: PlaygroundOptions): Playground {
  const env = options.env ?? process.env;
  const providers = playgroundProviders(options, env);
  const unusedKeyEnv = options.providerUrl === undefined ? options.providerApiKeyEnv : undefined;
  for (const warning of providerWarnings(providers, unusedKeyEnv)) app.log.warn(warning);
  const runner =
    providers.specs.length > 0
      ? new RerunRunner({ store: options.store, ingest: options.ingest, prices: options.prices, providers })
      : undefined;
  const shutdown = async () => {
    await runner?.shutdown();
  };
  app.addHook('onClose', shutdown);

  const assets = loadAssets();
  const missingAssets = 'The playground page is not built: run `npm run build` in the genspan package.';

  app.get('/', (_request, reply) => {
    const page = assets.get('ui/index.html');
    if (!page || !assets.has('ui/app.js')) return reply.code(500).type('text/plain; charset=utf-8').send(missingAssets);
    return sendAsset(reply, page);
  });

  for (const folder of PAGE_FOLDERS) {
    app.get<{ Params: { file: string } }>(`/${folder}/:file`, (request, reply) => {
      const path = `${folder}/${request.params.file}`;
      const asset = assets.get(path);
      if (!asset || path === 'ui/index.html') {
        return reply.code(404).send(errorBody(404, 'Not Found', `No playground file ${request.params.file}`));
      }
      return sendAsset(reply, asset);
    });
  }

  app.get('/api/playground/config', (_request, reply) => {
    const listed = providers.info();
    const first = listed[0];
    const config: PlaygroundConfig = {
      provider: { configured: first !== undefined, url: first?.url ?? null, keyEnv: first?.keyEnv ?? null, keySet: first?.keySet ?? false },
      providers: listed,
      jaegerUrl: options.jaegerUrl ?? null,
      configureCommand: CONFIGURE_COMMAND,
    };
    return reply.header('cache-control', 'no-store').send(config);
  });

  const rerunRoute = { bodyLimit: RERUN_BODY_LIMIT_BYTES, onRequest: ownPageJsonOnly('start a re-run', 'the edited generation') };
  type RerunRequest = { Params: { id: string }; Querystring: { provider?: string } };
  const isInputError = (error: unknown) =>
    error instanceof GenerationValidationError || error instanceof RerunInputError || error instanceof UnknownProviderError;

  /** The generation a re-run request names; undefined once it is refused: no provider configured, no such generation. */
  const originalOf = async (request: FastifyRequest<RerunRequest>, reply: FastifyReply): Promise<GenerationRecord | undefined> => {
    if (!runner) {
      const message = `No provider is configured for re-runs. Start the server with: ${CONFIGURE_COMMAND}`;
      reply.code(503).send(errorBody(503, 'Service Unavailable', message));
      return undefined;
    }
    const original = await options.store.get(request.params.id);
    if (!original) reply.code(404).send(errorBody(404, 'Not Found', `No generation with id ${request.params.id}`));
    return original;
  };

  app.post<RerunRequest>('/api/generations/:id/rerun/preview', rerunRoute, async (request, reply) => {
    const original = await originalOf(request, reply);
    if (!runner || !original) return reply;
    let preview: RerunPreview;
    try {
      preview = runner.preview(original, request.body, request.query.provider);
    } catch (error) {
      if (isInputError(error)) return reply.code(400).send(errorBody(400, 'Bad Request', (error as Error).message));
      throw error;
    }
    return reply.header('cache-control', 'no-store').send(preview);
  });

  app.post<RerunRequest>('/api/generations/:id/rerun', rerunRoute, async (request, reply) => {
    const original = await originalOf(request, reply);
    if (!runner || !original) return reply;
    let prepared: RerunPlan;
    try {
      prepared = runner.prepare(original, request.body, request.query.provider);
    } catch (error) {
      if (isInputError(error)) return reply.code(400).send(errorBody(400, 'Bad Request', (error as Error).message));
      throw error;
    }

    const output = new PassThrough();
    const aborted = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    const emit = (event: RerunEvent) => {
      // A provider failure is stored as the new generation's error; the log says so too, for whoever runs the server.
      if (event.type === 'done' && event.error)
        request.log.warn(`re-run of ${original.id} stored as ${event.id} with an error: ${event.error}`);
      if (!output.writableEnded) output.write(`${JSON.stringify(event)}\n`);
    };
    runner
      .run(original, prepared, emit, aborted.signal)
      .catch((error: unknown) => {
        request.log.error(`re-run of ${original.id} failed: ${error instanceof StoreError ? error.message : errorDetail(error)}`);
        emit({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => output.end());
    return reply
      .headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no' })
      .type('application/x-ndjson; charset=utf-8')
      .send(output);
  });

  return { rerun: runner, providers, shutdown };
}
