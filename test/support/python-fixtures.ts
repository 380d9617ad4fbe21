import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isGenerationLog } from '../../src/ingest/ingest.js';
import { decodeLogsRequestJson, decodeTraceRequestJson } from '../../src/otlp/index.js';
import { isGenerationSpan, translateSpan } from '../../src/translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from '../../src/translate/types.js';

/**
 * The Python instrumentations' fixtures (scripts/capture-python): per label and scenario, one OTLP JSON file holding
 * `{"traces": ExportTraceServiceRequest, "logs": ExportLogsServiceRequest}` as the instrumentation emitted them.
 */
export const PYTHON_FIXTURES = fileURLToPath(new URL('../translate/fixtures/python/', import.meta.url));

export interface PythonFixture {
  /** The two request bodies, as the Collector would forward them. */
  traces: string;
  logs: string;
  spans: NormalizedSpan[];
  records: NormalizedLogRecord[];
}

export function pythonLabels(): string[] {
  return readdirSync(PYTHON_FIXTURES).sort();
}

export function pythonScenarios(label: string): string[] {
  return readdirSync(`${PYTHON_FIXTURES}${label}`)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

export function pythonFixture(label: string, scenario: string): PythonFixture {
  const file = JSON.parse(readFileSync(`${PYTHON_FIXTURES}${label}/${scenario}.json`, 'utf8')) as { traces: unknown; logs: unknown };
  const traces = JSON.stringify(file.traces);
  const logs = JSON.stringify(file.logs);
  return { traces, logs, spans: decodeTraceRequestJson(traces).spans, records: decodeLogsRequestJson(logs).records };
}

/** Each LLM span of a fixture translated with its GenAI log records, as the ingest joins them, in start order. */
export function translateFixture(fixture: PythonFixture): { span: NormalizedSpan; result: TranslationResult }[] {
  const logs = fixture.records.filter(isGenerationLog);
  return fixture.spans
    .filter(isGenerationSpan)
    .sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1))
    .map((span) => {
      const own = logs.filter((record) => record.traceId === span.traceId && record.spanId === span.spanId);
      return { span, result: translateSpan(span, own) as TranslationResult };
    });
}

/** The fields a generation is checked for: what the issue lists, and what already came through. */
export const FIELDS = ['messages', 'completion', 'model', 'provider', 'usage', 'settings', 'tools', 'ttft', 'error', 'duration'] as const;
export type Field = (typeof FIELDS)[number];

/** What one LLM call of a scenario must come back as (scripts/capture-python/fake_openai.py answers deterministically). */
export interface ExpectedCall {
  messages: unknown[];
  /** The answer; undefined for a failing call. */
  completion?: unknown;
  model: string;
  /** Input and output tokens (the fake counts words). */
  usage?: [number, number];
  /** Settings the call was made with (a subset of what is read). */
  settings?: Record<string, unknown>;
  /** Names of the tools offered. */
  tools?: string[];
  /** A streamed call, which has a time to first token. */
  streamed?: boolean;
  failed?: boolean;
}

const SYSTEM = { role: 'system', content: 'You are terse.' };
const GREETING = { role: 'user', content: 'Say hello to Ada' };
const WEATHER = { role: 'user', content: 'Weather in Paris?' };
const TOOL_ARGUMENTS = '{"location":"Paris"}';
const answer = (prompt: string) => ({ role: 'assistant', content: `Fake reply to: ${prompt}` });
const toolCall = (id: string) => ({ id, type: 'function', function: { name: 'get_weather', arguments: TOOL_ARGUMENTS } });
const callingAnswer = { role: 'assistant', content: null, tool_calls: [toolCall('call_fake_1')] };
const calledBefore = (id: string) => [
  { role: 'assistant', content: null, tool_calls: [toolCall(id)] },
  { role: 'tool', content: 'Sunny, 21 C', tool_call_id: id },
];
const MODEL = 'gpt-4o-mini';
const FAILING: ExpectedCall = { messages: [{ role: 'user', content: 'This call fails' }], model: 'fail-model', failed: true };

