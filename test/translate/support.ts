import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../support/fake-openai.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../../src/translate/types.js';

/** What a capture script (test/translate/fixtures/*.mjs) printed for one scenario, revived. */
export interface CapturedScenario {
  spans: NormalizedSpan[];
  logs: NormalizedLogRecord[];
  /** The error the scenario's call threw, for failing calls. */
  error?: string;
}

export type Capture = Record<string, CapturedScenario>;

type Json = Record<string, any>;

export function reviveSpan(span: Json): NormalizedSpan {
  return {
    ...(span as NormalizedSpan),
    startTimeUnixNano: BigInt(span.startTimeUnixNano),
    endTimeUnixNano: BigInt(span.endTimeUnixNano),
    events: (span.events as Json[]).map((event) => ({ ...(event as NormalizedSpan['events'][number]), timeUnixNano: BigInt(event.timeUnixNano) })),
  };
}

export function reviveLog(record: Json): NormalizedLogRecord {
  return { ...(record as NormalizedLogRecord), timeUnixNano: BigInt(record.timeUnixNano) };
}

function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs a capture script in its own `node` process (so require-in-the-middle patches `openai` as in a real app)
 * against a fresh fake OpenAI server on 127.0.0.1, and returns its spans and log records per scenario.
 * With GENSPAN_WRITE_BENCH_FIXTURES=1 the raw capture is also saved as bench/fixtures/<name>.json, the corpus
 * of bench/translate.bench.ts.
 */
export async function capture(name: string): Promise<Capture> {
  const fake = await startFakeOpenAI({ chunkDelayMs: 5 });
  let stdout: string;
  try {
    stdout = await runNode(fileURLToPath(new URL(`./fixtures/${name}.mjs`, import.meta.url)), [fake.baseURL]);
  } finally {
    await fake.close();
  }
  const raw = JSON.parse(stdout) as Record<string, Json>;
  if (process.env.GENSPAN_WRITE_BENCH_FIXTURES === '1') {
    const directory = fileURLToPath(new URL('../../bench/fixtures/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}${name}.json`, JSON.stringify(raw, null, 1));
  }
  const out: Capture = {};
  for (const [scenario, value] of Object.entries(raw)) {
    out[scenario] = { spans: (value.spans as Json[]).map(reviveSpan), logs: (value.logs as Json[]).map(reviveLog), error: value.error };
  }
  return out;
}

/** The one span of a scenario whose name matches. */
export function spanNamed(scenario: CapturedScenario, name: string): NormalizedSpan {
  const found = scenario.spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length} among ${scenario.spans.map((s) => s.name).join(', ')}`);
  return found[0];
}

/** The span's own duration in seconds, as the translator must report it. */
export function spanSeconds(span: NormalizedSpan): number {
  return Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
}

/** Whitespace-separated word count: the fake server's token count. */
export function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
