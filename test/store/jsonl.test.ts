import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { GenerationStore } from '../../src/store/types.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { chatData, completionData, makeRecord, manyRecords } from './fixtures.js';

let server: PostgresServer;
const folder = mkdtempSync(join(tmpdir(), 'genspan-jsonl-'));

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.destroy();
  rmSync(folder, { recursive: true, force: true });
});

async function exportToFile(store: GenerationStore, path: string): Promise<number> {
  const output = createWriteStream(path);
  const count = await store.exportJsonl(output);
  output.end();
  await finished(output);
  return count;
}

async function everything(store: GenerationStore): Promise<GenerationRecord[]> {
  const all: GenerationRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, cursor });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

describe('moving data between SQLite and PostgreSQL as JSON Lines', () => {
  it('SQLite -> PostgreSQL -> SQLite keeps every record and writes the same file both ways', async () => {
    const records = [
      ...manyRecords(1100, 1, (index) => Math.floor(index / 3) * 250),
      makeRecord({ span: 5000, statusCode: 2, generation: completionData({ prompt: 'Ünïcödé "quotes" \\ back\nslash', tags: ['x'] }) }),
      makeRecord({
        span: 5001,
        service: null,
        generation: chatData({ messages: [{ role: 'user', content: [{ type: 'text', text: '🙂' }] }] }),
      }),
    ];
    const sqlite = new SqliteStore({ path: join(folder, 'source.db') });
    await sqlite.write(records);
    const fromSqlite = join(folder, 'from-sqlite.jsonl');
    expect(await exportToFile(sqlite, fromSqlite)).toBe(records.length);

    const postgres = new PostgresStore({ connectionString: await server.createDatabase() });
    expect(await postgres.importJsonl(createReadStream(fromSqlite))).toEqual({ inserted: records.length, duplicates: 0 });
    const fromPostgres = join(folder, 'from-postgres.jsonl');
    expect(await exportToFile(postgres, fromPostgres)).toBe(records.length);
    expect(readFileSync(fromPostgres).equals(readFileSync(fromSqlite))).toBe(true);

    const sqliteAgain = new SqliteStore({ path: join(folder, 'target.db') });
    expect(await sqliteAgain.importJsonl(createReadStream(fromPostgres))).toEqual({ inserted: records.length, duplicates: 0 });

    const expected = await everything(sqlite);
    expect(expected).toHaveLength(records.length);
    expect(await everything(postgres)).toEqual(expected);
    expect(await everything(sqliteAgain)).toEqual(expected);
    expect((await postgres.list({ q: 'ünïcödé "quotes"' })).items.map((item) => item.id)).toEqual([records[1100].id]);

    await Promise.all([sqlite.close(), postgres.close(), sqliteAgain.close()]);
  });
});
