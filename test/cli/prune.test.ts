import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, parsePruneArgs, parseServeArgs, type ServeArgs, UsageError } from '../../src/cli/args.js';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepRecord } from '../../src/generation/step-record.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { chatData, makeRecord, makeStep, T0_MS, traceIdOf } from '../store/fixtures.js';
import { runCli, startCliServer, tempDir } from '../support/cli.js';

const folder = tempDir('genspan-prune-');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** 400 traces, one a minute from T0 + 1.5 min (each half a minute off the minute), ~2 KB of text each. */
async function fillFile(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  const records: GenerationRecord[] = [];
  const steps: StepRecord[] = [];
  for (let trace = 1; trace <= 400; trace++) {
    const atMs = trace * 60_000 + 30_000;
    const content = `${trace} `.repeat(500);
    records.push(makeRecord({ trace, span: trace, atMs, generation: chatData({ messages: [{ role: 'user', content }] }) }));
    steps.push(makeStep({ trace, span: trace, atMs, type: 'llm' }));
  }
  await store.writeWithSpans(records, new Map(), { steps, threads: [] });
  await store.close();
}

async function tracesIn(path: string): Promise<string[]> {
  const store = new SqliteStore({ path });
  try {
    return (await store.listTraces({ limit: 500 })).items.map((trace) => trace.traceId).sort();
  } finally {
    await store.close();
  }
}

describe('durations and retention options', () => {
  it('parses durations with one parser, and says what a bad one should look like', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['30', '30x', '-1d', '1.5d', '0d', 'd']) {
      expect(() => parseDuration(bad)).toThrow(
        new UsageError(`--retain must be a duration like 30d, 12h, 90m or 45s (units s, m, h, d, w), got "${bad}"`),
      );
    }
  });

  it('serve and prune take --retain and --max-size; prune needs one of them or --vacuum', () => {
    expect((parseServeArgs([], {}) as ServeArgs).retention).toBeUndefined();
    expect((parseServeArgs(['--retain', '30d', '--max-size', '5GB'], {}) as ServeArgs).retention).toEqual({
      retainMs: 30 * 86_400_000,
      maxBytes: 5 * 1024 ** 3,
    });
    expect((parseServeArgs(['--max-size', '500MB'], {}) as ServeArgs).retention).toEqual({
      retainMs: undefined,
      maxBytes: 500 * 1024 ** 2,
    });
    expect(() => parseServeArgs(['--max-size', 'lots'], {})).toThrow(/--max-size must be a size like/);
    expect(parsePruneArgs(['--retain', '12h', '--db', 'x.db'])).toMatchObject({ retention: { retainMs: 12 * 3_600_000 }, vacuum: false });
    expect(parsePruneArgs(['--vacuum'])).toMatchObject({ retention: {}, vacuum: true });
    expect(() => parsePruneArgs(['--db', 'x.db'])).toThrow(/genspan prune needs --retain DURATION, --max-size SIZE or --vacuum/);
  });
});

describe('genspan prune', () => {
  let path: string;
  beforeAll(async () => {
    path = join(folder, 'prune.db');
    await fillFile(path);
  });

  it('--retain deletes what is older, prints what it deleted, and leaves the rest', async () => {
    // Keep what is younger than T0 + 200 min: the first 199 traces end before it.
    const retainSeconds = Math.floor((Date.now() - T0_MS) / 1000) - 200 * 60;
    const result = await runCli(['prune', '--retain', `${retainSeconds}s`, '--db', path]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^genspan prune: SQLite ${path}: deleted 199 generations, 199 steps, 0 kept spans, 0 log records, 199 traces, 0 threads ` +
          'in \\d+ batches',
      ),
    );
    expect(await tracesIn(path)).toEqual(Array.from({ length: 201 }, (_, index) => traceIdOf(200 + index)));
  });

  it('--max-size deletes the oldest until the file is within it, and --vacuum compacts it', async () => {
    const result = await runCli(['prune', '--max-size', '200KiB', '--vacuum', '--db', path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deleted \d+ generations/);
    expect(result.stdout).toContain('vacuumed');
    const left = await tracesIn(path);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(201);
    // The newest are the ones kept.
    expect(left).toEqual(Array.from({ length: left.length }, (_, index) => traceIdOf(401 - left.length + index)));
    const store = new SqliteStore({ path });
    expect(await store.storageBytes()).toBeLessThanOrEqual(200 * 1024 * 1.1);
    await store.close();
  });

  it('refuses a bad duration or a missing file with one line', async () => {
    const bad = await runCli(['prune', '--retain', '30 days', '--db', path]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('genspan: --retain must be a duration like 30d, 12h, 90m or 45s (units s, m, h, d, w), got "30 days"\n');
    const missing = await runCli(['prune', '--retain', '1d', '--db', join(folder, 'none.db')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no database at');
  });
});

describe('genspan serve --retain', () => {
  it('deletes old data once ready, logs what it deleted, says so in its banner, and stops cleanly', async () => {
    const path = join(folder, 'serve.db');
    await fillFile(path);
    // Everything in the file is months old: a day's window deletes all of it.
    const server = await startCliServer(['--db', path, '--retain', '1d', '--max-size', '1GB']);
    try {
      const logged = await new Promise<string>((resolve) => {
        const look = () => {
          const line = server
            .stderr()
            .split('\n')
            .find((text) => text.includes('retention: deleted'));
          if (line) {
            server.child.stderr?.off('data', look);
            resolve(line);
          }
        };
        server.child.stderr?.on('data', look);
        look();
      });
      expect(logged).toMatch(
        / INFO +retention: deleted 400 generations, 400 steps, 0 kept spans, 0 log records, 400 traces, 0 threads in \d+ batches/,
      );
      expect(server.stdout()).toContain('retention           keeps 1d, at most 1GiB, checked every minute');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(await tracesIn(path)).toEqual([]);
  });
});
