import { logs } from '@opentelemetry/api-logs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  type BatchLogRecordProcessorOptions,
  LoggerProvider,
  type LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  BatchSpanProcessor,
  type BufferConfig,
  NodeTracerProvider,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { errorMessage, report } from '../ingest/diagnostics.js';
import { type PricesOption, pricesFromOption } from '../ingest/prices.js';
import type { KeepSpans } from '../ingest/steps.js';
import { Otel } from '../semconv/keys.js';
import { DEFAULT_DATABASE_PATH } from '../store/defaults.js';
import { SqliteStore } from '../store/sqlite.js';
import type { PlaygroundStore } from '../store/types.js';
import { PlaygroundExporter } from './exporter.js';
import { PlaygroundLogExporter } from './log-exporter.js';
import type { RetryOptions } from './write-queue.js';

export { DEFAULT_DATABASE_PATH };

/** The environment variables that, when set, make `register()` also export every span over OTLP (e.g. to Jaeger). */
export const OTLP_ENDPOINT_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] as const;

export interface PlaygroundProcessorOptions extends RetryOptions {
  /**
   * Where generations go. Default: a `SqliteStore` on `path`, opened here and closed by `close()`/`shutdown()`.
   * `false`: no store and no local database file, for an app whose spans reach a running `genspan serve` over OTLP.
   */
  store?: PlaygroundStore | false;
  /** The SQLite file used when no store is given. Default `./genspan.db`. */
  path?: string;
  /**
   * Your prices, merged over genspan's model by model: a price table (the shape of genspan's `prices.json`, or one
   * built by `readPriceFile`) or the path of a JSON file holding one (`PricesOption`). One that cannot be used is
   * reported and genspan's prices are used.
   */
  prices?: PricesOption;
  /**
   * Which spans of a trace with AI work are stored as steps: `ai` (default) keeps its AI spans and their ancestors up
   * to the root, `all` every span. Traces without AI work are never stored.
   */
  keepSpans?: KeepSpans;
  /** Settings of the `BatchSpanProcessor` in front of the playground exporter (defaults: the SDK's, `OTEL_BSP_*`). */
  spanBatch?: BufferConfig;
  /** Settings of the `BatchLogRecordProcessor` in front of the playground log exporter. */
  logBatch?: Omit<BatchLogRecordProcessorOptions, 'exporter'>;
}

/** genspan's processors, to add to a provider (or `NodeSDK` config) an app already has. */
export interface PlaygroundProcessors {
  /** Where generations go; undefined with `store: false` or when the SQLite file could not be opened (`storeError`). */
  store: PlaygroundStore | undefined;
  /** Why the SQLite file could not be opened (already reported through the diagnostic logger). */
  storeError: Error | undefined;
  exporter: PlaygroundExporter | undefined;
  logExporter: PlaygroundLogExporter | undefined;
  /** A `BatchSpanProcessor` over `exporter` (a no-op without a store): add it to the tracer provider's `spanProcessors`. */
  spanProcessor: SpanProcessor;
  /** A `BatchLogRecordProcessor` over `logExporter` (a no-op without a store): add it to the logger provider's `processors`. */
  logRecordProcessor: LogRecordProcessor;
  /** Closes the store if genspan opened it. Call after the providers have shut down. */
  close(): Promise<void>;
}

