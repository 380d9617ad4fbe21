import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { shippedPriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import type { StepRecord } from '../generation/step-record.js';
import type { StepBatch, WriteResult } from '../ingest/contract.js';
import { withCost } from '../ingest/cost.js';
import { errorMessage } from '../ingest/diagnostics.js';
import {
  ForeignDataError,
  type ForeignStep,
  type ForeignThread,
  foreignKind,
  fromChainlitStep,
  fromLiteralStep,
  fromLiteralThread,
  type ImportedSteps,
  importForeignSteps,
  literalStepOfRecord,
  literalThreads,
  literalTraceSteps,
} from '../ingest/literal.js';
import { readPriceFile } from '../ingest/prices.js';
import { IMPORT_BATCH_SIZE, readJsonl } from '../store/jsonl.js';
import type { PlaygroundStore } from '../store/types.js';
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

/** What `export --format literal` writes: how many generations, steps and threads. */
interface LiteralCounts {
  generations: number;
  steps: number;
  threads: number;
}

/**
 * The store as Literal AI dictionaries, a page of JSON Lines at a time: records without a step as `llm` steps as the
 * records pages come; each trace's steps once all are read (the store gives them trace by trace), with their own
 * generations and their thread looked up; then a thread dictionary per thread. Memory holds one trace at a time.
 */
async function* literalPages(store: PlaygroundStore, counts: LiteralCounts): AsyncGenerator<string> {
  const lines = (items: readonly object[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');
  let trace: StepRecord[] = [];
  const traceLines = async (): Promise<string> => {
    if (trace.length === 0) return '';
    const steps = trace;
    trace = [];
    const own = steps.filter((step) => step.generationId === step.id).map((step) => step.id);
    const records = own.length > 0 ? await store.getMany(own) : new Map<string, GenerationRecord>();
    counts.steps += steps.length;
    counts.generations += records.size;
    return lines(literalTraceSteps(steps, records, await store.threadOfTrace(steps[0].traceId)));
  };
  const seenThreads = new Set<string>();
  for await (const page of store.exportPages()) {
    if (page.records.length > 0) {
      const links = await store.stepLinks([...new Set(page.records.map((record) => record.traceId))]);
      const alone = page.records.filter((record) => !(links.get(record.traceId) ?? []).some((link) => link.spanId === record.spanId));
      counts.steps += alone.length;
      counts.generations += alone.length;
      yield lines(alone.map(literalStepOfRecord));
    }
    let text = '';
    for (const step of page.steps) {
      if (trace.length > 0 && trace[0].traceId !== step.traceId) text += await traceLines();
      trace.push(step);
    }
    if (page.threads.length > 0) {
      text += await traceLines();
      const threads = literalThreads(page.threads, seenThreads);
      counts.threads += threads.length;
      text += lines(threads);
    }
    yield text;
  }
  yield await traceLines();
}

/** Writes text pages, waiting for `drain` when the stream asks to, so a slow reader never holds the store in memory. */
async function writePages(output: Writable, pages: AsyncIterable<string>): Promise<void> {
  for await (const text of pages) {
    if (text === '') continue;
    if (output.destroyed || output.writableEnded) throw new Error('the output stream closed before the export finished');
    if (!output.write(text)) await once(output, 'drain');
  }
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
    let summary: string;
    if (args.format === 'literal') {
      const counts: LiteralCounts = { generations: 0, steps: 0, threads: 0 };
      await writePages(counter, literalPages(store, counts));
      summary = `exported ${counts.steps} steps (${counts.generations} with a generation) and ${counts.threads} threads as Literal AI data`;
    } else {
      summary = `exported ${await store.exportJsonl(counter)} generation records`;
    }
    counter.end();
    if (output !== process.stdout) await finished(output);
    else await new Promise<void>((resolve) => (counter.writableFinished ? resolve() : counter.once('finish', () => resolve())));
    if (showProgress) process.stderr.write('\r');
    io.err(`${summary} from ${description}${args.output ? ` to ${args.output}` : ''}`);
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

/** What a JSON Lines line of genspan's own export is: a generation record, or a `{"kind": "step" | "thread"}` line. */
function isGenspanLine(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const line = value as Record<string, unknown>;
  return line.kind === 'step' || line.kind === 'thread' || (typeof line.spanId === 'string' && typeof line.source === 'string');
}

/** The input, its first bytes read to tell its format, and a stream that gives it all again. */
interface SniffedInput {
  format: 'genspan' | 'foreign';
  stream: Readable;
  /** The whole text, when reading it whole was needed to tell. */
  text?: string;
}

/**
 * Tells genspan's JSON Lines (streamed, as large as a store) from Literal AI or Chainlit data (a JSON array or object,
 * or JSON Lines of step or thread dictionaries, read whole) by the first line. A first line that is not JSON is
 * Literal's JSON spread over lines when the whole input parses, else genspan's JSON Lines (whose reader reports it).
 */
async function sniff(input: Readable): Promise<SniffedInput> {
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const decoder = new StringDecoder('utf8');
  const seen: (Buffer | string)[] = [];
  let text = '';
  let done = false;
  while (!done && !/\S[^\n]*\n/.test(text)) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      text += decoder.end();
    } else {
      seen.push(next.value);
      text += typeof next.value === 'string' ? next.value : decoder.write(next.value);
    }
  }
  async function* replay(): AsyncGenerator<Buffer | string> {
    yield* seen;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const firstLine =
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? '';
  if (firstLine.startsWith('[')) return { format: 'foreign', stream: Readable.from(replay()) };
  try {
    const value: unknown = JSON.parse(firstLine);
    return { format: isGenspanLine(value) || foreignKind(value) === null ? 'genspan' : 'foreign', stream: Readable.from(replay()) };
  } catch {
    if (!firstLine.startsWith('{')) return { format: 'genspan', stream: Readable.from(replay()) };
    const whole = await readAll(Readable.from(replay()));
    try {
      JSON.parse(whole);
      return { format: 'foreign', stream: Readable.from([whole]), text: whole };
    } catch {
      return { format: 'genspan', stream: Readable.from([whole]) };
    }
  }
}

async function readAll(input: Readable): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
  return text + decoder.end();
}

/** The Literal AI or Chainlit items of a file: a JSON array, a paginated `{data: [...]}`, one object, or JSON Lines. */
function foreignItems(text: string): { label: string; value: unknown }[] {
  let whole: unknown;
  let parsedWhole = true;
  try {
    whole = JSON.parse(text);
  } catch {
    parsedWhole = false;
  }
  if (parsedWhole) {
    const list = Array.isArray(whole)
      ? whole
      : typeof whole === 'object' && whole !== null && Array.isArray((whole as { data?: unknown }).data)
        ? (whole as { data: unknown[] }).data
        : [whole];
    return list.map((value, index) => ({ label: `item ${index + 1}`, value }));
  }
  const items: { label: string; value: unknown }[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      items.push({ label: `line ${index + 1}`, value: JSON.parse(line) });
    } catch (error) {
      throw new ForeignDataError(`line ${index + 1}: not valid JSON (${(error as Error).message})`);
    }
  });
  return items;
}

