import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` + `pg_ctl` from the machine's PostgreSQL
 * (on PATH or under /usr/lib/postgresql/<version>/bin), a free port on 127.0.0.1, a temporary folder holding the
 * data directory and the unix socket, trust authentication, removed by `destroy()`.
 * When GENSPAN_TEST_POSTGRES_URL is set that server is used instead; it cannot be stopped or restarted, so tests
 * that stop the server get one through `stoppableServer`, which then starts a throwaway cluster all the same.
 * Nothing here skips: when PostgreSQL cannot be started the caller gets an error saying why.
 */
export interface PostgresServer {
  /** URL of the maintenance database (`postgres`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True for a cluster this process started (and can stop, restart and destroy). */
  readonly owned: boolean;
  /** A fresh empty database on the server; resolves with its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its temporary folder. */
  destroy(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Keep fsync and full-page writes on (benchmarks); tests turn them off for speed. Default false. */
  durable?: boolean;
  /**
   * A folder kept between runs (benchmarks' large databases): the cluster is made there when missing and started
   * again when present; `destroy()` stops it and keeps the folder. Default: a temporary folder, removed.
   */
  folder?: string;
  /** More server settings (`name=value`), e.g. memory for building large indexes. */
  settings?: readonly string[];
}

const EXTERNAL_URL_VARIABLE = 'GENSPAN_TEST_POSTGRES_URL';
const STARTUP_SECONDS = 60;

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const external = process.env[EXTERNAL_URL_VARIABLE];
  if (external) return externalServer(external);
  return ThrowawayCluster.create(options.durable ?? false, options.folder, options.settings ?? []);
}

/** A server a test may stop and restart, and what to call when the test is done with it. */
export interface StoppableServer {
  server: PostgresServer;
  release(): Promise<void>;
}

/**
 * `shared` when this process started it; otherwise (a server given by GENSPAN_TEST_POSTGRES_URL, which cannot be
 * stopped) a throwaway cluster of its own, removed by `release()`. Fails with the reason when that cannot start.
 */
export async function stoppableServer(shared: PostgresServer): Promise<StoppableServer> {
  if (shared.owned) return { server: shared, release: async () => {} };
  let cluster: ThrowawayCluster;
  try {
    cluster = await ThrowawayCluster.create(false);
  } catch (error) {
    throw new Error(
      `this test stops and restarts PostgreSQL, which it cannot do to the server given by ${EXTERNAL_URL_VARIABLE}, ` +
        `so it needs a throwaway cluster of its own, and that could not start: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { server: cluster, release: () => cluster.destroy() };
}

function externalServer(url: string): PostgresServer {
  const parsed = new URL(url);
  const notOwned = (what: string) => async () => {
    throw new Error(`cannot ${what} the PostgreSQL server given by ${EXTERNAL_URL_VARIABLE}; unset it to use a throwaway cluster`);
  };
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    owned: false,
    createDatabase: (prefix) => createDatabaseOn(url, prefix),
    stop: notOwned('stop'),
    start: notOwned('start'),
    restart: notOwned('restart'),
    destroy: async () => {},
  };
}

let databaseCounter = 0;

async function createDatabaseOn(url: string, prefix = 'genspan_test'): Promise<string> {
  databaseCounter += 1;
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${databaseCounter}`.toLowerCase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return databaseUrl.toString();
}

/** The directory holding `initdb` and `pg_ctl`, or an error naming where it looked. */
function findPostgresBinaries(): string {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of pathDirs) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(debianRoot, version, 'bin');
      if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
    }
  }
  throw new Error(
    `PostgreSQL binaries (initdb, pg_ctl) were not found on PATH or under ${debianRoot}/*/bin; ` +
      `install the postgresql package or set ${EXTERNAL_URL_VARIABLE}`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: as uid 0 the binaries run as the `postgres` user, which must own the folder. */
interface RunAs {
  wrap(command: string, args: string[]): { command: string; args: string[] };
  own(path: string): void;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function runAsForCurrentUser(): RunAs {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => ({ command, args }), own: () => {} };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('running as root, and there is no `postgres` user to run initdb as (initdb refuses root)');
  }
  const hasRunuser = spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error === undefined;
  return {
    wrap: (command, args) =>
      hasRunuser
        ? { command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] }
        : { command: 'su', args: ['postgres', '-c', [command, ...args].map(shellQuote).join(' ')] },
    own: (path) => chownSync(path, uid, gid),
  };
}

