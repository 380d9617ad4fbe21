import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type SqliteWriteOp, ThreadSqliteWriter } from '../../src/store/sqlite-writer.js';
import { DiagCapture } from '../export/support.js';
import { walIndex } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-sqlite-writer-'));
let fileCounter = 0;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const INSERT_ITEM = 0;
const COUNT_UP = 1;
const STATEMENTS = ['INSERT INTO items (id, text) VALUES (?, ?)', 'UPDATE counters SET n = n + 1 WHERE name = ?'];

/** A fresh WAL file with a table of unique ids and one counter, and a writer thread on it. */
function writerOnFreshFile(): { path: string; writer: ThreadSqliteWriter } {
  const path = join(folder, `writer-${++fileCounter}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
           CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
           INSERT INTO counters VALUES ('writes', 0);`);
  db.close();
  return {
    path,
    writer: new ThreadSqliteWriter({ path, busyTimeoutMs: 1_000, pragmas: ['synchronous = NORMAL'], statements: STATEMENTS }),
  };
}

function itemCount(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function* items(from: number, count: number): Generator<SqliteWriteOp> {
  for (let id = from; id < from + count; id++) yield [INSERT_ITEM, [id, `item ${id}`]];
}

describe('ThreadSqliteWriter', () => {
  it('runs a write of many chunks in one transaction and answers the rows changed per statement', async () => {
    const { path, writer } = writerOnFreshFile();
    const changes = await writer.transaction([...items(1, 1_000), [COUNT_UP, ['writes']], [COUNT_UP, ['no such counter']]]);
    expect(changes).toEqual([1_000, 1]);
    expect(itemCount(path)).toBe(1_000);
    await writer.close();
  });

  it('rolls back the whole write when one op fails, reporting the driver error with its code, and goes on', async () => {
    const { path, writer } = writerOnFreshFile();
    await writer.transaction(items(1, 10));
    // Item 5 exists: the failure comes in the second chunk, after the first was inserted.
    const error = await writer.transaction([...items(100, 40), ...items(5, 1)]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Database.SqliteError);
    expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(itemCount(path)).toBe(10);
    expect(await writer.transaction(items(100, 40))).toEqual([40, 0]);
    expect(itemCount(path)).toBe(50);
    await writer.close();
  });

  it('fails only the write whose ops cannot be built or handed over, rolling back what it sent', async () => {
    const { path, writer } = writerOnFreshFile();
    function* throwing(): Generator<SqliteWriteOp> {
      yield* items(1, 70);
      throw new Error('the record could not be built');
    }
    await expect(writer.transaction(throwing())).rejects.toThrow('the record could not be built');
    await expect(writer.transaction([...items(200, 3), [INSERT_ITEM, [300, () => 'not cloneable']]])).rejects.toThrow(
      /could not be cloned/,
    );
    expect(await writer.transaction(items(1, 5))).toEqual([5, 0]);
    expect(itemCount(path)).toBe(5);
    await writer.close();
  });

  it('finishes the writes handed over before close(), then refuses new ones', async () => {
    const { path, writer } = writerOnFreshFile();
    const pending = [writer.transaction(items(1, 500)), writer.transaction(items(501, 500))];
    await writer.close();
    expect(await Promise.all(pending)).toEqual([
      [500, 0],
      [500, 0],
    ]);
    await expect(writer.transaction(items(2_000, 1))).rejects.toThrow(/closed/);
    expect(itemCount(path)).toBe(1_000);
  });
});

describe('ThreadSqliteWriter background checkpoints', () => {
  it('checkpointed() resolves once the running checkpoint has copied every committed frame into the file', async () => {
    const { path, writer } = writerOnFreshFile();
    try {
      const text = 'x'.repeat(2_000);
      const ops: SqliteWriteOp[] = Array.from({ length: 1_100 }, (_, index) => [INSERT_ITEM, [index, text]]);
      await writer.transaction(ops);
      await writer.checkpointed();
      const wal = walIndex(path);
      expect(wal.frames).toBeGreaterThan(500);
      expect(wal.backfilled).toBe(wal.frames);
    } finally {
      await writer.close();
    }
  });

  it('reports a checkpoint that cannot run through the diagnostic logger instead of dropping it', async () => {
    const diag = new DiagCapture().install();
    const { path, writer } = writerOnFreshFile();
    try {
      await writer.transaction([[INSERT_ITEM, [0, 'first']]]);
      // The file is gone before the first checkpoint opens its connection: the write thread keeps its open file,
      // the checkpoint thread cannot open one.
      unlinkSync(path);
      const ops: SqliteWriteOp[] = Array.from({ length: 1_100 }, (_, index) => [INSERT_ITEM, [index + 1, 'more']]);
      await writer.transaction(ops);
      const line = await diag.logged(/background checkpoint of .* could not run/);
      expect(line.level).toBe('warn');
      expect(line.message).toContain(path);
    } finally {
      await writer.close();
      diag.uninstall();
    }
  });
});
