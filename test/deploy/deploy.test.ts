import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseServeArgs, type ServeArgs } from '../../src/cli/args.js';
import { isLoopbackHost } from '../../src/server/auth.js';
import { SERVER_NODE_FLAGS } from '../../src/server/defaults.js';
import { DEFAULT_DATABASE_PATH } from '../../src/store/defaults.js';

/**
 * Docker cannot run here, so the deployment files are checked as data: they parse, the Collector's pipelines
 * only use what it defines, every address it sends to is a service and port docker-compose defines, images are
 * pinned, the genspan service runs a command line our CLI accepts, and the Dockerfile copies everything the
 * TypeScript build and the CLI at run time read.
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

const COMPOSE_ENV = { GENSPAN_TOKEN: 'compose-token' };

/** The genspan service's command line, parsed with the environment compose gives the container. */
function genspanArgs(): ServeArgs {
  const service = compose.services.genspan;
  const command = (service.command as string[]).map((part) => interpolate(String(part), COMPOSE_ENV));
  const environment = Object.fromEntries(
    Object.entries((service.environment as Dict | undefined) ?? {}).map(([name, value]) => [name, interpolate(String(value), COMPOSE_ENV)]),
  );
  expect(command[0]).toBe('serve');
  const args = parseServeArgs(command.slice(1), environment);
  if (args.help) throw new Error('the genspan command asks for help');
  return args;
}

interface DockerCopy {
  /** The stage copied from; undefined for the build context. */
  from?: string;
  sources: string[];
  /** Absolute, in the stage's file system. */
  destination: string;
}

interface DockerStage {
  name?: string;
  workdir: string;
  copies: DockerCopy[];
  runs: string[];
  volumes: string[];
  user?: string;
  command?: string[];
  exposed: number[];
}

/** The Dockerfile's stages, with what each copies (paths made absolute with the WORKDIR in force). */
function dockerStages(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [instruction, ...words] = line.split(/\s+/);
    const rest = line.slice(instruction.length).trim();
    const stage = stages[stages.length - 1];
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages.push({ name: /\sAS\s+(\S+)$/i.exec(line)?.[1], workdir: '/', copies: [], runs: [], volumes: [], exposed: [] });
        break;
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, rest);
        break;
      case 'COPY': {
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        const destination = paths.pop()!;
        const absolute = posix.resolve(stage.workdir, destination) + (destination.endsWith('/') ? '/' : '');
        stage.copies.push({ from, sources: paths.map((path) => posix.normalize(path)), destination: absolute });
        break;
      }
      case 'RUN':
        stage.runs.push(rest);
        break;
      case 'VOLUME':
        stage.volumes.push(...(rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words));
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'CMD':
        stage.command = JSON.parse(rest) as string[];
        break;
      case 'EXPOSE':
        stage.exposed.push(...words.map((word) => Number.parseInt(word, 10)));
        break;
    }
  }
  return stages;
}

/**
 * Where a file of the build context (`from` undefined) or of another stage (an absolute path) ends up in `stage`,
 * by Docker's rules: a directory's contents land in the destination; a file lands in a destination ending in `/`
 * (or given several sources) under its own name, else at the destination itself.
 */
function copiedTo(stage: DockerStage, file: string, from?: string): string | undefined {
  for (const copy of stage.copies) {
    if (copy.from !== from) continue;
    for (const source of copy.sources) {
      if (file.startsWith(`${source}/`)) return posix.join(copy.destination, file.slice(source.length));
      if (file === source)
        return copy.destination.endsWith('/') || copy.sources.length > 1
          ? posix.join(copy.destination, posix.basename(file))
          : copy.destination;
    }
  }
  return undefined;
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => posix.join(posix.relative('.', entry.parentPath.split('\\').join('/')), entry.name));
}

const IMPORT_PATTERN = /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** A module's imports: relative ones resolved to repository paths, bare ones as package names; type-only ones left out. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const local: string[] = [];
  const packages: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_PATTERN)) {
    if (match[2]) continue;
    const specifier = match[3] ?? match[4];
    if (specifier.startsWith('.')) {
      // A `.js` specifier names the TypeScript file it is compiled from, unless the source is JavaScript itself.
      const path = posix.join(posix.dirname(file), specifier);
      local.push(existsSync(path) ? path : path.replace(/\.js$/, '.ts'));
    } else if (!specifier.startsWith('node:'))
      packages.push(
        specifier
          .split('/')
          .slice(0, specifier.startsWith('@') ? 2 : 1)
          .join('/'),
      );
  }
  return { local, packages };
}