class ThrowawayCluster implements PostgresServer {
  readonly host = '127.0.0.1';
  readonly owned = true;
  private running = false;
  private readonly removeOnExit = () => this.destroySync();

  private constructor(
    private readonly binDir: string,
    private readonly runAs: RunAs,
    private readonly root: string,
    readonly port: number,
    private readonly durable: boolean,
    private readonly kept: boolean,
    private readonly settings: readonly string[],
  ) {
    process.once('exit', this.removeOnExit);
  }

  get url(): string {
    return `postgresql://postgres@${this.host}:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return join(this.root, 'data');
  }

  private get socketDir(): string {
    return join(this.root, 'socket');
  }

  private get logFile(): string {
    return join(this.root, 'server.log');
  }

  static async create(durable: boolean, folder?: string, settings: readonly string[] = []): Promise<ThrowawayCluster> {
    const binDir = findPostgresBinaries();
    const runAs = runAsForCurrentUser();
    const made = folder !== undefined && existsSync(join(folder, 'data', 'PG_VERSION'));
    const root = folder === undefined ? mkdtempSync(join(tmpdir(), 'genspan-pg-')) : resolve(folder);
    if (!made) {
      mkdirSync(join(root, 'socket'), { recursive: true });
      chmodSync(root, 0o755);
      runAs.own(root);
      runAs.own(join(root, 'socket'));
    }
    const cluster = new ThrowawayCluster(binDir, runAs, root, await freePort(), durable, folder !== undefined, settings);
    try {
      if (!made)
        await cluster.run('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
      await cluster.start();
    } catch (error) {
      cluster.destroySync();
      throw error;
    }
    return cluster;
  }

  private command(binary: string, args: string[]): { command: string; args: string[] } {
    return this.runAs.wrap(join(this.binDir, binary), args);
  }

  private failure(binary: string, args: string[], status: number | null, output: string): Error {
    const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
    return new Error(`${binary} ${args.join(' ')} failed (exit ${status}): ${output}\n${log}`);
  }

  /** Runs a PostgreSQL binary without blocking the event loop (tests keep exporting while the server stops). */
  private run(binary: string, args: string[]): Promise<void> {
    const { command, args: wrapped } = this.command(binary, args);
    return new Promise((resolve, reject) => {
      execFile(command, wrapped, { cwd: this.root, timeout: (STARTUP_SECONDS + 30) * 1000 }, (error, stdout, stderr) => {
        if (!error) return resolve();
        const status = typeof error.code === 'number' ? error.code : null;
        reject(
          status === null && !stderr
            ? new Error(`${binary} could not run: ${error.message}`)
            : this.failure(binary, args, status, stderr || stdout),
        );
      });
    });
  }

  private runSync(binary: string, args: string[]): void {
    const { command, args: wrapped } = this.command(binary, args);
    const result = spawnSync(command, wrapped, { encoding: 'utf8', cwd: this.root, timeout: (STARTUP_SECONDS + 30) * 1000 });
    if (result.error) throw new Error(`${binary} could not run: ${result.error.message}`);
    if (result.status !== 0) throw this.failure(binary, args, result.status, result.stderr || result.stdout);
  }

  async createDatabase(prefix?: string): Promise<string> {
    return createDatabaseOn(this.url, prefix);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const settings = [
      `-p ${this.port}`,
      `-k ${this.socketDir}`,
      `-c listen_addresses=${this.host}`,
      '-c max_connections=200',
      ...(this.durable ? [] : ['-c fsync=off', '-c full_page_writes=off', '-c synchronous_commit=off']),
      ...this.settings.map((setting) => `-c ${setting}`),
    ].join(' ');
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', String(STARTUP_SECONDS), '-o', settings, 'start']);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', String(STARTUP_SECONDS), 'stop']);
    this.running = false;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    process.removeListener('exit', this.removeOnExit);
    if (this.running) {
      await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      this.running = false;
    }
    if (!this.kept) rmSync(this.root, { recursive: true, force: true });
  }

  /** For process exit and failed setup, where nothing async can run any more. */
  private destroySync(): void {
    process.removeListener('exit', this.removeOnExit);
    if (this.running) {
      try {
        this.runSync('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone: removing the folder is all that is left to do.
      }
      this.running = false;
    }
    if (!this.kept) rmSync(this.root, { recursive: true, force: true });
  }
}
