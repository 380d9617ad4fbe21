import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseServeArgs, type ServeArgs } from '../../src/cli/args.js';
import { isLoopbackHost } from '../../src/server/auth.js';

/**
 * Docker cannot run here, so the deployment files are checked as data: they parse, the Collector's pipelines
 * only use what it defines, every address it sends to is a service and port docker-compose defines, images are
 * pinned, and the genspan service runs a command line our CLI accepts.
 */

type Dict = Record<string, unknown>;

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Dict>; volumes?: Dict };
const collector = parse(readFileSync('collector-config.yaml', 'utf8')) as {
  extensions: Dict;
  receivers: Dict;
  processors: Dict;
  exporters: Dict;
  service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
};

/** What docker compose does to `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, with these values for the variables. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_whole, name: string, operator: string | undefined, rest: string) => {
    if (env[name]) return env[name];
    if (operator === '-') return rest;
    throw new Error(`${name} is required by docker-compose.yml (${rest})`);
  });
}

function portsOf(service: Dict): Set<number> {
  const ports = new Set<number>();
  for (const entry of (service.ports as string[] | undefined) ?? []) ports.add(Number(String(entry).split(':').pop()));
  for (const entry of (service.expose as string[] | undefined) ?? []) ports.add(Number(entry));
  return ports;
}

/** Every `endpoint`, `traces_endpoint` and `logs_endpoint` value under a config section, with its path. */
function endpoints(value: unknown, path: string): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  const found: [string, string][] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (/(^|_)endpoint$/.test(key) && typeof inner === 'string') found.push([`${path}.${key}`, inner]);
    else found.push(...endpoints(inner, `${path}.${key}`));
  }
  return found;
}

function hostAndPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  return { host: url.hostname, port: Number(url.port) };
}

function genspanArgs(): ServeArgs {
  const command = (compose.services.genspan.command as string[]).map((part) => interpolate(String(part), { GENSPAN_TOKEN: 'compose-token' }));
  expect(command[0]).toBe('serve');
  const args = parseServeArgs(command.slice(1), {});
  if (args.help) throw new Error('the genspan command asks for help');
  return args;
}

describe('collector-config.yaml', () => {
  it('defines every receiver, processor, exporter and extension its pipelines use', () => {
    for (const name of collector.service.extensions) expect(collector.extensions, `extension ${name}`).toHaveProperty([name]);
    for (const [pipeline, { receivers, processors = [], exporters }] of Object.entries(collector.service.pipelines)) {
      for (const name of receivers) expect(collector.receivers, `${pipeline} receiver ${name}`).toHaveProperty([name]);
      for (const name of processors) expect(collector.processors, `${pipeline} processor ${name}`).toHaveProperty([name]);
      for (const name of exporters) expect(collector.exporters, `${pipeline} exporter ${name}`).toHaveProperty([name]);
    }
    expect(Object.keys(collector.service.pipelines).sort()).toEqual(['logs', 'traces']);
  });

  it('puts memory_limiter first in every pipeline', () => {
    for (const { processors } of Object.values(collector.service.pipelines)) expect(processors?.[0]).toBe('memory_limiter');
  });

  it('sends traces to Jaeger and genspan, logs to genspan, with retries and a persistent queue', () => {
    const { traces, logs } = collector.service.pipelines;
    expect(traces.exporters).toEqual(expect.arrayContaining(['otlp_grpc/jaeger', 'otlp_http/genspan']));
    expect(logs.exporters).toContain('otlp_http/genspan');
    for (const name of ['otlp_grpc/jaeger', 'otlp_http/genspan']) {
      const exporter = collector.exporters[name] as { sending_queue: { storage: string }; retry_on_failure: { enabled: boolean } };
      expect(exporter.retry_on_failure.enabled).toBe(true);
      expect(collector.service.extensions).toContain(exporter.sending_queue.storage);
      expect(exporter.sending_queue.storage).toMatch(/^file_storage/);
    }
    const genspan = collector.exporters['otlp_http/genspan'] as { headers: Record<string, string> };
    expect(genspan.headers.Authorization).toBe('Bearer ${env:GENSPAN_TOKEN}');
  });

  it('listens on 0.0.0.0 and accepts bodies large enough for long prompts', () => {
    const otlp = collector.receivers.otlp as { protocols: { http: { endpoint: string; max_request_body_size: number }; grpc: { endpoint: string } } };
    expect(hostAndPort(otlp.protocols.http.endpoint).host).toBe('0.0.0.0');
    expect(hostAndPort(otlp.protocols.grpc.endpoint).host).toBe('0.0.0.0');
    expect(otlp.protocols.http.max_request_body_size).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(collector.service.extensions).toContain('health_check');
  });
});