/** Reads Literal AI threads and steps and Chainlit steps into genspan's steps, records and threads. */
export function readForeign(text: string): ImportedSteps & { origins: Set<string> } {
  const steps: ForeignStep[] = [];
  const threads: ForeignThread[] = [];
  const origins = new Set<string>();
  for (const { label, value } of foreignItems(text)) {
    switch (foreignKind(value)) {
      case 'literal-thread': {
        const read = fromLiteralThread(value, `${label} (Literal thread)`);
        threads.push(read.thread);
        steps.push(...read.steps);
        origins.add('Literal AI');
        break;
      }
      case 'literal-step':
        steps.push(fromLiteralStep(value, `${label} (Literal step)`));
        origins.add('Literal AI');
        break;
      case 'chainlit-step':
        steps.push(fromChainlitStep(value, `${label} (Chainlit step)`));
        origins.add('Chainlit');
        break;
      default:
        throw new ForeignDataError(
          `${label}: neither a Literal AI thread or step, a Chainlit step, nor a genspan record (a file holds one kind of data)`,
        );
    }
  }
  return { ...importForeignSteps(steps, threads), origins };
}

/** Steps per write transaction, with their traces' records and threads: a trace is never split across two. */
function* traceBatches(imported: ImportedSteps): Generator<{ records: GenerationRecord[]; batch: StepBatch }> {
  const byTrace = new Map<string, { records: GenerationRecord[]; batch: StepBatch }>();
  const of = (traceId: string) => {
    let entry = byTrace.get(traceId);
    if (!entry) {
      entry = { records: [], batch: { steps: [], threads: [] } };
      byTrace.set(traceId, entry);
    }
    return entry;
  };
  for (const record of imported.records) of(record.traceId).records.push(record);
  for (const step of imported.steps) of(step.traceId).batch.steps.push(step);
  for (const thread of imported.threads) of(thread.traceId).batch.threads.push(thread);
  let current: { records: GenerationRecord[]; batch: StepBatch } = { records: [], batch: { steps: [], threads: [] } };
  for (const entry of byTrace.values()) {
    current.records.push(...entry.records);
    current.batch.steps.push(...entry.batch.steps);
    current.batch.threads.push(...entry.batch.threads);
    if (current.batch.steps.length >= IMPORT_BATCH_SIZE) {
      yield current;
      current = { records: [], batch: { steps: [], threads: [] } };
    }
  }
  if (current.batch.steps.length > 0) yield current;
}

