/**
 * Requests of one LLM span with very many attributes, past the receiver's item limit: what `genspan serve` must refuse
 * with 413 while it keeps answering others (test/server/large-requests.test.ts, and the server benchmark's timing).
 */
import protobuf from 'protobufjs/minimal.js';
import { writeKeyValue } from './otlp-bodies.js';

/** One LLM span with `count` attributes in OTLP/protobuf (a million: 16 MB). */
export function manyAttributesProtobuf(count: number): Buffer {
  const writer = protobuf.Writer.create();
  const attribute = (key: string, value: string) => writeKeyValue(writer, 9, key, value);
  writer.uint32((1 << 3) | 2).fork();
  writer.uint32((2 << 3) | 2).fork();
  writer.uint32((2 << 3) | 2).fork();
  writer.uint32((1 << 3) | 2).bytes(Buffer.alloc(16, 1));
  writer.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2));
  writer.uint32((5 << 3) | 2).string('chat gpt-4o');
  attribute('gen_ai.operation.name', 'chat');
  for (let index = 0; index < count; index++) attribute(`a${index}`, 'v');
  writer.ldelim().ldelim().ldelim();
  return Buffer.from(writer.finish());
}

/** The same span in OTLP/JSON. */
export function manyAttributesJson(count: number): Buffer {
  const attributes = [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }];
  for (let index = 0; index < count; index++) attributes.push({ key: `a${index}`, value: { stringValue: 'v' } });
  const span = { traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'chat gpt-4o', attributes };
  return Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
}

/**
 * Asks `baseUrl`/healthz over and over while `pending` is unsettled: how many were asked, the slowest answer's time
 * from send to answer, and the statuses that were not 200.
 */
export async function slowestHealthz(
  baseUrl: string,
  pending: Promise<unknown>,
): Promise<{ slowestMs: number; asked: number; failedStatuses: number[] }> {
  let settled = false;
  void pending.finally(() => (settled = true));
  let slowestMs = 0;
  let asked = 0;
  const failedStatuses: number[] = [];
  do {
    const sent = performance.now();
    const response = await fetch(`${baseUrl}/healthz`);
    await response.arrayBuffer();
    slowestMs = Math.max(slowestMs, performance.now() - sent);
    asked++;
    if (response.status !== 200) failedStatuses.push(response.status);
  } while (!settled);
  return { slowestMs, asked, failedStatuses };
}