/** Every source file the package's code needs: all of src, and whatever it imports from elsewhere in the repository. */
function sourceClosure(): { files: string[]; packages: Set<string> } {
  const files = new Set(filesUnder('src').filter((file) => file.endsWith('.ts')));
  const packages = new Set<string>();
  const pending = [...files];
  while (pending.length > 0) {
    const { local, packages: imported } = importsOf(pending.pop()!);
    for (const name of imported) packages.add(name);
    for (const file of local) {
      if (files.has(file)) continue;
      expect(existsSync(file), `${file} is imported but missing`).toBe(true);
      files.add(file);
      pending.push(file);
    }
  }
  return { files: [...files].sort(), packages };
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
    expect(traces.exporters).toEqual(expect.arrayContaining(['otlp_grpc/jaeger', 'otlp_grpc/genspan']));
    expect(logs.exporters).toContain('otlp_grpc/genspan');
    for (const name of ['otlp_grpc/jaeger', 'otlp_grpc/genspan']) {
      const exporter = collector.exporters[name] as { sending_queue: { storage: string }; retry_on_failure: { enabled: boolean } };
      expect(exporter.retry_on_failure.enabled).toBe(true);
      expect(collector.service.extensions).toContain(exporter.sending_queue.storage);
      expect(exporter.sending_queue.storage).toMatch(/^file_storage/);
    }
  });

  it("sends to genspan's gRPC receiver, plaintext inside the compose network, with the token as authorization metadata", () => {
    const genspan = collector.exporters['otlp_grpc/genspan'] as {
      endpoint: string;
      tls: { insecure: boolean };
      compression: string;
      headers: Record<string, string>;
    };
    const { host, port } = hostAndPort(genspan.endpoint);
    expect(host).toBe('genspan');
    expect(port).toBe(genspanArgs().grpcPort);
    expect(genspan.tls.insecure).toBe(true);
    expect(genspan.compression).toBe('gzip');
    // The Collector's own ${env:...} syntax, written literally in its configuration; gRPC metadata keys are lower case.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Collector expands it, not JavaScript.
    expect(genspan.headers.authorization).toBe('Bearer ${env:GENSPAN_TOKEN}');
  });

  it('listens on 0.0.0.0 and accepts bodies large enough for long prompts', () => {
    const otlp = collector.receivers.otlp as {
      protocols: { http: { endpoint: string; max_request_body_size: number }; grpc: { endpoint: string } };
    };
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
    for (const line of readFileSync('Dockerfile', 'utf8')
      .split('\n')
      .filter((text) => text.startsWith('FROM '))) {
      expect(line).toMatch(/^FROM [\w./-]+:[\w.-]*\d[\w.-]*( AS \w+)?$/);
    }
  });

  it('has every endpoint of the Collector config name a service and port it defines', () => {
    const found = [
      ...endpoints(collector.receivers, 'receivers'),
      ...endpoints(collector.exporters, 'exporters'),
      ...endpoints(collector.extensions, 'extensions'),
    ];
    expect(found.length).toBeGreaterThanOrEqual(5);
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
    expect(() => interpolate(JSON.stringify(services.genspan.environment), {})).toThrow(/GENSPAN_TOKEN is required/);
  });

  it('keeps the token off the command line (ps, docker inspect): genspan reads it from its environment', () => {
    const command = (services.genspan.command as string[]).map(String);
    expect(command).not.toContain('--token');
    expect(command.join(' ')).not.toMatch(/GENSPAN_TOKEN/);
    expect((services.genspan.environment as Dict).GENSPAN_TOKEN).toMatch(/^\$\{GENSPAN_TOKEN:\?/);
  });

  it('publishes every port on the host loopback only', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      ((service.ports as string[] | undefined) ?? []).map((entry) => [name, String(entry)]),
    );
    expect(published.map(([name]) => name)).toEqual(expect.arrayContaining(['otel-collector', 'genspan']));
    for (const [name, entry] of published) expect(entry, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it("starts the Dockerfile and npm start with the CLI the package ships, under the server's Node flags", () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const command = ['node', ...SERVER_NODE_FLAGS, packageJson.bin.genspan];
    expect(dockerfile).toContain(`ENTRYPOINT ${JSON.stringify(command).replaceAll(',', ', ')}`);
    expect(packageJson.scripts.start).toBe(`${command.join(' ')} serve`);
  });
});