/**
 * `genspan import FILE`: genspan's JSON Lines, or Literal AI / Chainlit data, into a store, idempotently. The store is
 * opened when the first batch has been read, so input that fails on its first lines leaves no new, empty database
 * file behind. A failure says how many records were stored before it (batches are committed as they go), or that
 * nothing was.
 */
export async function importRecords(args: ImportArgs, io: CliIO): Promise<number> {
  const prices = args.prices === undefined ? shippedPriceTable() : readPriceFile(args.prices);
  const input = openInput(args.file);
  let opened: OpenedStore | undefined;
  const stored: WriteResult = { inserted: 0, duplicates: 0 };
  let foreign: { steps: number; threads: number; origins: Set<string> } | undefined;
  try {
    const sniffed = await sniff(input);
    if (sniffed.format === 'genspan') {
      await readJsonl(sniffed.stream, async (records, steps) => {
        opened ??= await openStore(args.store);
        const result = await opened.store.write(
          records.map((record) => withCost(record, prices)),
          steps,
        );
        stored.inserted += result.inserted;
        stored.duplicates += result.duplicates;
        return result;
      });
    } else {
      const imported = readForeign(sniffed.text ?? (await readAll(sniffed.stream)));
      const threadIds = new Set(imported.threads.map((thread) => thread.threadId));
      foreign = { steps: imported.steps.length, threads: threadIds.size, origins: imported.origins };
      for (const { records, batch } of traceBatches(imported)) {
        opened ??= await openStore(args.store);
        const result = await opened.store.writeWithSpans(
          records.map((record) => withCost(record, prices)),
          new Map(),
          batch,
        );
        stored.inserted += result.inserted;
        stored.duplicates += result.duplicates;
      }
    }
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
  const from = foreign ? ` from ${[...foreign.origins].join(' and ')} data` : '';
  const steps = foreign ? ` and ${foreign.steps} steps of ${foreign.threads} threads` : '';
  io.out(
    `imported ${stored.inserted} generation records${steps}${from} into ${opened.description}` +
      (stored.duplicates > 0 ? ` (${stored.duplicates} already there)` : ''),
  );
  return 0;
}
