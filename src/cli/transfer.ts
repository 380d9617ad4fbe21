import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { type Readable, Transform, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { shippedPriceTable } from '../generation/prices.js';
import type { WriteResult } from '../ingest/contract.js';
import { withCost } from '../ingest/cost.js';
import { errorMessage } from '../ingest/diagnostics.js';
import { readPriceFile } from '../ingest/prices.js';
import { readJsonl } from '../store/jsonl.js';
import type { ExportArgs, ImportArgs } from './args.js';
import type { CliIO } from './serve.js';
import { CliError, type OpenedStore, openStore } from './stores.js';

const NEWLINE = 0x0a;
const PROGRESS_INTERVAL_MS = 250;

/** Counts the JSON Lines passing through, for progress on a terminal. */
function lineCounter(onCount: (lines: number) => void): Transform {
  let lines = 0;
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let index = buffer.indexOf(NEWLINE); index !== -1; index = buffer.indexOf(NEWLINE, index + 1)) lines++;
      onCount(lines);
      callback(null, buffer);
    },
  });
}

async function openOutput(path: string | undefined): Promise<Writable> {
  if (path === undefined) return process.stdout;
  const output = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    output.once('open', () => resolve());
    output.once('error', (error) =>
      reject(new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)),
    );
  });
  return output;
}

/** `genspan export`: every record as JSON Lines to a file or stdout; progress on stderr when it is a terminal. */
export async function exportRecords(args: ExportArgs, io: CliIO, showProgress = Boolean(process.stderr.isTTY)): Promise<number> {
  const { store, description } = await openStore(args.store, { mustExist: true });
  try {
    const output = await openOutput(args.output);
    let lastShown = 0;
    const counter = lineCounter((lines) => {
      const now = Date.now();
      if (showProgress && now - lastShown >= PROGRESS_INTERVAL_MS) {
        lastShown = now;
        process.stderr.write(`\rexported ${lines} records...`);
      }
    });
    counter.pipe(output, { end: output !== process.stdout });
    const count = await store.exportJsonl(counter);
    counter.end();
    if (output !== process.stdout) await finished(output);
    else await new Promise<void>((resolve) => (counter.writableFinished ? resolve() : counter.once('finish', () => resolve())));
    if (showProgress) process.stderr.write('\r');
    io.err(`exported ${count} generation records from ${description}${args.output ? ` to ${args.output}` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}

function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`);
  return createReadStream(file);
}

/**
 * `genspan import FILE`: JSON Lines into a store, idempotently. The store is opened when the first batch of records
 * has been read, so input that fails on its first lines leaves no new, empty database file behind. A failure says
 * how many records were stored before it (batches are committed as they go), or that nothing was.
 */
export async function importRecords(args: ImportArgs, io: CliIO): Promise<number> {
  const prices = args.prices === undefined ? shippedPriceTable() : readPriceFile(args.prices);
  const input = openInput(args.file);
  let opened: OpenedStore | undefined;
  const stored: WriteResult = { inserted: 0, duplicates: 0 };
  try {
    await readJsonl(input, async (records, steps) => {
      opened ??= await openStore(args.store);
      const priced = records.map((record) => withCost(record, prices));
      const result = await opened.store.write(priced, steps);
      stored.inserted += result.inserted;
      stored.duplicates += result.duplicates;
      return result;
    });
  } catch (error) {
    // First, so it survives the one-line report whatever the reason says.
    const written = stored.inserted + stored.duplicates;
    const outcome = written === 0 ? 'nothing was imported' : `the import stopped after storing ${written} records`;
    throw new CliError(`${outcome}: ${errorMessage(error)}`, { cause: error });
  } finally {
    input.destroy();
    await opened?.store.close();
  }
  if (!opened) {
    io.out(`nothing to import: ${args.file === '-' ? 'standard input' : args.file} holds no records`);
    return 0;
  }
  io.out(
    `imported ${stored.inserted} generation records into ${opened.description}` +
      (stored.duplicates > 0 ? ` (${stored.duplicates} already there)` : ''),
  );
  return 0;
}
