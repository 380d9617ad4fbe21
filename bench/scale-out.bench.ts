/**
 * Three `genspan serve` on one PostgreSQL against one alone: the same three sender processes send the same requests
 * (each call under a `run` step beside a `tool` step, protobuf, 512 calls a request), first all to one server, then
 * each sender to a server of its own, each time into a fresh database of the same cluster. The ratio is what adding
 * servers buys on this machine: the servers, the senders and PostgreSQL share its cores.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureExportBody } from '../test/support/otlp-bodies.js';
import { startPostgres } from '../test/support/postgres.js';
import { type ChildServer, CLIENT_CONCURRENCY, llmSpans, runClientProcess, SPANS_PER_REQUEST, startServer } from './server.bench.js';

const SERVERS = 3;
const REQUESTS_PER_SENDER = 4;

/** Each sender's requests to its server, all senders at once; generations per second over the slowest sender. */
async function sendAll(servers: readonly ChildServer[], dirs: readonly string[]): Promise<number> {
  const started = performance.now();
  const reports = await Promise.all(
    dirs.map((dir, sender) => runClientProcess(servers[sender % servers.length].url, 'protobuf', dir, CLIENT_CONCURRENCY, 0)),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const report of reports) {
    if (report.accepted !== REQUESTS_PER_SENDER) throw new Error(`a sender's requests were answered ${JSON.stringify(report.statuses)}`);
  }
  return (dirs.length * REQUESTS_PER_SENDER * SPANS_PER_REQUEST) / seconds;
}

export default async function scaleOutBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'genspan-scale-out-bench-'));
  const postgres = await startPostgres({ durable: true });
  try {
    const dirs: string[] = [];
    for (let sender = 0; sender < SERVERS; sender++) {
      const senderDir = join(dir, `sender-${sender}`);
      mkdirSync(senderDir);
      dirs.push(senderDir);
      for (let request = 0; request < REQUESTS_PER_SENDER; request++) {
        const body = await captureExportBody(await llmSpans(sender * REQUESTS_PER_SENDER + request, true), 'protobuf');
        writeFileSync(join(senderDir, `${String(request).padStart(3, '0')}.pb`), body);
      }
    }
    console.log(
      `scale-out: ${SERVERS} senders x ${REQUESTS_PER_SENDER} requests x ${SPANS_PER_REQUEST} calls (each under a run and a tool step), ` +
        `${CLIENT_CONCURRENCY} requests at once per sender; ${availableParallelism()} cores for servers, senders and PostgreSQL`,
    );

    const alone = await startServer(await postgres.createDatabase('alone'));
    const aloneRate = await sendAll([alone], dirs);
    await alone.stop();

    const shared = await postgres.createDatabase('shared');
    // One first, so the schema is created once; then the others.
    const servers = [await startServer(shared)];
    servers.push(...(await Promise.all(Array.from({ length: SERVERS - 1 }, () => startServer(shared)))));
    const togetherRate = await sendAll(servers, dirs);
    await Promise.all(servers.map((server) => server.stop()));

    console.log(
      `scale-out: one server ${Math.round(aloneRate)} generations/s; ${SERVERS} servers on one PostgreSQL ` +
        `${Math.round(togetherRate)} generations/s; ratio ${(togetherRate / aloneRate).toFixed(2)}`,
    );
  } finally {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