describe('Dockerfile', () => {
  const stages = dockerStages(readFileSync('Dockerfile', 'utf8'));
  const build = stages.find((stage) => stage.name === 'build')!;
  const runtime = stages[stages.length - 1];
  const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
    include: string[];
  };
  const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  const { files: sources, packages } = sourceClosure();

  /** Where tsc writes a source file: rootDir is the repository, so dist mirrors it. */
  const compiled = (file: string) => posix.join(tsconfig.compilerOptions.outDir, file.replace(/\.ts$/, '.js'));

  it('has a build stage and a runtime stage', () => {
    expect(build).toBeDefined();
    expect(runtime).not.toBe(build);
    expect(build.runs.some((run) => /\btsc -p tsconfig\.json\b/.test(run))).toBe(true);
    expect(
      build.runs.some((run) => /\btsc -p tsconfig\.page\.json\b/.test(run)),
      'the page is built',
    ).toBe(true);
  });

  it('copies into the build stage everything tsc needs: its config, the lock file, src and what src imports', () => {
    expect(
      sources.filter((file) => !file.startsWith('src/')),
      'the CLI imports nothing outside src/',
    ).toEqual([]);
    expect(tsconfig.compilerOptions.rootDir).toBe('.');
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.page.json', ...sources]) {
      expect(copiedTo(build, file), file).toBe(posix.join(build.workdir, file));
    }
    for (const directory of new Set(sources.map((file) => file.split('/')[0]))) expect(tsconfig.include, directory).toContain(directory);
  });

  it('copies into the runtime stage the compiled code, the page files read from src/ui and package.json', () => {
    const uiAssets = filesUnder('src/ui').filter((file) => !file.endsWith('.ts'));
    expect(uiAssets).toContain('src/ui/index.html');
    for (const file of uiAssets) expect(copiedTo(build, file), file).toBe(posix.join(build.workdir, file));
    const pageScripts = filesUnder('src/ui')
      .filter((file) => file.endsWith('.ts'))
      .map(compiled);
    expect(pageScripts).toContain('dist/src/ui/app.js');
    for (const file of ['package.json', ...uiAssets, ...pageScripts, ...sources.map(compiled)]) {
      expect(copiedTo(runtime, posix.join(build.workdir, file), build.name), file).toBe(posix.join(runtime.workdir, file));
    }
  });

  it('keeps every package the code imports, after npm prune --omit=dev', () => {
    expect(build.runs.some((run) => /npm prune --omit=dev/.test(run))).toBe(true);
    for (const name of packages) {
      expect(Object.keys(packageJson.dependencies), `${name} is imported at run time`).toContain(name);
      expect(copiedTo(runtime, posix.join(build.workdir, 'node_modules', name, 'package.json'), build.name)).toBe(
        posix.join(runtime.workdir, 'node_modules', name, 'package.json'),
      );
    }
  });

  it('serves, by default, from a SQLite file in a volume the unprivileged user owns, on the port compose uses', () => {
    const command = runtime.command!;
    expect(command[0]).toBe('serve');
    const args = parseServeArgs(command.slice(1), { GENSPAN_TOKEN: 'image-token' });
    if (args.help) throw new Error('the default command asks for help');
    expect(args.store.kind).toBe('sqlite');
    const dbOption = command.indexOf('--db');
    const database = posix.resolve(runtime.workdir, dbOption === -1 ? DEFAULT_DATABASE_PATH : command[dbOption + 1]);
    const volume = runtime.volumes.find((directory) => database.startsWith(`${directory.replace(/\/$/, '')}/`));
    expect(volume, `${database} is not in a VOLUME`).toBeDefined();
    expect(runtime.user).toBe('node');
    expect(
      runtime.runs.some((run) => new RegExp(`chown (-R )?node(:node)? ${volume}(\\s|$)`).test(run)),
      `${volume} is not chowned to node`,
    ).toBe(true);
    expect(runtime.exposed).toEqual([args.port, args.grpcPort]);
    expect(genspanArgs().port).toBe(args.port);
    expect(genspanArgs().grpcPort).toBe(args.grpcPort);
  });
});