const NO_LOG_RECORD_PROCESSOR: LogRecordProcessor = {
  onEmit: () => undefined,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * Opens the default SQLite store. A file that cannot be opened is reported (the store's errors name it), not thrown:
 * tracing must not stop the app.
 */
function openOwnStore(path: string): { store: SqliteStore } | { error: Error } {
  try {
    return { store: new SqliteStore({ path }) };
  } catch (error) {
    report('error', `genspan: no playground store, generations will not be recorded: ${errorMessage(error)}`);
    return { error: error instanceof Error ? error : new Error(errorMessage(error)) };
  }
}

/**
 * Builds genspan's span and log processors over one store, for an app that has its own OpenTelemetry setup:
 *
 *     const genspan = playgroundProcessors();
 *     new NodeSDK({ spanProcessors: [genspan.spanProcessor, ...], logRecordProcessors: [genspan.logRecordProcessor] });
 *
 * Never throws: when the SQLite file cannot be opened, that is reported once through the OpenTelemetry diagnostic
 * logger and the processors do nothing (`store` is undefined, `storeError` says why).
 */
export function playgroundProcessors(options: PlaygroundProcessorOptions = {}): PlaygroundProcessors {
  if (options.store === false) return withoutStore(undefined);
  const ownsStore = options.store === undefined;
  const opened = options.store ? { store: options.store } : openOwnStore(options.path ?? DEFAULT_DATABASE_PATH);
  if ('error' in opened) return withoutStore(opened.error);
  const store = opened.store;
  // Resolved once, so an unusable value is reported once, not by each exporter.
  const prices = pricesFromOption(options.prices);
  const exporter = new PlaygroundExporter({ ...options, store, prices });
  const logExporter = new PlaygroundLogExporter({ ...options, store, prices });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= ownsStore ? store.close() : Promise.resolve();
    return closed;
  };
  return {
    store,
    storeError: undefined,
    exporter,
    logExporter,
    spanProcessor: new BatchSpanProcessor(exporter, options.spanBatch),
    logRecordProcessor: new BatchLogRecordProcessor({ ...options.logBatch, exporter: logExporter }),
    close,
  };
}

function withoutStore(storeError: Error | undefined): PlaygroundProcessors {
  return {
    store: undefined,
    storeError,
    exporter: undefined,
    logExporter: undefined,
    spanProcessor: new NoopSpanProcessor(),
    logRecordProcessor: NO_LOG_RECORD_PROCESSOR,
    close: () => Promise.resolve(),
  };
}

export interface RegisterOptions extends PlaygroundProcessorOptions {
  /** `service.name` of the resource. Default: `OTEL_SERVICE_NAME` (then `OTEL_RESOURCE_ATTRIBUTES`, then the SDK's default). */
  serviceName?: string;
  /** More span processors to add (e.g. your own exporter's). */
  spanProcessors?: SpanProcessor[];
  /**
   * Also send every span over OTLP/HTTP (`OTLPTraceExporter`, configured by the `OTEL_EXPORTER_OTLP_*` variables).
   * Default: when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
   */
  otlp?: boolean;
}

/** What `register()` set up. */
export interface GenspanTelemetry {
  tracerProvider: NodeTracerProvider;
  loggerProvider: LoggerProvider;
  /** Where generations go; undefined with `store: false` or when the SQLite file could not be opened (`storeError`). */
  store: PlaygroundStore | undefined;
  /** Why the SQLite file could not be opened (already reported through the diagnostic logger). */
  storeError: Error | undefined;
  exporter: PlaygroundExporter | undefined;
  logExporter: PlaygroundLogExporter | undefined;
  /** Whether spans are also sent over OTLP. */
  otlp: boolean;
  /** Exports every span and log record ended so far, to the store and (when on) over OTLP. */
  forceFlush(): Promise<void>;
  /** Flushes and stops both providers, then closes the store if genspan opened it. */
  shutdown(): Promise<void>;
}

function otlpConfigured(env: NodeJS.ProcessEnv): boolean {
  return OTLP_ENDPOINT_ENV.some((name) => (env[name] ?? '').trim() !== '');
}

function buildResource(serviceName: string | undefined): Resource {
  let resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  if (serviceName) resource = resource.merge(resourceFromAttributes({ [Otel.SERVICE_NAME]: serviceName }));
  return resource;
}

/**
 * One call for an app with no OpenTelemetry yet: a `NodeTracerProvider` whose spans go to the playground store
 * (SQLite `./genspan.db` by default) and, when an OTLP endpoint is configured, to that endpoint too (Jaeger, a
 * collector); a `LoggerProvider` whose GenAI log events (message content from `@opentelemetry/instrumentation-openai`)
 * join their generations. Both are registered globally. Call `shutdown()` before the process exits.
 * Never throws: a SQLite file that cannot be opened is reported and the OTLP side goes on without the store.
 */
export function register(options: RegisterOptions = {}): GenspanTelemetry {
  const playground = playgroundProcessors(options);
  const resource = buildResource(options.serviceName);
  const otlp = options.otlp ?? otlpConfigured(process.env);
  if (options.store === false && !otlp) {
    report('warn', `genspan: register({ store: false }) without an OTLP endpoint (${OTLP_ENDPOINT_ENV.join(' or ')}): spans go nowhere`);
  }
  const spanProcessors: SpanProcessor[] = [playground.spanProcessor];
  if (otlp) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  spanProcessors.push(...(options.spanProcessors ?? []));

  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register();
  const loggerProvider = new LoggerProvider({ resource, processors: [playground.logRecordProcessor] });
  if (logs.setGlobalLoggerProvider(loggerProvider) !== loggerProvider) {
    report('warn', 'genspan: another global LoggerProvider is already registered; GenAI log events will not reach the playground');
  }

  let stopped: Promise<void> | undefined;
  return {
    tracerProvider,
    loggerProvider,
    store: playground.store,
    storeError: playground.storeError,
    exporter: playground.exporter,
    logExporter: playground.logExporter,
    otlp,
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
      // The batch processors do not flush their exporters; ours may still hold batches waiting for a retry.
      await Promise.all([playground.exporter?.forceFlush(), playground.logExporter?.forceFlush()]);
    },
    shutdown: () => {
      stopped ??= (async (): Promise<void> => {
        const results = await Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]);
        for (const result of results) {
          if (result.status === 'rejected') report('error', `genspan: shutting down a provider failed: ${errorMessage(result.reason)}`);
        }
        await playground.close();
      })();
      return stopped;
    },
  };
}
