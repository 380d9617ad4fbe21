/** Small timing helpers and corpora shared by the benchmarks. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type Attributes, ROOT_CONTEXT, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { Genspan } from '../src/semconv/keys.js';
import { SERVER_NODE_FLAGS } from '../src/server/defaults.js';

export interface Rate {
  /** Operations per second (median of the rounds). */
  perSecond: number;
  /** Microseconds per operation (median of the rounds). */
  microsPerOp: number;
}

/**
 * Times several candidates side by side: each round runs every candidate once (in turn, after a warm-up),
 * and the median per-op time over the rounds is reported, so drift on a busy machine hits all of them alike.
 */
export function compareSync(
  candidates: Record<string, () => void>,
  options: { iterations: number; rounds?: number; warmup?: number },
): Record<string, Rate> {
  const rounds = options.rounds ?? 7;
  const names = Object.keys(candidates);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) for (let i = 0; i < (options.warmup ?? options.iterations); i++) candidates[name]();
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const fn = candidates[name];
      const start = process.hrtime.bigint();
      for (let i = 0; i < options.iterations; i++) fn();
      samples[name].push(Number(process.hrtime.bigint() - start) / 1000 / options.iterations);
    }
  }
  return Object.fromEntries(names.map((name) => [name, rate(samples[name])]));
}

function rate(microsPerOpSamples: number[]): Rate {
  const sorted = [...microsPerOpSamples].sort((a, b) => a - b);
  const microsPerOp = sorted[Math.floor(sorted.length / 2)];
  return { microsPerOp, perSecond: 1e6 / microsPerOp };
}

export function formatRate(name: string, value: Rate): string {
  return `${name.padEnd(52)} ${value.perSecond.toFixed(0).padStart(10)} ops/s  ${value.microsPerOp.toFixed(2).padStart(9)} µs/op`;
}

/**
 * Ends the spans of one LLM call as an app with steps writes them (issue 11's corpus): a `run` step holding the
 * call's `llm` step (`name`, `attributes`: the generation's encoding) and a `tool` step, children first.
 */
export function callUnderSteps(tracer: Tracer, name: string, attributes: Attributes): void {
  const run = tracer.startSpan('agent', {
    attributes: { [Genspan.STEP_NAME]: 'agent', [Genspan.STEP_TYPE]: 'run', [Genspan.STEP_INPUT]: 'a question' },
  });
  const inside = trace.setSpan(ROOT_CONTEXT, run);
  const llm = { ...attributes, [Genspan.STEP_NAME]: 'answer', [Genspan.STEP_TYPE]: 'llm' };
  tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: llm }, inside).end();
  const tool = {
    [Genspan.STEP_NAME]: 'lookup',
    [Genspan.STEP_TYPE]: 'tool',
    [Genspan.STEP_INPUT]: '{"q":"order 7"}',
    [Genspan.STEP_OUTPUT]: 'shipped',
  };
  tracer.startSpan('lookup', { attributes: tool }, inside).end();
  run.end();
}

const CLI = resolve('dist/src/cli/main.js');

/** A `genspan serve` the benchmark started. */
export interface BenchServer {
  url: string;
  /** The OTLP/gRPC receiver's `host:port`, when it was started with one. */
  grpcAddress?: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the built `genspan serve --port 0` with `args`, no token and the server's Node flags (as `npm start` and the
 * image run it); resolves once its announcement is complete (the `storing into` line is its last). Its log goes to
 * this process's stderr.
 */
export function startGenspanServe(args: readonly string[]): Promise<BenchServer> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GENSPAN_TOKEN: '' },
  });
  let output = '';
  return new Promise((resolveStart, reject) => {
    child.on('exit', (code) => reject(new Error(`genspan serve exited with ${code}: ${output}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(output);
      if (!url || !/storing into .*\n/.test(output)) return;
      resolveStart({
        url: url[1],
        grpcAddress: /OTLP\/gRPC receiver\s+(\S+)/.exec(output)?.[1],
        pid: child.pid ?? 0,
        stop: () =>
          new Promise<void>((resolveStop) => {
            child.removeAllListeners('exit');
            child.once('exit', () => resolveStop());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
