import { logs } from '@opentelemetry/api-logs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  type BatchLogRecordProcessorOptions,
  LoggerProvider,
  type LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, type BufferConfig, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { errorMessage, report } from '../ingest/diagnostics.js';
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
  /** Where generations go. Default: a `SqliteStore` on `path`, opened here and closed by `close()`/`shutdown()`. */
  store?: PlaygroundStore;
  /** The SQLite file used when no store is given. Default `./genspan.db`. */
  path?: string;
  /** Settings of the `BatchSpanProcessor` in front of the playground exporter (defaults: the SDK's, `OTEL_BSP_*`). */
  spanBatch?: BufferConfig;
  /** Settings of the `BatchLogRecordProcessor` in front of the playground log exporter. */
  logBatch?: Omit<BatchLogRecordProcessorOptions, 'exporter'>;
}

/** genspan's processors, to add to a provider (or `NodeSDK` config) an app already has. */
export interface PlaygroundProcessors {
  store: PlaygroundStore;
  exporter: PlaygroundExporter;
  logExporter: PlaygroundLogExporter;
  /** A `BatchSpanProcessor` over `exporter`: add it to the tracer provider's `spanProcessors`. */
  spanProcessor: SpanProcessor;
  /** A `BatchLogRecordProcessor` over `logExporter`: add it to the logger provider's `processors`. */
  logRecordProcessor: LogRecordProcessor;
  /** Closes the store if genspan opened it. Call after the providers have shut down. */
  close(): Promise<void>;
}

/**
 * Builds genspan's span and log processors over one store, for an app that has its own OpenTelemetry setup:
 *
 *     const genspan = playgroundProcessors();
 *     new NodeSDK({ spanProcessors: [genspan.spanProcessor, ...], logRecordProcessors: [genspan.logRecordProcessor] });
 *
 * Throws a clear error when the default SQLite file cannot be opened (this happens at setup, never while tracing).
 */
export function playgroundProcessors(options: PlaygroundProcessorOptions = {}): PlaygroundProcessors {
  const ownsStore = options.store === undefined;
  const store = options.store ?? new SqliteStore({ path: options.path ?? DEFAULT_DATABASE_PATH });
  const exporter = new PlaygroundExporter({ ...options, store });
  const logExporter = new PlaygroundLogExporter({ ...options, store });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= ownsStore ? store.close() : Promise.resolve();
    return closed;
  };
  return {
    store,
    exporter,
    logExporter,
    spanProcessor: new BatchSpanProcessor(exporter, options.spanBatch),
    logRecordProcessor: new BatchLogRecordProcessor({ ...options.logBatch, exporter: logExporter }),
    close,
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
  store: PlaygroundStore;
  exporter: PlaygroundExporter;
  logExporter: PlaygroundLogExporter;
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
 */
export function register(options: RegisterOptions = {}): GenspanTelemetry {
  const playground = playgroundProcessors(options);
  const resource = buildResource(options.serviceName);
  const otlp = options.otlp ?? otlpConfigured(process.env);
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
    exporter: playground.exporter,
    logExporter: playground.logExporter,
    otlp,
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
      // The batch processors do not flush their exporters; ours may still hold batches waiting for a retry.
      await Promise.all([playground.exporter.forceFlush(), playground.logExporter.forceFlush()]);
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
