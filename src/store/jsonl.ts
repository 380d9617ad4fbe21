import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { z } from 'zod';
import type { GenerationRecord } from '../generation/record.js';
import { GenerationRecordSchema } from '../generation/record.js';
import { type StepRecord, StepRecordSchema, type TraceThread, TraceThreadSchema } from '../generation/step-record.js';
import type { StepBatch, WriteResult } from '../ingest/contract.js';
import { InvalidRecordError } from './errors.js';
import type { ExportPage } from './types.js';

/** Rows per page of a store's export (`exportPages`). */
export const EXPORT_PAGE_SIZE = 500;

/** Lines (records, steps, threads) per write transaction on import. */
export const IMPORT_BATCH_SIZE = 500;

/** Resolves when `output` can take more, rejects if it fails or closes first. */
function drained(output: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      output.off('drain', onDrain);
      output.off('error', onError);
      output.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the output stream closed before the export finished'));
    };
    output.on('drain', onDrain);
    output.on('error', onError);
    output.on('close', onClose);
  });
}

/** The `kind` of step and thread lines; generation record lines have none, as they always had. */
const STEP_KIND = 'step';
const THREAD_KIND = 'thread';

/**
 * Writes pages as JSON Lines, one page per `write` call (records, then `{"kind":"step", ...}` and
 * `{"kind":"thread", ...}` lines), waiting for `drain` whenever the stream asks to (so a slow consumer never makes
 * the whole store sit in memory). Leaves the stream open; resolves with the count of records.
 */
export async function writeJsonl(output: Writable, pages: AsyncIterable<ExportPage>): Promise<number> {
  let count = 0;
  for await (const page of pages) {
    if (page.records.length + page.steps.length + page.threads.length === 0) continue;
    if (output.destroyed || output.writableEnded) throw new Error('the output stream closed before the export finished');
    let text = '';
    for (const record of page.records) text += `${JSON.stringify(record)}\n`;
    for (const step of page.steps) text += `${JSON.stringify({ kind: STEP_KIND, ...step })}\n`;
    for (const thread of page.threads) text += `${JSON.stringify({ kind: THREAD_KIND, ...thread })}\n`;
    count += page.records.length;
    if (!output.write(text)) await drained(output);
  }
  return count;
}

type Line = { kind: 'record'; record: GenerationRecord } | { kind: 'step'; step: StepRecord } | { kind: 'thread'; thread: TraceThread };

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string, lineNumber: number): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new InvalidRecordError(`JSON Lines line ${lineNumber}: not ${what} (${issues.join('; ')})`);
}

function parseLine(line: string, lineNumber: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new InvalidRecordError(`JSON Lines line ${lineNumber}: not valid JSON (${(error as Error).message})`);
  }
  const kind = typeof value === 'object' && value !== null && 'kind' in value ? value.kind : undefined;
  if (kind === undefined) return { kind: 'record', record: checked(GenerationRecordSchema, value, 'a generation record', lineNumber) };
  if (kind === STEP_KIND) return { kind: 'step', step: checked(StepRecordSchema, value, 'a step', lineNumber) };
  if (kind === THREAD_KIND) return { kind: 'thread', thread: checked(TraceThreadSchema, value, "a trace's thread", lineNumber) };
  throw new InvalidRecordError(
    `JSON Lines line ${lineNumber}: unknown kind ${JSON.stringify(kind)} (a generation record has none; "step" and "thread" are known)`,
  );
}

/**
 * Reads JSON Lines as `writeJsonl` writes them and stores them in batches of records and their steps and threads
 * (each line checked by its schema; files of records only, as older versions wrote, too). The stream is pulled
 * (async iteration), so it is only read as fast as the store writes. Blank lines are skipped; a bad line stops the
 * import with its line number (batches before it stay stored). Resolves with the records stored.
 */
export async function readJsonl(
  input: Readable,
  write: (records: readonly GenerationRecord[], steps: StepBatch) => Promise<WriteResult>,
  batchSize = IMPORT_BATCH_SIZE,
): Promise<WriteResult> {
  const total: WriteResult = { inserted: 0, duplicates: 0 };
  const decoder = new StringDecoder('utf8');
  let records: GenerationRecord[] = [];
  let steps: StepBatch = { steps: [], threads: [] };
  let pending = '';
  let lineNumber = 0;

  const flush = async () => {
    if (records.length + steps.steps.length + steps.threads.length === 0) return;
    const result = await write(records, steps);
    records = [];
    steps = { steps: [], threads: [] };
    total.inserted += result.inserted;
    total.duplicates += result.duplicates;
  };
  const takeLine = async (line: string) => {
    lineNumber += 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    const parsed = parseLine(trimmed, lineNumber);
    if (parsed.kind === 'record') records.push(parsed.record);
    else if (parsed.kind === 'step') steps.steps.push(parsed.step);
    else steps.threads.push(parsed.thread);
    if (records.length + steps.steps.length + steps.threads.length >= batchSize) await flush();
  };

  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
      await takeLine(pending.slice(start, newline));
      start = newline + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') await takeLine(pending);
  await flush();
  return total;
}