/** The Chat Completions scenarios (capture.py `chat_scenarios`). */
const CHAT_CALLS: Record<string, ExpectedCall[]> = {
  chat: [
    {
      messages: [SYSTEM, GREETING],
      completion: answer('Say hello to Ada'),
      model: MODEL,
      usage: [7, 7],
      settings: { temperature: 0.2, max_tokens: 64 },
    },
  ],
  stream: [
    {
      messages: [{ role: 'user', content: 'Stream a greeting' }],
      completion: answer('Stream a greeting'),
      model: MODEL,
      usage: [3, 6],
      streamed: true,
    },
  ],
  tools: [{ messages: [WEATHER], completion: callingAnswer, model: MODEL, usage: [3, 1], tools: ['get_weather'] }],
  'tool-result': [
    {
      messages: [WEATHER, ...calledBefore('call_1')],
      completion: answer('Sunny, 21 C'),
      model: MODEL,
      usage: [6, 6],
      tools: ['get_weather'],
    },
  ],
  fail: [{ ...FAILING, settings: { temperature: 0.5 } }],
  responses: [
    { messages: [SYSTEM, GREETING], completion: answer('Say hello to Ada'), model: MODEL, usage: [7, 7], settings: { temperature: 0.2 } },
  ],
};

/** pydantic-ai's agent runs; its tool scenario is two calls, the second with the tool's result. */
const PYDANTIC_AI_CALLS: Record<string, ExpectedCall[]> = {
  chat: CHAT_CALLS.chat,
  stream: CHAT_CALLS.stream,
  tools: [
    { messages: [WEATHER], completion: callingAnswer, model: MODEL, usage: [3, 1], tools: ['get_weather'] },
    {
      messages: [WEATHER, ...calledBefore('call_fake_1')],
      completion: answer('Sunny, 21 C'),
      model: MODEL,
      usage: [6, 6],
      tools: ['get_weather'],
    },
  ],
  fail: [FAILING],
};

/** The Agents SDK's runs (Responses API; the agent's instructions are the system message). */
const AGENTS_CALLS: Record<string, ExpectedCall[]> = {
  run: [
    { messages: [SYSTEM, GREETING], completion: answer('Say hello to Ada'), model: MODEL, usage: [7, 7], settings: { temperature: 0.2 } },
  ],
  streamed: [{ messages: [SYSTEM, GREETING], completion: answer('Say hello to Ada'), model: MODEL, usage: [7, 7], streamed: true }],
  tools: [
    { messages: [SYSTEM, WEATHER], completion: callingAnswer, model: MODEL, usage: [6, 1], tools: ['get_weather'] },
    {
      messages: [SYSTEM, WEATHER, ...calledBefore('call_fake_1')],
      completion: answer('Sunny, 21 C'),
      model: MODEL,
      usage: [6, 6],
      tools: ['get_weather'],
    },
  ],
  fail: [FAILING],
};

/** The calls each scenario of a label made, in order. */
export function expectedCalls(label: string, scenario: string): ExpectedCall[] {
  const table = label === 'pydantic-ai' ? PYDANTIC_AI_CALLS : label === 'openai-agents' ? AGENTS_CALLS : CHAT_CALLS;
  const calls = table[scenario];
  if (!calls) throw new Error(`no expectation for ${label}/${scenario}`);
  return calls;
}

