import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ChatGenerationData, GenerationSchema } from '../../src/generation/schema.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult, TranslationSource } from '../../src/translate/types.js';
import { FAKE_TOOL_ARGUMENTS, startFakeOpenAI } from '../support/fake-openai.js';
import { type CapturedScenarioJson, reviveLog, reviveSpan } from './revive.js';

/** What a capture script (test/translate/fixtures/*.mjs) printed for one scenario, revived. */
export interface CapturedScenario {
  spans: NormalizedSpan[];
  logs: NormalizedLogRecord[];
  /** The error the scenario's call threw, for failing calls. */
  error?: string;
}

export type Capture = Record<string, CapturedScenario>;

function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A fake provider a capture runs against: the base URL its script gets as `argv[2]`. */
export interface FakeProvider {
  baseURL: string;
  close(): Promise<void>;
}

/**
 * Runs a capture script in its own `node` process (so require-in-the-middle patches the client as in a real app)
 * against a fresh fake provider on 127.0.0.1 (OpenAI's unless `start` says), and returns its spans and log records
 * per scenario.
 * With GENSPAN_WRITE_BENCH_FIXTURES=1 the raw capture is also saved as bench/fixtures/<name>.json, the corpus
 * of bench/translate.bench.ts.
 */
export async function capture(
  name: string,
  start: () => Promise<FakeProvider> = () => startFakeOpenAI({ chunkDelayMs: 5 }),
): Promise<Capture> {
  const fake = await start();
  let stdout: string;
  try {
    stdout = await runNode(fileURLToPath(new URL(`./fixtures/${name}.mjs`, import.meta.url)), [fake.baseURL]);
  } finally {
    await fake.close();
  }
  const raw = JSON.parse(stdout) as Record<string, CapturedScenarioJson>;
  if (process.env.GENSPAN_WRITE_BENCH_FIXTURES === '1') {
    const directory = fileURLToPath(new URL('../../bench/fixtures/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}${name}.json`, JSON.stringify(raw, null, 1));
  }
  const out: Capture = {};
  for (const [scenario, value] of Object.entries(raw)) {
    out[scenario] = { spans: value.spans.map(reviveSpan), logs: value.logs.map(reviveLog), error: value.error };
  }
  return out;
}

/** The one span of a scenario whose name matches. */
export function spanNamed(scenario: CapturedScenario, name: string): NormalizedSpan {
  const found = scenario.spans.filter((span) => span.name === name);
  if (found.length !== 1)
    throw new Error(`expected one span named ${name}, found ${found.length} among ${scenario.spans.map((s) => s.name).join(', ')}`);
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

/**
 * Translates a scenario's one span (with its log records) and checks what every capture test expects of it: a
 * generation that fits the model, read as `source`, with no warnings unless `source` is left out.
 */
export function translateCaptured(scenario: CapturedScenario, source?: TranslationSource): TranslationResult {
  expect(scenario.spans).toHaveLength(1);
  const result = translateSpan(scenario.spans[0], scenario.logs);
  expect(result).not.toBeNull();
  expect(GenerationSchema.safeParse(result!.generation).success).toBe(true);
  if (source !== undefined) {
    expect(result!.source).toBe(source);
    expect(result!.warnings).toEqual([]);
  }
  return result!;
}

/** Every capture script's `chat` scenario (the harness's greeting) must come back as these messages and completion. */
export function expectGreetingChat(generation: { messages?: unknown; messageCompletion?: unknown }): void {
  expect(generation.messages).toEqual([
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello to Ada' },
  ]);
  expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Say hello to Ada' });
}

/** The fake Anthropic server's provider and model, as every Anthropic instrumentation records them. */
export const FAKE_ANTHROPIC = { provider: 'anthropic', model: 'claude-fake-4' } as const;

/**
 * The harnesses' `plain` scenario (one greeting, the fake server's usage) as an instrumentation records it: the
 * provider and model it names, the greeting and its reply, the usage, timed by its span.
 */
export function expectPlainCall(generation: ChatGenerationData, span: NormalizedSpan, expected: { provider: string; model: string }): void {
  expect(generation.type).toBe('CHAT');
  expect(generation.provider).toBe(expected.provider);
  expect(generation.model).toBe(expected.model);
  expect(generation.messages).toEqual([{ role: 'user', content: 'Say hello to Ada' }]);
  expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Say hello to Ada' });
  expect(generation.inputTokenCount).toBe(4);
  expect(generation.outputTokenCount).toBe(7);
  expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
  expect(generation.error).toBeNull();
}

/**
 * The harness's `toolResult` scenario's input: a question, the assistant's tool call, and the tool's answer; `id` is
 * the call's id (the Anthropic harness names it `toolu_1`).
 */
export function expectToolResultMessages(generation: { messages?: unknown }, id = 'call_1'): void {
  expect(generation.messages).toEqual([
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
    },
    { role: 'tool', content: 'Sunny, 21 C', tool_call_id: id },
  ]);
}

/** The weather tool every capture script declares, in the OpenAI shape the generation keeps whatever shape was sent. */
export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a location',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

/** The answer of a call with tools: the fake's call of the weather tool, with `id` as the fake named it. */
export function toolCallAnswer(id: string | undefined): unknown {
  const call = { type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } };
  return { role: 'assistant', content: null, tool_calls: [id === undefined ? call : { id, ...call }] };
}

/** The Anthropic harness's `parallelToolResults` input in the OpenAI shape: two tool calls, then one tool message each. */
export const PARALLEL_TOOL_MESSAGES = [
  { role: 'user', content: 'Weather in Paris and Rome?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
      { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
    ],
  },
  { role: 'tool', content: 'Sunny, 21 C', tool_call_id: 'toolu_1' },
  { role: 'tool', content: 'Rainy, 15 C', tool_call_id: 'toolu_2' },
];
