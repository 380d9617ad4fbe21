import type { LogLevel } from './log.js';

/** `genspan serve` defaults, in a module of their own so the CLI can show them without loading the server. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4318;
/** The OTLP specification's recommended request limit, before and after decompression. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 4;
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/** Lifecycle, refused requests, warnings and errors; every answered request only at `debug`. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