/** The fields a call is checked for: a failing call has no answer, usage or tools; only a stream has a TTFT. */
export function applicableFields(call: ExpectedCall): Field[] {
  return FIELDS.filter((field) => {
    if (field === 'completion' || field === 'usage') return !call.failed;
    if (field === 'settings') return call.settings !== undefined;
    if (field === 'tools') return call.tools !== undefined;
    if (field === 'ttft') return call.streamed === true;
    if (field === 'error') return call.failed === true;
    return true;
  });
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether a field of the generation came through as the call made it. */
export function cameThrough(generation: Record<string, unknown>, call: ExpectedCall, field: Field): boolean {
  const duration = generation.duration;
  switch (field) {
    case 'messages':
      return sameJson(generation.messages, call.messages);
    case 'completion':
      return sameJson(generation.messageCompletion, call.completion);
    case 'model':
      return generation.model === call.model;
    case 'provider':
      return generation.provider === 'openai';
    case 'usage': {
      const [input, output] = call.usage ?? [];
      return generation.inputTokenCount === input && generation.outputTokenCount === output && generation.tokenCount === input! + output!;
    }
    case 'settings': {
      const settings = (generation.settings ?? {}) as Record<string, unknown>;
      return Object.entries(call.settings ?? {}).every(([key, value]) => settings[key] === value);
    }
    case 'tools': {
      const tools = (generation.tools ?? []) as { function?: { name?: string; parameters?: { properties?: object } } }[];
      return (
        sameJson(
          tools.map((tool) => tool.function?.name),
          call.tools,
        ) && tools.every((tool) => tool.function?.parameters?.properties !== undefined)
      );
    }
    case 'ttft': {
      const ttft = generation.ttFirstToken;
      return typeof ttft === 'number' && typeof duration === 'number' && ttft > 0 && ttft <= duration * 1000;
    }
    case 'error':
      return typeof generation.error === 'string' && generation.error.includes('The fake model failed on purpose');
    case 'duration':
      return typeof duration === 'number' && duration > 0;
  }
}

/**
 * What each instrumentation does not emit at all, so no reader can bring it back (docs/reference-additions.md,
 * "Python instrumentations"): `label/scenario` (or `label/scenario#call`) → the fields that stay missing.
 */
export const NOT_EMITTED: Record<string, readonly Field[]> = {
  // opentelemetry-instrumentation-openai-v2 2.4b0 records no tool definitions and no time to first token.
  ...Object.fromEntries(
    ['otel-v2-events', 'otel-v2-span', 'otel-v2-latest-events'].flatMap((label) => [
      [`${label}/tools`, ['tools']],
      [`${label}/tool-result`, ['tools']],
      [`${label}/stream`, ['ttft']],
    ]),
  ),
  // OpenLLMetry 0.62.1 in events mode: no tool definitions; the stream's `gen_ai.choice` record is emitted outside the
  // span (no trace or span id, so nothing joins it); the tool message's body has no `id`.
  'openllmetry-events/tools': ['tools'],
  'openllmetry-events/tool-result': ['tools', 'messages'],
  'openllmetry-events/stream': ['completion'],
  // Logfire 4.41: a stream's request and answer are two spans in two traces, and neither times the first token.
  'logfire/stream': ['ttft'],
  // openlit 1.45: a failed call's span has neither the messages nor the settings; an assistant message with tool calls
  // and no text is left out of `gen_ai.input.messages`.
  'openlit/fail': ['messages', 'settings'],
  'openlit/tool-result': ['messages'],
  // langfuse 4.14.3's OpenAI wrapper records no provider.
  ...Object.fromEntries(['chat', 'stream', 'tools', 'tool-result', 'fail'].map((scenario) => [`langfuse/${scenario}`, ['provider']])),
  // pydantic-ai 2.33: a failed request's span has no messages (only the agent span's `pydantic_ai.all_messages`).
  'pydantic-ai/fail': ['messages'],
  // openinference-instrumentation-openai-agents 2.0.0: a failed response span has only `llm.system`; no first-token event.
  'openai-agents/fail': ['messages', 'model'],
  'openai-agents/streamed': ['ttft'],
};

/** The fields of a call that must come through: the applicable ones, less what the instrumentation never sends. */
export function fieldsThatMustComeThrough(label: string, scenario: string, index: number, call: ExpectedCall): Field[] {
  const missing = new Set([...(NOT_EMITTED[`${label}/${scenario}`] ?? []), ...(NOT_EMITTED[`${label}/${scenario}#${index}`] ?? [])]);
  return applicableFields(call).filter((field) => !missing.has(field));
}
