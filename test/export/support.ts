import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ChatGeneration } from '../../src/generation/index.js';
import { step } from '../../src/step/index.js';

/** A temporary folder, removed by `remove()`. */
export function tempDir(prefix = 'genspan-export-'): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function chatGeneration(index: number, contentBytes = 200): ChatGeneration {
  const filler = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(contentBytes / 2 / 27)).slice(0, Math.floor(contentBytes / 2));
  return new ChatGeneration({
    provider: 'openai',
    model: 'gpt-4o-mini',
    settings: { temperature: 0.3 },
    tags: ['export-test'],
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: `question ${index}: ${filler}` },
    ],
    messageCompletion: { role: 'assistant', content: `answer ${index}: ${filler}` },
    inputTokenCount: 10,
    outputTokenCount: 5,
  });
}

/**
 * Real SDK spans: `llm` genspan steps carrying a chat generation, and plain spans of no AI work.
 * Spans are collected in memory so a test decides when and how they reach the exporter.
 */
export class SpanFactory {
  readonly memory = new InMemorySpanExporter();
  readonly provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.memory)] });
  private readonly tracer = this.provider.getTracer('genspan');
  private counter = 0;

  llmSpans(count: number, contentBytes = 200): ReadableSpan[] {
    for (let i = 0; i < count; i++) {
      const index = this.counter++;
      step({ name: `llm-${index}`, type: 'llm', tracer: this.tracer }, (s) => {
        s.generation = chatGeneration(index, contentBytes);
      });
    }
    return this.take();
  }

  /** One `llm` step carrying the given generation. */
  llmSpanWith(generation: ChatGeneration): ReadableSpan {
    step({ name: `llm-${this.counter++}`, type: 'llm', tracer: this.tracer }, (s) => {
      s.generation = generation;
    });
    return this.take()[0];
  }

  /** Spans of no AI work, each its own trace, as an HTTP or database instrumentation makes them. */
  plainSpans(count: number): ReadableSpan[] {
    for (let i = 0; i < count; i++)
      this.tracer.startSpan(`plain-${this.counter++}`, { attributes: { 'http.request.method': 'GET' } }).end();
    return this.take();
  }

  private take(): ReadableSpan[] {
    const spans = this.memory.getFinishedSpans();
    this.memory.reset();
    return spans;
  }
}

/** One `export` call: its result, and how many times its callback ran (a test checks it stays 1). */
export interface ExportCall {
  result: Promise<ExportResult>;
  calls(): number;
}

export function exportCall(exporter: Pick<SpanExporter, 'export'>, spans: ReadableSpan[]): ExportCall {
  let calls = 0;
  const result = new Promise<ExportResult>((resolve) => {
    exporter.export(spans, (value) => {
      calls++;
      resolve(value);
    });
  });
  return { result, calls: () => calls };
}

export function exportBatch(exporter: Pick<SpanExporter, 'export'>, spans: ReadableSpan[]): Promise<ExportResult> {
  return exportCall(exporter, spans).result;
}

export const SUCCESS = ExportResultCode.SUCCESS;
export const FAILED = ExportResultCode.FAILED;

type DiagLine = { level: string; message: string };

/** Collects what goes through the OpenTelemetry diagnostic logger while installed. */
export class DiagCapture implements DiagLogger {
  readonly lines: DiagLine[] = [];
  private waiters: { pattern: RegExp; resolve: (line: DiagLine) => void }[] = [];
  error = (message: string, ...args: unknown[]) => this.add('error', message, args);
  warn = (message: string, ...args: unknown[]) => this.add('warn', message, args);
  info = (message: string, ...args: unknown[]) => this.add('info', message, args);
  debug = (message: string, ...args: unknown[]) => this.add('debug', message, args);
  verbose = (message: string, ...args: unknown[]) => this.add('verbose', message, args);

  install(level = DiagLogLevel.DEBUG): this {
    diag.setLogger(this, { logLevel: level, suppressOverrideMessage: true });
    return this;
  }

  uninstall(): void {
    diag.disable();
  }

  matching(pattern: RegExp): DiagLine[] {
    return this.lines.filter((line) => pattern.test(line.message));
  }

  /** Resolves with the first line matching `pattern`: one already logged, or else the next one to be. */
  logged(pattern: RegExp): Promise<DiagLine> {
    const earlier = this.lines.find((line) => pattern.test(line.message));
    return earlier ? Promise.resolve(earlier) : this.next(pattern);
  }

  /** Resolves with the next line matching `pattern` logged after this call. */
  next(pattern: RegExp): Promise<DiagLine> {
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  private add(level: string, message: string, args: unknown[]): void {
    const line = { level, message: [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ') };
    this.lines.push(line);
    const matched = this.waiters.filter((waiter) => waiter.pattern.test(line.message));
    this.waiters = this.waiters.filter((waiter) => !matched.includes(waiter));
    for (const waiter of matched) waiter.resolve(line);
  }
}
