import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../support/playground-seeds.js';
import {
  applicableFields,
  cameThrough,
  expectedCalls,
  fieldsThatMustComeThrough,
  pythonFixture,
  pythonLabels,
  pythonScenarios,
} from '../support/python-fixtures.js';
import { generationsOfTrace } from '../support/sender.js';

// The Python instrumentations' fixtures POSTed as OTLP/JSON, as a Collector forwards them: spans and log records in
// both orders give the generations the translator gives, log records joined (scripts/capture-python).

const dir = tempDir('genspan-python-');
let store: SqliteStore;
let server: RunningServer;
/** Each POST gets trace ids of its own: every fixture numbers its ids from 1. */
let batch = 0;

beforeAll(async () => {
  store = new SqliteStore({ path: dir.file('python.db') });
  server = await startServer({ store, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  dir.remove();
});

function withOwnTraceIds(body: string, prefix: string): string {
  return body.replace(/"traceId":"[0-9a-f]{8}/g, `"traceId":"${prefix}`);
}

async function post(path: '/v1/traces' | '/v1/logs', body: string): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
}

const ORDERS = ['spans, then logs', 'logs, then spans'] as const;

describe.each(pythonLabels())('Python %s through the server', (label) => {
  it.each(pythonScenarios(label).flatMap((scenario) => ORDERS.map((order) => [scenario, order] as const)))(
    '%s (%s): the expected generations, log records joined',
    async (scenario, order) => {
      const fixture = pythonFixture(label, scenario);
      const prefix = (++batch).toString(16).padStart(8, '0');
      const traces = withOwnTraceIds(fixture.traces, prefix);
      const logs = withOwnTraceIds(fixture.logs, prefix);
      if (order === 'spans, then logs') {
        await post('/v1/traces', traces);
        await post('/v1/logs', logs);
      } else {
        await post('/v1/logs', logs);
        await post('/v1/traces', traces);
      }
      const traceIds = [...new Set(fixture.spans.map((span) => `${prefix}${span.traceId.slice(8)}`))];
      const stored = (await Promise.all(traceIds.map((traceId) => generationsOfTrace(server.url, traceId))))
        .flat()
        .sort((a, b) => a.startTime.localeCompare(b.startTime));
      const calls = expectedCalls(label, scenario);
      expect(stored).toHaveLength(calls.length);
      calls.forEach((call, index) => {
        const generation = stored[index].generation;
        const through = applicableFields(call).filter((field) => cameThrough(generation, call, field));
        expect(through).toEqual(fieldsThatMustComeThrough(label, scenario, index, call));
      });
    },
  );
});
