import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FacetList, GenerationItem, GenerationList } from '../../src/server/index.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';
import { generationsOfTrace, getJson, sendSpans } from '../support/sender.js';

const JAEGER = 'http://localhost:16686';

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = tempDir();
  server = await startCliServer(['--db', join(dir, 'e2e.db'), '--jaeger-url', JAEGER]);
});

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

function generationsOf(traceId: string): Promise<GenerationItem[]> {
  return generationsOfTrace(server.url, traceId);
}

describe('genspan serve, end to end with the official OTLP exporters in another process', () => {
  it.each(['json', 'protobuf'] as const)('stores the generation of step spans sent over %s, once although sent twice', async (protocol) => {
    const label = `hello-${protocol}`;
    const sent = await sendSpans({ endpoint: server.url, protocol, scenario: 'steps', times: 2, label });
    expect(sent.failures).toEqual([]);
    expect(sent.spanCount).toBe(3);

    const items = await generationsOf(sent.traceId);
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item).toMatchObject({
      traceId: sent.traceId,
      serviceName: 'sender-steps',
      source: 'genspan',
      jaegerUrl: `${JAEGER}/trace/${sent.traceId}`,
      generation: {
        type: 'COMPLETION',
        provider: 'openai',
        model: 'e2e-model',
        template: 'Say {what}',
        variables: { what: label },
        settings: { temperature: 0.5 },
        prompt: `Say ${label}`,
        completion: `${label}!`,
        tags: ['e2e'],
        inputTokenCount: 3,
        outputTokenCount: 2,
      },
    });
    expect(item.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(item.parentSpanId).toMatch(/^[0-9a-f]{16}$/);

    const single = await getJson<GenerationItem>(`${server.url}/api/generations/${item.id}`);
    expect(single.status).toBe(200);
    // The detail also names the generation's step: the span's own, whose id is the record's.
    expect(single.body).toEqual({ ...item, stepId: item.id });
  });

  it('stores the generation of real @opentelemetry/instrumentation-openai spans, joined with their log records', async () => {
    const sent = await sendSpans({ endpoint: server.url, protocol: 'protobuf', scenario: 'openai', label: 'joined' });
    expect(sent.failures).toEqual([]);
    expect(sent.logCount).toBeGreaterThan(0);

    const items = await generationsOf(sent.traceId);
    expect(items).toHaveLength(1);
    expect(items[0].serviceName).toBe('sender-openai');
    expect(items[0].generation).toMatchObject({ type: 'CHAT', model: 'gpt-4o-mini-2024-07-18', inputTokenCount: 11, outputTokenCount: 5 });
    expect(JSON.stringify(items[0].generation)).toContain('Say joined');
    expect(JSON.stringify(items[0].generation)).toContain('joined from the fake API');
  });

  it('filters and pages the list with the query parameters', async () => {
    await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', label: 'page-a' });
    await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', label: 'page-b' });

    const byModel = await getJson<GenerationList>(`${server.url}/api/generations?model=e2e-model&limit=500`);
    expect(byModel.body.items.length).toBeGreaterThanOrEqual(2);
    expect(byModel.body.items.every((item) => item.generation.model === 'e2e-model')).toBe(true);

    const searched = await getJson<GenerationList>(`${server.url}/api/generations?q=page-b`);
    expect(searched.body.items.map((item) => item.generation.prompt)).toEqual(['Say page-b']);

    const first = await getJson<GenerationList>(`${server.url}/api/generations?service=sender-steps&limit=1`);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await getJson<GenerationList>(
      `${server.url}/api/generations?service=sender-steps&limit=1&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

    const none = await getJson<GenerationList>(`${server.url}/api/generations?service=nobody`);
    expect(none.body).toEqual({ items: [], nextCursor: null, total: { count: 0, exact: true } });
  });

  it('answers the total matching with the list, and facets of model, provider, service and tag under the filters', async () => {
    await sendSpans({ endpoint: server.url, protocol: 'json', scenario: 'steps', label: 'facet-ünïcode' });
    const all = await getJson<GenerationList>(`${server.url}/api/generations?service=sender-steps&limit=500`);
    const stepCount = all.body.items.length;
    expect(stepCount).toBeGreaterThan(0);

    const page = await getJson<GenerationList>(`${server.url}/api/generations?service=SENDER-STEPS&model=E2E-Model&limit=1`);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toEqual({ count: stepCount, exact: true });
    const searched = await getJson<GenerationList>(`${server.url}/api/generations?q=${encodeURIComponent('FACET-ÜNÏ')}`);
    expect(searched.body.total).toEqual({ count: 1, exact: true });

    const models = await getJson<FacetList>(`${server.url}/api/facets?field=model&service=Sender-Steps&model=other`);
    expect(models.status).toBe(200);
    expect(models.body).toEqual({ field: 'model', values: [{ value: 'e2e-model', count: stepCount }], exact: true });
    const tags = await getJson<FacetList>(`${server.url}/api/facets?field=tag&q=${encodeURIComponent('facet-ünïcode')}`);
    expect(tags.body).toEqual({ field: 'tag', values: [{ value: 'e2e', count: 1 }], exact: true });
    const services = await getJson<FacetList>(`${server.url}/api/facets?field=service&provider=OPENAI`);
    expect(services.body.values.map((value) => value.value)).toContain('sender-steps');
    const providers = await getJson<FacetList>(`${server.url}/api/facets?field=provider&service=nobody`);
    expect(providers.body).toEqual({ field: 'provider', values: [], exact: true });

    const unknown = await getJson<{ message: string }>(`${server.url}/api/facets?field=color`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('query parameter "field" must be one of model, provider, service, tag');
    const badFilter = await getJson<{ message: string }>(`${server.url}/api/facets?field=model&from=yesterday`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.message).toMatch(/from.*ISO-8601/);
  });

  it('answers bad query parameters and unknown ids clearly', async () => {
    const badLimit = await getJson<{ message: string }>(`${server.url}/api/generations?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.message).toMatch(/"limit" must be an integer from 1 to 500/);
    const badTime = await getJson<{ message: string }>(`${server.url}/api/generations?from=yesterday`);
    expect(badTime.status).toBe(400);
    expect(badTime.body.message).toMatch(/from.*ISO-8601/);
    const badCursor = await getJson<{ message: string }>(`${server.url}/api/generations?cursor=garbage`);
    expect(badCursor.status).toBe(400);
    const missing = await getJson<{ message: string }>(`${server.url}/api/generations/00000000-0000-0000-0000-000000000000`);
    expect(missing.status).toBe(404);
  });

  it('streams every record as JSON Lines', async () => {
    const response = await fetch(`${server.url}/api/generations.jsonl`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    // Generation record lines, then the steps and threads of their traces (`{"kind": ...}` lines).
    const lines = (await response.text())
      .trim()
      .split('\n')
      .filter((line) => (JSON.parse(line) as { kind?: string }).kind === undefined);
    const all = await getJson<GenerationList>(`${server.url}/api/generations?limit=500`);
    expect(lines).toHaveLength(all.body.items.length);
    const ids = lines.map((line) => (JSON.parse(line) as { id: string }).id).sort();
    expect(ids).toEqual(all.body.items.map((item) => item.id).sort());
  });

  it('reports health', async () => {
    expect(await getJson(`${server.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  });
});
