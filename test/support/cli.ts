import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';

/** The built CLI: `npm test` builds first; running vitest alone needs `npm run build` beforehand. */
export const CLI_PATH = resolve('dist/src/cli/main.js');

export function requireBuild(path = CLI_PATH): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
  return path;
}

export function tempDir(prefix = 'genspan-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node script to completion, with an optional stdin text. */
export function runNode(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, GENSPAN_TOKEN: '', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in time; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return runNode(requireBuild(), args, options);
}

export interface CliServer {
  url: string;
  /** The OTLP/gRPC receiver as exporters take it (`http://host:port`), unless started with `--grpc-port off`. */
  grpcUrl?: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `genspan serve` as a child process and waits until it prints where it listens. */
export function startCliServer(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliServer> {
  // A free gRPC port too, so servers started side by side never compete for 4317 (a later --grpc-port wins).
  const child = spawn(process.execPath, [requireBuild(), 'serve', '--port', '0', '--grpc-port', '0', ...args], {
    env: { ...process.env, GENSPAN_TOKEN: '', ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`genspan serve did not start; stdout: ${stdout} stderr: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      // The banner ends with where the data goes.
      if (match && /storing into .*\n/.test(stdout)) {
        clearTimeout(timer);
        const grpc = /OTLP\/gRPC receiver\s+(\S+)/.exec(stdout);
        resolvePromise({
          url: match[1],
          grpcUrl: grpc ? `http://${grpc[1]}` : undefined,
          child,
          stdout: () => stdout,
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`genspan serve exited with ${code}; stdout: ${stdout} stderr: ${stderr}`));
    });
  });
}

/** Resolves once `text()` matches, checking as each chunk of `stream` arrives; the server's stderr is its own pipe. */
export function waitForOutput(stream: Readable, text: () => string, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(text())) return;
      stream.off('data', check);
      stream.off('end', ended);
      resolve();
    };
    const ended = () => reject(new Error(`the stream ended without ${pattern}; it held: ${text()}`));
    stream.on('data', check);
    stream.on('end', ended);
    check();
  });
}