describe('the scale-out variant: docker-compose.scale-out.yml and collector-config.scale-out.yaml', () => {
  const override = parse(readFileSync('docker-compose.scale-out.yml', 'utf8')) as { services: Record<string, Dict> };
  const scaled = parse(readFileSync('collector-config.scale-out.yaml', 'utf8')) as typeof collector;
  const balancer = scaled.exporters['load_balancing/genspan'] as {
    routing_key: string;
    protocol: { otlp: { tls: { insecure: boolean }; compression: string; headers: Record<string, string> } };
    resolver: { static: { hostnames: string[] } };
    sending_queue: { storage: string; num_consumers: number };
    retry_on_failure: { enabled: boolean; max_elapsed_time: number };
  };

  /** The services as `docker compose -f docker-compose.yml -f docker-compose.scale-out.yml` merges them. */
  function mergedServices(): Record<string, Dict> {
    const merged: Record<string, Dict> = structuredClone(compose.services);
    for (const [name, service] of Object.entries(override.services)) {
      const base = merged[name] ?? {};
      const target = (mount: string) => mount.split(':')[1];
      const overrideVolumes = (service.volumes as string[] | undefined) ?? [];
      const volumes = [
        ...((base.volumes as string[] | undefined) ?? []).filter(
          (mount) => !overrideVolumes.some((other) => target(other) === target(mount)),
        ),
        ...overrideVolumes,
      ];
      merged[name] = {
        ...base,
        ...service,
        ...(volumes.length > 0 ? { volumes } : {}),
        depends_on: { ...((base.depends_on as Dict | undefined) ?? {}), ...((service.depends_on as Dict | undefined) ?? {}) },
      };
    }
    return merged;
  }

  it('is collector-config.yaml with the genspan exporter replaced by load_balancing, routing by trace id', () => {
    const replaced = (names: string[]) => names.map((name) => (name === 'otlp_grpc/genspan' ? 'load_balancing/genspan' : name));
    for (const [name, pipeline] of Object.entries(collector.service.pipelines)) {
      expect(scaled.service.pipelines[name]).toEqual({ ...pipeline, exporters: replaced(pipeline.exporters) });
    }
    expect(Object.keys(scaled.service.pipelines).sort()).toEqual(Object.keys(collector.service.pipelines).sort());
    expect(scaled.receivers).toEqual(collector.receivers);
    expect(scaled.processors).toEqual(collector.processors);
    expect(scaled.extensions).toEqual(collector.extensions);
    expect(scaled.service.extensions).toEqual(collector.service.extensions);
    const { 'otlp_grpc/genspan': single, ...others } = collector.exporters;
    const { 'load_balancing/genspan': _balancer, ...scaledOthers } = scaled.exporters;
    expect(scaledOthers).toEqual(others);
    // Logs default to routing by service: a trace's log records would then go elsewhere than its spans.
    expect(balancer.routing_key).toBe('traceID');
    const { endpoint: _endpoint, sending_queue: _queue, retry_on_failure: _retry, ...connection } = single as Dict;
    expect(balancer.protocol.otlp).toEqual(connection);
    expect(collector.service.extensions).toContain(balancer.sending_queue.storage);
    expect(balancer.retry_on_failure).toEqual({ enabled: true, max_elapsed_time: 0 });
  });

  it('routes to every genspan replica, on its gRPC port, and to nothing else', () => {
    const services = mergedServices();
    const replicas = Object.entries(services)
      .filter(([, service]) => (service.command as string[] | undefined)?.[0] === 'serve')
      .map(([name]) => name);
    expect(replicas.sort()).toEqual(['genspan', 'genspan-2']);
    const routed = balancer.resolver.static.hostnames.map((hostname) => hostAndPort(hostname));
    expect(routed.map(({ host }) => host).sort()).toEqual(replicas);
    for (const { host, port } of routed) {
      expect(port).toBe(genspanArgs().grpcPort);
      expect(portsOf(services[host])).toContain(port);
    }
    // Each replica admits 4 OTLP requests at once (see collector-config.yaml).
    expect(balancer.sending_queue.num_consumers).toBe(4 * replicas.length);
  });

  it('runs genspan-2 as the genspan service again on the same PostgreSQL, its API on another loopback port', () => {
    const services = mergedServices();
    const [genspan, second] = [services.genspan, services['genspan-2']];
    for (const key of ['build', 'command', 'environment', 'expose', 'depends_on', 'healthcheck'])
      expect(second[key], key).toEqual(genspan[key]);
    const published = [genspan, second].flatMap((service) => (service.ports as string[]).map(String));
    for (const entry of published) expect(entry).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(new Set(published.map((entry) => entry.split(':')[1])).size).toBe(published.length);
    const collectorService = services['otel-collector'];
    expect(collectorService.volumes).toContain('./collector-config.scale-out.yaml:/etc/otelcol-contrib/config.yaml:ro');
    expect(collectorService.volumes).not.toContain('./collector-config.yaml:/etc/otelcol-contrib/config.yaml:ro');
    const directory = (scaled.extensions['file_storage/queue'] as { directory: string }).directory;
    expect((collectorService.volumes as string[]).some((volume) => volume.endsWith(`:${directory}`))).toBe(true);
    expect(collectorService.depends_on).toMatchObject({
      genspan: { condition: 'service_healthy' },
      'genspan-2': { condition: 'service_healthy' },
    });
  });
});
