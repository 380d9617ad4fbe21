import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { GenerationRecord } from '../generation/record.js';
import { GenerationRecordSchema } from '../generation/record.js';
import type { WriteResult } from '../ingest/contract.js';
import { InvalidRecordError } from './errors.js';

/** Records per write transaction on import. */
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

/**
 * Writes pages of records as JSON Lines, one page per `write` call, waiting for `drain` whenever the stream
 * asks to (so a slow consumer never makes the whole store sit in memory). Leaves the stream open.
 */
export async function writeJsonl(output: Writable, pages: AsyncIterable<readonly GenerationRecord[]>): Promise<number> {
  let count = 0;
  for await (const page of pages) {
    if (page.length === 0) continue;
    if (output.destroyed || output.writableEnded) throw new Error('the output stream closed before the export finished');
    let text = '';
    for (const record of page) text += `${JSON.stringify(record)}\n`;
    count += page.length;
    if (!output.write(text)) await drained(output);
  }
  return count;
}

function parseLine(line: string, lineNumber: number): GenerationRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new InvalidRecordError(`JSON Lines line ${lineNumber}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = GenerationRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    throw new InvalidRecordError(`JSON Lines line ${lineNumber}: not a generation record (${issues.join('; ')})`);
  }
  return parsed.data;
}

/**
 * Reads JSON Lines as `writeJsonl` writes them and stores them in batches. The stream is pulled (async iteration),
 * so it is only read as fast as the store writes. Blank lines are skipped; a bad line stops the import with its
 * line number (batches before it stay stored).
 */
export async function readJsonl(
  input: Readable,
  write: (records: readonly GenerationRecord[]) => Promise<WriteResult>,
  batchSize = IMPORT_BATCH_SIZE,
): Promise<WriteResult> {
  const total: WriteResult = { inserted: 0, duplicates: 0 };
  const decoder = new StringDecoder('utf8');
  let batch: GenerationRecord[] = [];
  let pending = '';
  let lineNumber = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const result = await write(batch);
    batch = [];
    total.inserted += result.inserted;
    total.duplicates += result.duplicates;
  };
  const takeLine = async (line: string) => {
    lineNumber += 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    batch.push(parseLine(trimmed, lineNumber));
    if (batch.length >= batchSize) await flush();
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
