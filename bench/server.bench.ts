/**
 * `genspan serve` throughput and memory: spans/s through POST /v1/traces into SQLite, JSON and protobuf, requests of
 * 512 LLM spans with ~2 KB of content each, sent over loopback by a separate client process to the server running
 * as a child process; beside it the lower bound, the same bodies decoded and the same rows ingested directly in
 * one process; then the server's peak RSS while a client floods it as fast as it can.
 * This file is also the client: `node dist/bench/server.bench.js --bench-client ...`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CompletionGeneration } from '../src/generation/index.js';
import { GenerationIngest } from '../src/ingest/ingest.js';
import { decodeTraceRequest, type OtlpEncoding } from '../src/otlp/index.js';
import { encodeGeneration } from '../src/semconv/encode.js';
import { GRPC_METHODS } from '../src/server/grpc.js';
import { step } from '../src/step/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { manyAttributesJson, manyAttributesProtobuf, slowestHealthz } from '../test/support/large-requests.js';
import { captureExportBody } from '../test/support/otlp-bodies.js';
import { type BenchServer, callUnderSteps, startGenspanServe } from './support.js';

export const SPANS_PER_REQUEST = 512;
export const REQUESTS_PER_ENCODING = 12;
export const CLIENT_CONCURRENCY = 4;
const FLOOD_CONCURRENCY = 64;
const FLOOD_SECONDS = 8;
const RSS_TARGET_MB = 300;
/** A request past the item limit, and how long /healthz may wait while it is refused. */
const LARGE_REQUEST_ATTRIBUTES = 1_000_000;
const HEALTHZ_TARGET_MS = 250;

const SELF = fileURLToPath(import.meta.url);

// ---- the client process ------------------------------------------------------------------------------------------

export interface ClientReport {
  seconds: number;
  statuses: Record<string, number>;
  accepted: number;
}

