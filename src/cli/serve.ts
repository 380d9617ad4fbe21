import { setLogger } from '@grpc/grpc-js';
import { readPriceFile } from '../ingest/prices.js';
import { ServerLog } from '../server/log.js';
import { ServerConfigError } from '../server/options.js';
import { type ProviderSpec, Providers, providerSpecs, readProvidersFile } from '../server/providers.js';
import { type RunningServer, startServer } from '../server/server.js';
import { describePolicy } from '../store/retention.js';
import { type ServeArgs, UsageError } from './args.js';
import { openStore } from './stores.js';

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

async function checkedProviders(args: ServeArgs): Promise<ProviderSpec[]> {
  try {
    return providerSpecs({
      file: args.providersFile ? await readProvidersFile(args.providersFile) : undefined,
      named: args.providers,
      keyEnvs: args.providerKeyEnvs,
      url: args.providerUrl,
      urlKeyEnv: args.providerKeyEnv,
    });
  } catch (error) {
    throw error instanceof ServerConfigError ? new UsageError(error.message) : error;
  }
}

function grpcAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `genspan serve`: runs until SIGINT or SIGTERM, then finishes the requests in flight and closes the store. */
export async function serve(args: ServeArgs, io: CliIO): Promise<number> {
  // Read first: a price file that cannot be used stops the start before a database is opened or created.
  const prices = args.prices === undefined ? undefined : readPriceFile(args.prices);
  // The providers are the command line's (and the file it names): a problem there is a usage error.
  const specs = await checkedProviders(args);
  const { store, description } = await openStore(args.store, { writable: true });
  // gRPC's own console lines repeat what genspan reports in its format (a port in use, a refused call): debug only.
  const grpcLog = new ServerLog(args.logLevel);
  setLogger({ error: (...parts: unknown[]) => grpcLog.debug(`gRPC: ${parts.map(String).join(' ')}`) });
  let server: RunningServer;
  try {
    server = await startServer({
      store,
      host: args.host,
      port: args.port,
      grpcPort: args.grpcPort,
      maxBodyBytes: args.maxBodyBytes,
      maxItems: args.maxItems,
      headersTimeoutMs: args.headersTimeoutMs,
      bodyTimeoutMs: args.bodyTimeoutMs,
      bodyMinRate: args.bodyMinRate,
      token: args.token,
      insecure: args.insecure,
      jaegerUrl: args.jaegerUrl,
      providers: specs,
      prices,
      experimentConcurrency: args.experimentConcurrency,
      logLevel: args.logLevel,
      keepSpans: args.keepSpans,
      retention: args.retention,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const { url } = server;
  io.out(`genspan serve: listening on ${url}`);
  io.out(`  OTLP/HTTP receiver  ${url}/v1/traces  ${url}/v1/logs`);
  if (server.grpcPort !== undefined)
    io.out(`  OTLP/gRPC receiver  ${grpcAddress(server.host, server.grpcPort)}  (TraceService, LogsService)`);
  io.out(`  REST API            ${url}/api/generations`);
  io.out(`  playground          ${url}/`);
  const providers = new Providers(specs, process.env);
  for (const { name, url: providerUrl } of providers.info()) io.out(`  re-runs with        ${name}  ${providerUrl}`);
  for (const warning of providers.keyWarnings()) io.out(`  WARNING: ${warning}`);
  io.out(`  keeping spans       ${args.keepSpans === 'all' ? 'all spans of traces with AI work' : 'AI spans and their ancestors'}`);
  io.out(`  storing into        ${description}`);
  if (args.prices) io.out(`  prices              genspan's, with ${args.prices} over them`);
  if (args.token) io.out('  every request needs Authorization: Bearer <token>');
  else if (args.insecure) io.out(`  WARNING: no token and --insecure: anyone who can reach ${args.host} can read and write`);
  if (args.jaegerUrl) io.out(`  trace links to      ${args.jaegerUrl}`);
  if (args.retention) io.out(`  retention           ${describePolicy(args.retention)}, checked every minute`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.out(`genspan serve: ${signal} received, finishing requests in flight...`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await store.close();
  io.out('genspan serve: stopped');
  return 0;
}
