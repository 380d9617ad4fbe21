import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { ServerConfigError } from './options.js';
import { printable } from './text.js';

/**
 * The server's log: one line per event, `<ISO time> <LEVEL> [<request id>] <message>`, on stderr by default. It is
 * Fastify's logger too, so Fastify's own messages, `request.log` and genspan's share the format. Its only runtime
 * import is the light `options.js`, so the CLI can check `--log-level` without loading the server.
 */

/** The levels `--log-level` accepts, most severe first; each shows the ones before it. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where log lines go: each `write` gets one whole line, with its newline. */
export interface LogDestination {
  write(line: string): unknown;
}

/** Pino's level names, which Fastify uses, mapped to their severities; `fatal` and `trace` are Fastify's. */
const SEVERITY: Readonly<Record<string, number>> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity };

/** `--log-level`: one of `LOG_LEVELS`, or a `ServerConfigError` naming them. */
export function parseLogLevel(value: string): LogLevel {
  const level = LOG_LEVELS.find((name) => name === value);
  if (level === undefined) throw new ServerConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return level;
}

/** An error's stack (or message) for unexpected failures, whose place in the code matters. */
export function errorDetail(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Why a request was refused (4xx), at `debug`: each request's own line says only its status. Failures (5xx) are
 * logged, louder, where they happen.
 */
export function logRefusal(request: FastifyRequest, statusCode: number, message: string): void {
  if (statusCode < 500) request.log.debug(`${request.method} ${request.url} refused: ${message}`);
}

/** Pino's call shapes: `(message)`, `(error)`, `({ err, ... }, message)`; other fields are Fastify's and left out. */
function messageOf(first: unknown, rest: readonly unknown[]): string {
  const parts: string[] = [];
  if (typeof first === 'string') parts.push(first);
  const fields = first instanceof Error ? { err: first } : (first as { err?: unknown; msg?: unknown } | null | undefined);
  for (const part of rest) if (part !== undefined) parts.push(String(part));
  if (typeof fields === 'object' && fields !== null) {
    if (typeof fields.msg === 'string' && parts.length === 0) parts.push(fields.msg);
    if (fields.err instanceof Error) parts.push(fields.err.message);
  }
  return parts.join(': ');
}

/**
 * Keeps an event on one line: newlines (a stack, a multi-line driver message) are written as `\n`, and every other
 * terminal control (a lone `\r`, ESC, a bidi override from a provider's text) as its `\uXXXX` escape.
 */
function oneLine(text: string): string {
  return printable(text.replace(/\r?\n/g, '\\n'));
}

/** A minimal logger implementing Fastify's interface (`loggerInstance`), writing `LOG_LEVELS` lines. */
export class ServerLog implements FastifyBaseLogger {
  level: string;

  constructor(
    level: string,
    private readonly destination: LogDestination = process.stderr,
    private readonly requestId?: string,
  ) {
    this.level = level;
  }

  child(bindings: { reqId?: unknown }, options?: { level?: string }): ServerLog {
    const requestId = typeof bindings.reqId === 'string' ? bindings.reqId : this.requestId;
    return new ServerLog(options?.level ?? this.level, this.destination, requestId);
  }

  fatal(first: unknown, ...rest: unknown[]): void {
    this.write('fatal', first, rest);
  }

  error(first: unknown, ...rest: unknown[]): void {
    this.write('error', first, rest);
  }

  warn(first: unknown, ...rest: unknown[]): void {
    this.write('warn', first, rest);
  }

  info(first: unknown, ...rest: unknown[]): void {
    this.write('info', first, rest);
  }

  debug(first: unknown, ...rest: unknown[]): void {
    this.write('debug', first, rest);
  }

  trace(first: unknown, ...rest: unknown[]): void {
    this.write('trace', first, rest);
  }

  silent(): void {}

  private write(level: string, first: unknown, rest: readonly unknown[]): void {
    if (SEVERITY[level] < (SEVERITY[this.level] ?? SEVERITY.info)) return;
    const request = this.requestId ? ` [${this.requestId}]` : '';
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)}${request} ${oneLine(messageOf(first, rest))}\n`;
    try {
      this.destination.write(line);
    } catch {
      // A closed stderr has nowhere left to report to; the request still gets its answer.
    }
  }
}