/** Sends every body once (throughput) or round-robin until the deadline (flood); retries 429/503 in throughput mode. */
async function runClient(url: string, encoding: OtlpEncoding, dir: string, concurrency: number, floodSeconds: number): Promise<void> {
  const bodies = readdirSync(dir)
    .filter((name) => name.endsWith(encoding === 'json' ? '.json' : '.pb'))
    .sort()
    .map((name) => readFileSync(join(dir, name)));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(`${url}/v1/traces`);
  const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  const statuses: Record<string, number> = {};
  const post = (body: Buffer) =>
    new Promise<{ status: number; retryAfter: number }>((resolvePost, reject) => {
      const outgoing = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': contentType, 'content-length': body.length },
        },
        (response) => {
          response.resume();
          response.on('end', () =>
            resolvePost({ status: response.statusCode ?? 0, retryAfter: Number(response.headers['retry-after'] ?? 0) }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const started = performance.now();
  let accepted = 0;
  let next = 0;
  const deadline = started + floodSeconds * 1000;
  const worker = async () => {
    for (;;) {
      const flooding = floodSeconds > 0;
      if (flooding ? performance.now() >= deadline : next >= bodies.length) return;
      const body = bodies[next++ % bodies.length];
      for (;;) {
        const { status, retryAfter } = await post(body);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) accepted++;
        if (flooding || (status !== 429 && status !== 503)) break;
        await new Promise((wait) => setTimeout(wait, Math.min(retryAfter * 1000, 50)));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const report: ClientReport = { seconds: (performance.now() - started) / 1000, statuses, accepted };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  agent.destroy();
}

/** Sends every protobuf body once as a `TraceService/Export` call on one HTTP/2 connection, retrying busy answers. */
async function runGrpcClient(address: string, dir: string, concurrency: number): Promise<void> {
  const bodies = readdirSync(dir)
    .filter((name) => name.endsWith('.pb'))
    .sort()
    .map((name) => readFileSync(join(dir, name)));
  const client = new Client(address, credentials.createInsecure());
  const identity = (bytes: Buffer) => bytes;
  const call = (body: Buffer) =>
    new Promise<number>((resolveCall) =>
      client.makeUnaryRequest(GRPC_METHODS.traces, identity, identity, body, new Metadata(), (error) =>
        resolveCall(error?.code ?? status.OK),
      ),
    );
  const statuses: Record<string, number> = {};
  const started = performance.now();
  let accepted = 0;
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const code = await call(body);
        statuses[status[code]] = (statuses[status[code]] ?? 0) + 1;
        if (code === status.OK) accepted++;
        if (code !== status.RESOURCE_EXHAUSTED && code !== status.UNAVAILABLE) break;
        await new Promise((wait) => setTimeout(wait, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const report: ClientReport = { seconds: (performance.now() - started) / 1000, statuses, accepted };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  client.close();
}

// ---- the benchmark -----------------------------------------------------------------------------------------------

function content(seed: number, length: number): string {
  const words = ['trace', 'span', 'prompt', 'token', 'model', 'latency', 'generation', 'context', 'observability', 'playground'];
  let text = '';
  for (let index = 0; text.length < length; index++) text += `${words[(seed + index * 7) % words.length]} `;
  return text.slice(0, length);
}

function completion(seed: number): CompletionGeneration {
  return new CompletionGeneration({
    provider: 'openai',
    model: 'gpt-4o-mini',
    template: 'Answer about {topic}: {question}',
    variables: { topic: 'tracing', question: content(seed, 200) },
    settings: { temperature: 0.2, max_tokens: 512 },
    prompt: content(seed, 1400),
    completion: content(seed + 3, 600),
    inputTokenCount: 350,
    outputTokenCount: 150,
    tokenCount: 500,
  });
}

/**
 * 512 finished LLM step spans, each a CompletionGeneration with ~2 KB of prompt and completion; with `steps`, each
 * under a `run` step beside a `tool` step (1,536 spans).
 */
export async function llmSpans(batch: number, steps = false): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-app' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench');
  for (let index = 0; index < SPANS_PER_REQUEST; index++) {
    const seed = batch * SPANS_PER_REQUEST + index;
    if (steps) {
      const { name, attributes } = encodeGeneration(completion(seed), { captureContent: true });
      callUnderSteps(tracer, name, attributes);
      continue;
    }
    step({ name: 'llm call', type: 'llm', tracer }, (current) => {
      current.generation = completion(seed);
    });
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export interface ChildServer extends BenchServer {
  grpcAddress: string;
}

/** `genspan serve` on a SQLite file, or on PostgreSQL when `db` is a postgres:// URL. */
export async function startServer(db: string): Promise<ChildServer> {
  const store = /^postgres(ql)?:\/\//.test(db) ? ['--postgres', db] : ['--db', db];
  // warn: the flood's refusals (429, logged at info) are what it measures, not news; failures still show.
  const server = await startGenspanServe(['--grpc-port', '0', ...store, '--log-level', 'warn']);
  const { grpcAddress } = server;
  if (grpcAddress === undefined) throw new Error('genspan serve did not announce its OTLP/gRPC receiver');
  return { ...server, grpcAddress };
}

/** Runs this file as the client, in a process of its own: `encoding` `grpc` sends the protobuf bodies over gRPC to `url`. */
export function runClientProcess(
  url: string,
  encoding: OtlpEncoding | 'grpc',
  dir: string,
  concurrency: number,
  floodSeconds: number,
): Promise<ClientReport> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SELF, '--bench-client', url, encoding, dir, String(concurrency), String(floodSeconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolveRun(JSON.parse(output.trim()) as ClientReport) : reject(new Error(`bench client exited with ${code}`)),
    );
  });
}

/** Peak and current resident set of a process, from /proc (Linux). */
function memoryOf(pid: number): { peakMb: number; currentMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { peakMb: field('VmHWM'), currentMb: field('VmRSS') };
}

/** The lower bound: the same bodies decoded and their generations ingested into SQLite in this process, no HTTP. */
export async function lowerBound(bodies: Buffer[], encoding: OtlpEncoding, db: string): Promise<number> {
  const store = new SqliteStore({ path: db });
  const ingest = new GenerationIngest(store);
  let stored = 0;
  const started = performance.now();
  for (const body of bodies) {
    const { spans } = decodeTraceRequest(body, encoding);
    stored += (await ingest.ingestSpans(spans)).stored;
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  if (stored !== bodies.length * SPANS_PER_REQUEST) throw new Error(`the lower bound stored ${stored} generations`);
  return stored / seconds;
}

export default async function serverBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genspan-server-bench-'));
  try {
    const bodies: Record<OtlpEncoding, Buffer[]> = { json: [], protobuf: [] };
    for (let batch = 0; batch < REQUESTS_PER_ENCODING * 2; batch++) {
      const encoding: OtlpEncoding = batch < REQUESTS_PER_ENCODING ? 'json' : 'protobuf';
      const body = await captureExportBody(await llmSpans(batch), encoding);
      bodies[encoding].push(body);
      writeFileSync(join(dir, `${String(batch).padStart(3, '0')}.${encoding === 'json' ? 'json' : 'pb'}`), body);
    }
    const perRequestKb = (encoding: OtlpEncoding) => Math.round(bodies[encoding][0].length / 1024);
    console.log(
      `server: ${REQUESTS_PER_ENCODING} requests x ${SPANS_PER_REQUEST} LLM spans per encoding; ` +
        `JSON ${perRequestKb('json')} KiB, protobuf ${perRequestKb('protobuf')} KiB per request`,
    );

    const server = await startServer(join(dir, 'server.db'));
    const spans = REQUESTS_PER_ENCODING * SPANS_PER_REQUEST;
    for (const encoding of ['json', 'protobuf'] as const) {
      const report = await runClientProcess(server.url, encoding, dir, CLIENT_CONCURRENCY, 0);
      if (report.accepted !== REQUESTS_PER_ENCODING) throw new Error(`server answered ${JSON.stringify(report.statuses)}`);
      const serverRate = spans / report.seconds;
      const boundRate = await lowerBound(bodies[encoding], encoding, join(dir, `bound-${encoding}.db`));
      const ratio = serverRate / boundRate;
      console.log(
        `server: POST /v1/traces ${encoding.padEnd(8)} ${Math.round(serverRate).toString().padStart(7)} spans/s; ` +
          `lower bound (decode + ingest in-process) ${Math.round(boundRate).toString().padStart(7)} spans/s; ` +
          `ratio ${ratio.toFixed(2)} (target >= 0.50) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
      );
    }
    // Issue 11's corpus: the same calls, each under a run step beside a tool step, through the same server.
    const stepsDir = join(dir, 'steps');
    mkdirSync(stepsDir);
    const stepBodies: Buffer[] = [];
    for (let batch = 0; batch < REQUESTS_PER_ENCODING; batch++) {
      const body = await captureExportBody(await llmSpans(batch, true), 'protobuf');
      stepBodies.push(body);
      writeFileSync(join(stepsDir, `${String(batch).padStart(3, '0')}.pb`), body);
    }
    const report = await runClientProcess(server.url, 'protobuf', stepsDir, CLIENT_CONCURRENCY, 0);
    if (report.accepted !== REQUESTS_PER_ENCODING) throw new Error(`server answered ${JSON.stringify(report.statuses)}`);
    const stepsRate = spans / report.seconds;
    const stepsBound = await lowerBound(stepBodies, 'protobuf', join(dir, 'bound-steps.db'));
    const stepsRatio = stepsRate / stepsBound;
    console.log(
      `server: each call under a run and a tool step (protobuf, ${Math.round(stepBodies[0].length / 1024)} KiB) ` +
        `${Math.round(stepsRate).toString().padStart(7)} generations/s; lower bound ${Math.round(stepsBound)} generations/s; ` +
        `ratio ${stepsRatio.toFixed(2)} (target >= 0.50) ${stepsRatio >= 0.5 ? 'OK' : 'MISSED'}`,
    );
    // A request of a million attributes is refused with 413 once the decoder passes the item limit; meanwhile the
    // server must go on answering others (test/server/large-requests.test.ts checks the refusal).
    for (const [encoding, contentType, build] of [
      ['protobuf', 'application/x-protobuf', manyAttributesProtobuf],
      ['json', 'application/json', manyAttributesJson],
    ] as const) {
      const answer = fetch(`${server.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: build(LARGE_REQUEST_ATTRIBUTES),
      }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      });
      const { slowestMs, asked } = await slowestHealthz(server.url, answer);
      console.log(
        `server: a request of ${LARGE_REQUEST_ATTRIBUTES.toLocaleString('en')} attributes (${encoding}) answered ${await answer}; ` +
          `slowest of ${asked} /healthz meanwhile ${slowestMs.toFixed(0)} ms (target < ${HEALTHZ_TARGET_MS}) ` +
          `${slowestMs < HEALTHZ_TARGET_MS ? 'OK' : 'MISSED'}`,
      );
    }
    await server.stop();

    const flooded = await startServer(join(dir, 'flood.db'));
    const before = memoryOf(flooded.pid);
    let sampledPeak = before.currentMb;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryOf(flooded.pid).currentMb);
    }, 100);
    const flood = await runClientProcess(flooded.url, 'protobuf', dir, FLOOD_CONCURRENCY, FLOOD_SECONDS);
    clearInterval(sampler);
    const after = memoryOf(flooded.pid);
    await flooded.stop();
    const peak = Math.max(after.peakMb, sampledPeak);
    const refused = (flood.statuses['429'] ?? 0) + (flood.statuses['503'] ?? 0);
    console.log(
      `server: flood, ${FLOOD_CONCURRENCY} concurrent requests for ${FLOOD_SECONDS} s: ` +
        `${flood.accepted} accepted, ${refused} refused with 429/503 (${JSON.stringify(flood.statuses)}); ` +
        `peak server RSS ${peak.toFixed(0)} MB (idle ${before.currentMb.toFixed(0)} MB; target < ${RSS_TARGET_MB}) ` +
        `${peak < RSS_TARGET_MB ? 'OK' : 'MISSED'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--bench-client' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [, , , url, encoding, dir, concurrency, floodSeconds] = process.argv;
  const client =
    encoding === 'grpc'
      ? runGrpcClient(url, dir, Number(concurrency))
      : runClient(url, encoding as OtlpEncoding, dir, Number(concurrency), Number(floodSeconds));
  client.catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
