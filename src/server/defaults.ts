import type { LogLevel } from './log.js';

/** `genspan serve` defaults, in a module of their own so the CLI can show them without loading the server. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4318;
/** OTLP/gRPC's port, as the specification names it; `genspan serve --grpc-port off` turns the gRPC receiver off. */
export const DEFAULT_GRPC_PORT = 4317;
/** The OTLP specification's recommended request limit, before and after decompression. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 4;
/**
 * Spans, events, log records and attribute values one OTLP request may carry. A full batch of the SDK's defaults (512
 * spans of 128 attributes) is 65,536; decoding and translating 100,000 holds the event loop for about 0.2 s, where the
 * million attributes a 16 MB request can carry held it for 5 s.
 */
export const DEFAULT_MAX_REQUEST_ITEMS = 100_000;
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/**
 * Node's flags for a server process (`npm start`, the image's entry point; set them in NODE_OPTIONS for `npx genspan
 * serve`). V8 lets the main thread's young generation grow to tens of MB under load and only the command line can cap
 * it: 4 MB semi-spaces took a server's peak RSS under the benchmark's flood from 295–306 MB to 263–278 MB, at the same
 * throughput (the worker threads are capped in code, `THREAD_LIMITS`).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
/** Lifecycle, refused requests, warnings and errors; every answered request only at `debug`. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
/**
 * Slow clients. Headers within 60 s, as Node's `headersTimeout`, nginx's `client_header_timeout` and the Collector's
 * `read_header_timeout` all default to. A body within 60 s (an OTLP exporter gives up after 10 s anyway), and at least
 * 1 KiB/s on average once the first 5 s have passed (Kestrel's minimum data rate, with its grace period): a body that
 * stalls loses its admission slot and its connection in seconds, not at the deadline.
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
export const DEFAULT_BODY_MIN_RATE = 1024;
export const DEFAULT_BODY_RATE_GRACE_MS = 5_000;
/** How long an OTLP request waits for room among the requests in flight before it is answered 429. */
export const DEFAULT_ADMISSION_WAIT_MS = 1_000;
/** Calls one provider gets at once from the server's experiments, all experiments together. */
export const DEFAULT_EXPERIMENT_CONCURRENCY = 4;
/**
 * An experiment's retries of a call a provider answered 429 or 5xx: up to 5 attempts, waiting what `Retry-After` says
 * or 0.5 s doubling each time, never more than 30 s at once.
 */
export const DEFAULT_EXPERIMENT_RETRY = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 } as const;

/** Limit for one provider call, start to last token, unless the provider's configuration says otherwise. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 300_000;
/** Bounds of a configured provider timeout: a whole number of milliseconds a timer can hold (at most 2^31-1). */
export const MIN_PROVIDER_TIMEOUT_MS = 1_000;
export const MAX_PROVIDER_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Largest edited generation a re-run (or its preview) accepts: a long chat with its tools, well under the OTLP limit. */
export const RERUN_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Characters of a provider's error message kept in the re-run's error. */
export const PROVIDER_ERROR_CHARS = 500;
/** The shortest run of a secret's last characters that is redacted on its own: how providers echo a key's tail. */
export const ECHOED_TAIL = 8;