describe('docker-compose.yml', () => {
  const services = compose.services;

  it('runs Jaeger v2, the Collector, genspan and PostgreSQL, each image pinned to a version', () => {
    expect(services.jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(services['otel-collector'].image).toMatch(/^otel\/opentelemetry-collector-contrib:0\.\d+\.\d+$/);
    expect(services.postgres.image).toMatch(/^postgres:\d+/);
    expect(portsOf(services.jaeger)).toContain(16686);
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined && service.image === undefined) continue;
      expect(service.image, name).toMatch(/^[\w./-]+(:[\w.-]*\d[\w.-]*|@sha256:[0-9a-f]{64})$/);
      expect(String(service.image), name).not.toMatch(/:latest$/);
    }
    expect(services.genspan.build).toBe('.');
    expect(existsSync('Dockerfile')).toBe(true);
    for (const line of readFileSync('Dockerfile', 'utf8').split('\n').filter((text) => text.startsWith('FROM '))) {
      expect(line).toMatch(/^FROM [\w./-]+:[\w.-]*\d[\w.-]*( AS \w+)?$/);
    }
  });

  it('has every endpoint of the Collector config name a service and port it defines', () => {
    const found = [
      ...endpoints(collector.receivers, 'receivers'),
      ...endpoints(collector.exporters, 'exporters'),
      ...endpoints(collector.extensions, 'extensions'),
    ];
    expect(found.length).toBeGreaterThanOrEqual(6);
    for (const [path, endpoint] of found) {
      const { host, port } = hostAndPort(endpoint);
      const service = host === '0.0.0.0' ? services['otel-collector'] : services[host];
      expect(service, `${path}: ${host} is not a service`).toBeDefined();
      expect(portsOf(service), `${path}: port ${port} of ${host}`).toContain(port);
    }
  });

  it('mounts the Collector config and its queue directory', () => {
    const volumes = services['otel-collector'].volumes as string[];
    expect(volumes).toContain('./collector-config.yaml:/etc/otelcol-contrib/config.yaml:ro');
    const directory = (collector.extensions['file_storage/queue'] as { directory: string }).directory;
    expect(volumes.some((volume) => volume.endsWith(`:${directory}`))).toBe(true);
    expect((services['otel-collector'].environment as Dict).GENSPAN_TOKEN).toMatch(/^\$\{GENSPAN_TOKEN/);
  });

  it("runs genspan with a command line genspan's own parser accepts: PostgreSQL, all interfaces, a token", () => {
    const args = genspanArgs();
    expect(args.host).toBe('0.0.0.0');
    expect(isLoopbackHost(args.host)).toBe(false);
    expect(args.token).toBe('compose-token');
    expect(args.store.kind).toBe('postgres');
    expect(args.jaegerUrl).toBe('http://localhost:16686');
    expect(portsOf(services.genspan)).toContain(args.port);
    if (args.store.kind === 'postgres') {
      const { host, port } = hostAndPort(args.store.url);
      expect(services[host], `${host} is not a service`).toBeDefined();
      expect(portsOf(services[host])).toContain(port);
    }
    expect(() => interpolate(String((services.genspan.command as string[]).join(' ')), {})).toThrow(/GENSPAN_TOKEN is required/);
  });

  it('starts the Dockerfile with the CLI the package ships', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "${packageJson.bin.genspan}"]`);
  });
});
