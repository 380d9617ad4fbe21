import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBuild, runNode } from '../support/cli.js';
import { manyRecords } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'genspan-sqlite-package-'));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The package's entry point as installed (package.json `exports`), built by `npm run build`. */
const PACKAGE_ENTRY = resolve('dist/src/index.js');
/** More records than ThreadSqliteWriter writes between two checkpoints (1024), in one write. */
const RECORDS = 1_100;
/** A WAL database file holds only its first page until a checkpoint copies the committed pages into it. */
const PAGE_BYTES = 4096;

/**
 * Writes the records read from stdin into the file named by its argument, through the package's SqliteStore, then
 * waits (store still open) until the checkpoint thread has copied them into the database file: nothing outside the
 * writer signals that, and closing would checkpoint by itself, so it watches the file's size, with a deadline.
 */
const CHILD_SCRIPT = `
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from ${JSON.stringify(pathToFileURL(PACKAGE_ENTRY).href)};

const path = process.argv[2];
let input = '';
for await (const chunk of process.stdin) input += chunk;
const store = new SqliteStore({ path });
const written = await store.write(JSON.parse(input));
const deadline = Date.now() + 20_000;
while (statSync(path).size <= ${PAGE_BYTES} && Date.now() < deadline) await sleep(20);
const bytesWhileOpen = statSync(path).size;
await store.close();
console.log(JSON.stringify({ written, bytesWhileOpen }));
`;

describe('SqliteStore from the built package', () => {
  it('writes through its write thread and checkpoints through its checkpoint thread, both started from dist', async () => {
    requireBuild(PACKAGE_ENTRY);
    const script = join(folder, 'write.mjs');
    writeFileSync(script, CHILD_SCRIPT);
    const path = join(folder, 'package.db');
    const records = manyRecords(RECORDS);

    const run = await runNode(script, [path], { input: JSON.stringify(records) });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const reported = JSON.parse(run.stdout) as { written: unknown; bytesWhileOpen: number };
    expect(reported.written).toEqual({ inserted: RECORDS, duplicates: 0 });
    expect(reported.bytesWhileOpen).toBeGreaterThan(PAGE_BYTES);
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) AS n FROM genspan_generations').get()).toEqual({ n: RECORDS });
    } finally {
      raw.close();
    }
  });
});
