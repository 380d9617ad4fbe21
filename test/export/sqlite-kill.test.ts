import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaygroundExporter } from '../../src/export/exporter.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { exportBatch, SpanFactory, SUCCESS, tempDir } from './support.js';

const root = resolve(import.meta.dirname, '../..');
// Inside the project so the compiled child resolves the project's node_modules.
const buildDir = join(root, 'node_modules', '.cache', `genspan-export-test-${process.pid}`);
const childScript = join(buildDir, 'test', 'export', 'fixtures', 'sqlite-writer.js');
const leftOpenScript = join(buildDir, 'test', 'export', 'fixtures', 'store-left-open.js');

/** Compiles the child processes (and what they import) with the project's TypeScript compiler. */
function buildChild(): void {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const args = ['--ignoreConfig', '--outDir', buildDir, '--rootDir', root, '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2023', '--skipLibCheck', '--types', 'node', '--esModuleInterop', '--noCheck');
  args.push(join(root, 'test', 'export', 'fixtures', 'sqlite-writer.ts'), join(root, 'test', 'export', 'fixtures', 'store-left-open.ts'));
  // The store's threads are started by URL, not imported, so they are named here (plain JavaScript, copied as they are).
  args.push('--allowJs', join(root, 'src', 'store', 'sqlite-write-thread.js'), join(root, 'src', 'store', 'sqlite-checkpoint-thread.js'));
  const result = spawnSync(tsc, args, { encoding: 'utf8', cwd: root });
  if (result.status !== 0) throw new Error(`compiling the child writer failed: ${result.stdout}${result.stderr}`);
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}');
}

/** Runs the writer until it has acknowledged `batches` batches, then SIGKILLs it; resolves with the acknowledged record ids. */
function runAndKill(path: string, batches: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [childScript, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let ackedBatches = 0;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        acked.push(...(JSON.parse(line) as string[]));
        ackedBatches++;
      }
      if (ackedBatches >= batches) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(acked);
      else reject(new Error(`the writer exited on its own (code ${code}): ${stderr}`));
    });
  });
}

/**
 * Runs a script and resolves once it has exited and its output is read ('close'), with that output. One still
 * running after 30 s is killed (SIGKILL), which the caller sees as the signal it exited on.
 */
function runToExit(
  script: string,
  ...args: string[]
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

describe('killing the SQLite writer with SIGKILL and reopening the file', () => {
  const dir = tempDir();
  beforeAll(() => buildChild(), 120_000);
  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
    dir.remove();
  });

  it('keeps every acknowledged batch, never half a batch, and a new writer carries on', async () => {
    const path = dir.file('killed.db');
    const firstRun = await runAndKill(path, 8);
    const secondRun = await runAndKill(path, 8);
    const acknowledged = [...firstRun, ...secondRun];
    expect(acknowledged.length).toBeGreaterThanOrEqual(800);

    const check = new Database(path, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = (check.prepare('SELECT count(*) AS n FROM genspan_generations').get() as { n: number }).n;
    check.close();
    // Each acknowledged export is one transaction of 50 records: a kill can lose only unacknowledged whole batches.
    expect(stored % 50).toBe(0);
    expect(stored).toBeGreaterThanOrEqual(acknowledged.length);

    const store = new SqliteStore({ path });
    try {
      for (const id of acknowledged) expect(await store.get(id), `record ${id}`).toBeDefined();
      const exporter = new PlaygroundExporter({ store });
      const spans = new SpanFactory();
      expect((await exportBatch(exporter, spans.llmSpans(30))).code).toBe(SUCCESS);
      await exporter.shutdown();
      const after = await store.list({ limit: 1 });
      expect(after.items).toHaveLength(1);
    } finally {
      await store.close();
    }
    const final = new Database(path, { readonly: true });
    expect((final.prepare('SELECT count(*) AS n FROM genspan_generations').get() as { n: number }).n).toBe(stored + 30);
    final.close();
  });

  it('lets a process that leaves its store open exit by itself, with its writes committed', async () => {
    const path = dir.file('left-open.db');
    const started = Date.now();
    const child = await runToExit(leftOpenScript, path);
    expect(child.signal, 'the process did not exit by itself').toBeNull();
    expect(child.code, child.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(child.stdout)).toEqual({ inserted: 25, duplicates: 0 });
    const check = new Database(path, { readonly: true });
    expect((check.prepare('SELECT count(*) AS n FROM genspan_generations').get() as { n: number }).n).toBe(25);
    check.close();
  });
});
