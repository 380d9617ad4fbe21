/**
 * `genspan serve`'s OTLP/gRPC receiver beside its OTLP/HTTP one: spans/s through `TraceService/Export` into SQLite,
 * the same protobuf requests of 512 LLM spans with ~2 KB of content each as the server benchmark, sent over loopback
 * by a separate client process (one HTTP/2 connection, 4 calls at once) to the server running as a child process;
 * beside it POST /v1/traces with the same bodies, and the same lower bound: the bodies decoded and ingested in one
 * process. `npm run bench -- server-grpc` runs it alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureExportBody } from '../test/support/otlp-bodies.js';
import {
  CLIENT_CONCURRENCY,
  type ClientReport,
  llmSpans,
  lowerBound,
  REQUESTS_PER_ENCODING,
  runClientProcess,
  SPANS_PER_REQUEST,
  startServer,
} from './server.bench.js';

export default async function grpcServerBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genspan-grpc-bench-'));
  try {
    const bodies: Buffer[] = [];
    for (let batch = 0; batch < REQUESTS_PER_ENCODING; batch++) {
      const body = await captureExportBody(await llmSpans(batch), 'protobuf');
      bodies.push(body);
      writeFileSync(join(dir, `${String(batch).padStart(3, '0')}.pb`), body);
    }
    console.log(
      `server-grpc: ${REQUESTS_PER_ENCODING} requests x ${SPANS_PER_REQUEST} LLM spans, protobuf ` +
        `${Math.round(bodies[0].length / 1024)} KiB per request`,
    );
    const spans = REQUESTS_PER_ENCODING * SPANS_PER_REQUEST;
    const receivers: [string, (server: { url: string; grpcAddress: string }) => Promise<ClientReport>][] = [
      ['TraceService/Export', (server) => runClientProcess(server.grpcAddress, 'grpc', dir, CLIENT_CONCURRENCY, 0)],
      ['POST /v1/traces    ', (server) => runClientProcess(server.url, 'protobuf', dir, CLIENT_CONCURRENCY, 0)],
    ];
    for (const [name, send] of receivers) {
      // A fresh database each, so neither receiver's requests are the other's duplicates.
      const server = await startServer(join(dir, `${name.startsWith('POST') ? 'http' : 'grpc'}.db`));
      const report = await send(server);
      await server.stop();
      if (report.accepted !== REQUESTS_PER_ENCODING) throw new Error(`${name} answered ${JSON.stringify(report.statuses)}`);
      const rate = spans / report.seconds;
      const bound = await lowerBound(bodies, 'protobuf', join(dir, `bound-${name.startsWith('POST') ? 'http' : 'grpc'}.db`));
      const ratio = rate / bound;
      console.log(
        `server-grpc: ${name} protobuf ${Math.round(rate).toString().padStart(7)} spans/s; ` +
          `lower bound (decode + ingest in-process) ${Math.round(bound).toString().padStart(7)} spans/s; ` +
          `ratio ${ratio.toFixed(2)} (target >= 0.50) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
