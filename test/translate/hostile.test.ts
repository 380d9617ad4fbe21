import { describe, expect, it } from 'vitest';
import { type ChatGenerationData, GenerationSchema } from '../../src/generation/schema.js';
import { GenAI, GenAIEvent, GenAIExtra, Genspan, Langfuse, OpenInference, OpenLLMetry, Otel, VercelAI } from '../../src/semconv/keys.js';
import { MAX_JSON_CHARS } from '../../src/translate/read.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan, TranslationResult } from '../../src/translate/types.js';
import { makeSpan } from './fixtures/handwritten.js';

// Property-style: random spans built from every key the translator reads, filled with wrong types, invalid or
// deeply nested JSON, 10 MB strings, bigints, byte arrays and `__proto__` keys. Whatever they hold, translateSpan
// must not throw, must return null or a valid generation, and must leave its input and Object.prototype as they were.

/** Another seed explores other spans: GENSPAN_HOSTILE_SEED=<n> npx vitest run test/translate/hostile.test.ts */
const SEED = Number(process.env.GENSPAN_HOSTILE_SEED ?? 20261124);

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEN_MB = 10 * 1024 * 1024;
const HUGE_TEXT = 'x'.repeat(TEN_MB);
const HUGE_JSON = `[{"role":"user","content":"${'y'.repeat(TEN_MB)}"}]`;
const DEEP_JSON = '['.repeat(100_000) + ']'.repeat(100_000);
const DEEP_OBJECT_JSON = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
const PROTO_JSON = '[{"__proto__":{"polluted":true},"role":"user","parts":[{"type":"text","content":"hi","__proto__":{"polluted":true}}]}]';
const PROTO_OBJECT_JSON = '{"__proto__":{"polluted":true},"temperature":1,"input":{"__proto__":{"polluted":true}}}';

function deepObject(depth: number): unknown {
  let node: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) node = { child: node, list: [i] };
  return node;
}

function keysOf(group: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const value of Object.values(group)) {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) out.push(...value.filter((v): v is string => typeof v === 'string'));
  }
  return out;
}

const KEYS = [
  ...keysOf(GenAI),
  ...keysOf(GenAIExtra),
  ...keysOf(OpenLLMetry),
  ...keysOf(OpenInference),
  ...keysOf(VercelAI),
  ...keysOf(Langfuse),
  ...keysOf(Genspan),
  ...keysOf(Otel),
  'gen_ai.prompt.0.role',
  'gen_ai.prompt.0.content',
  'gen_ai.prompt.1.content',
  'gen_ai.prompt.__proto__.role',
  'gen_ai.completion.0.content',
  'gen_ai.completion.0.tool_calls.0.arguments',
  'gen_ai.completion.0.tool_calls.__proto__.name',
  'gen_ai.completion.0.function_call',
  'gen_ai.completion.0.function_call.name',
  'gen_ai.prompt.4294967296.content',
  'llm.request.functions.0.arguments',
  'llm.input_messages.0.message.role',
  'llm.input_messages.0.message.content',
  'llm.input_messages.__proto__.message.role',
  'llm.input_messages.0.message.contents.0.message_content.text',
  'llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments',
  'llm.output_messages.0.message.content',
  'llm.output_messages.0.message.__proto__.content',
  'llm.tools.0.tool.json_schema',
  'llm.prompts.0.prompt.text',
  'llm.choices.0.completion.text',
  'traceloop.prompt.template_variables.__proto__',
  'traceloop.prompt.template_variables.name',
  'gen_ai.prompt.variable.__proto__',
  'gen_ai.prompt.variable.constructor',
  'gen_ai.request.__proto__',
  'ai.settings.__proto__',
  'ai.settings.context.__proto__',
  'ai.telemetry.metadata.__proto__',
  'ai.telemetry.metadata.tags',
  'langfuse.observation.metadata.__proto__',
  '__proto__',
  'constructor',
  'toString',
];

const DISCRIMINATORS: Record<string, unknown>[] = [
  { [Genspan.GENERATION_TYPE]: 'CHAT' },
  { [Genspan.GENERATION_TYPE]: 'COMPLETION' },
  { [Langfuse.OBSERVATION_TYPE]: 'generation' },
  { [OpenInference.SPAN_KIND]: 'LLM' },
  { [GenAI.OPERATION_NAME]: 'chat' },
  { [GenAI.OPERATION_NAME]: 'text_completion' },
  { [VercelAI.OPERATION_ID]: 'ai.streamText.doStream' },
  { [OpenLLMetry.REQUEST_TYPE]: 'chat' },
  { [GenAI.REQUEST_MODEL]: 'm' },
  {},
];

const EVENT_NAMES = [...keysOf(GenAIEvent), Otel.EXCEPTION_EVENT, VercelAI.STREAM_FIRST_CHUNK_EVENT, '__proto__'];

function hostileValue(next: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  switch (Math.floor(next() * 24)) {
    case 0:
      return HUGE_TEXT;
    case 1:
      return HUGE_JSON;
    case 2:
      return DEEP_JSON;
    case 3:
      return DEEP_OBJECT_JSON;
    case 4:
      return PROTO_JSON;
    case 5:
      return PROTO_OBJECT_JSON;
    case 6:
      return JSON.parse(PROTO_JSON);
    case 7:
      return JSON.parse(PROTO_OBJECT_JSON);
    case 8:
      return pick(['{', '[1,', '{"a":}', 'null', '"just a string"', '[]', '{}', '', ' ', 'NaN', '1e999', '-5', '[{"role":5,"parts":7}]']);
    case 9:
      return pick([Number.NaN, Number.POSITIVE_INFINITY, -1, -0.5, 1e308, 3.7, 0, Number.MAX_SAFE_INTEGER + 2]);
    case 10:
      return pick([2n ** 70n, -3n, 0n, 42n]);
    case 11:
      return pick([true, false, null, undefined]);
    case 12:
      return new Uint8Array(Math.floor(next() * 64));
    case 13:
      return deepObject(500);
    case 14:
      return Array.from({ length: 11_000 }, (_, i) => (i % 1000 ? i : { role: i }));
    case 15:
      return [1, 'two', { three: 3 }, [4], null, true, 2n ** 64n];
    case 16:
      return { role: ['user'], content: { text: 5 }, tool_calls: 'nope', parts: { 0: 'a' } };
    case 17:
      return JSON.stringify([{ role: 'user', parts: [{ type: 'tool_call', name: 5, arguments: deepObject(10) }] }]);
    case 18:
      return JSON.stringify({
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 7 }, 'text', null] }],
        tools: [null, { function: 'x' }, { type: 'function', function: { name: 1, parameters: 'p' } }],
      });
    case 19:
      return JSON.stringify([{ type: 'function', name: 'f', parameters: [], inputSchema: 'x', function: null }]);
    case 20:
      return `"${'2026-01-01T00:00:00Z'}"`;
    case 21:
      return { __proto__: null, weird: 'null prototype' };
    case 22:
      return Array.from({ length: 3 }, () => Math.floor(next() * 1e6).toString(36));
    default:
      return Math.floor(next() * 1e6).toString(36);
  }
}

/** Keys that decide whether a span is an LLM call; a random value in one of them may rightly give null. */
const DETECTION_KEYS = new Set([
  ...DISCRIMINATORS.flatMap((entry) => Object.keys(entry)),
  VercelAI.OPERATION_NAME,
  GenAI.RESPONSE_MODEL,
  OpenInference.MODEL_NAME,
  Langfuse.MODEL_NAME,
]);

function hostileSpan(next: () => number): { span: NormalizedSpan; logs: NormalizedLogRecord[]; detectable: boolean } {
  const discriminator = DISCRIMINATORS[Math.floor(next() * DISCRIMINATORS.length)];
  const attributes: Record<string, unknown> = { ...discriminator };
  let detectable = Object.keys(discriminator).length > 0;
  const count = 1 + Math.floor(next() * 12);
  for (let i = 0; i < count; i++) {
    const key = KEYS[Math.floor(next() * KEYS.length)];
    if (DETECTION_KEYS.has(key)) detectable = false;
    // Own `__proto__` keys, as an OTLP decoder that defines properties produces them.
    Object.defineProperty(attributes, key, { value: hostileValue(next), enumerable: true, writable: true, configurable: true });
  }
  const events = Array.from({ length: Math.floor(next() * 4) }, () => ({
    name: EVENT_NAMES[Math.floor(next() * EVENT_NAMES.length)],
    timeUnixNano: 1n,
    attributes: {
      content: hostileValue(next),
      message: hostileValue(next),
      tool_calls: hostileValue(next),
      'gen_ai.prompt': hostileValue(next),
    },
  }));
  const span = makeSpan('hostile', attributes, {
    events,
    status: next() < 0.3 ? { code: 2, message: hostileValue(next) as string } : { code: 0 },
  });
  if (next() < 0.2) span.endTimeUnixNano = span.startTimeUnixNano - 5n;
  const logs = Array.from({ length: Math.floor(next() * 4) }, () => ({
    traceId: span.traceId,
    spanId: next() < 0.8 ? span.spanId : 'ffffffffffffffff',
    timeUnixNano: 1n,
    eventName: EVENT_NAMES[Math.floor(next() * EVENT_NAMES.length)],
    body: hostileValue(next),
    attributes: { [GenAI.INPUT_MESSAGES]: hostileValue(next), [GenAI.OUTPUT_MESSAGES]: hostileValue(next) },
    resource: {},
    scope: { name: 'hostile' },
  }));
  return { span, logs, detectable };
}

/** Every reachable value, by identity, with each object's prototype and own keys: any change shows. */
function fingerprint(root: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    out.push(value);
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    out.push(Object.getPrototypeOf(value));
    if (ArrayBuffer.isView(value)) {
      out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'));
      return;
    }
    if (Array.isArray(value)) {
      out.push(value.length);
      for (let i = 0; i < value.length; i++) walk(value[i]);
      return;
    }
    const keys = Reflect.ownKeys(value);
    out.push(keys.length);
    for (const key of keys) {
      out.push(key);
      walk(Object.getOwnPropertyDescriptor(value, key)?.value);
    }
  };
  walk(root);
  return out;
}

function expectSameFingerprint(before: unknown[], after: unknown[]): void {
  expect(after.length).toBe(before.length);
  for (let i = 0; i < before.length; i++) {
    if (!Object.is(before[i], after[i])) throw new Error(`input changed at fingerprint entry ${i}`);
  }
}

function prototypeState(): string {
  return JSON.stringify([Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort()]);
}

describe('hostile attributes', () => {
  it('never throws, gives valid generations and changes nothing outside the result (300 random spans)', () => {
    const next = random(SEED);
    const prototypes = prototypeState();
    let translated = 0;
    for (let i = 0; i < 300; i++) {
      const input = hostileSpan(next);
      const { span, logs, detectable } = input;
      const before = fingerprint(input);
      let result: ReturnType<typeof translateSpan> = null;
      expect(() => {
        result = translateSpan(span, logs);
      }, `span ${i}`).not.toThrow();
      // translateSpan answers null when it fails inside: a span that must be detected proves it did not.
      if (detectable) expect(result, `span ${i} was not translated`).not.toBeNull();
      if (result !== null) {
        translated++;
        const warnings = (result as { warnings: string[] }).warnings;
        expect(
          warnings.filter((warning) => warning.includes('could not be read')),
          `span ${i}`,
        ).toEqual([]);
        expect((result as TranslationResult).failure, `span ${i}`).toBeUndefined();
        const parsed = GenerationSchema.safeParse((result as { generation: unknown }).generation);
        if (!parsed.success) throw new Error(`span ${i}: invalid generation ${JSON.stringify(parsed.error.issues).slice(0, 500)}`);
        expect(() => JSON.stringify(result)).not.toThrow();
      }
      expectSameFingerprint(before, fingerprint(input));
      expect(prototypeState()).toBe(prototypes);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    // Most random spans carry a discriminator, so the readers did run on hostile values.
    expect(translated).toBeGreaterThan(150);
  }, 120_000);

  it('turns a 10 MB content value into a warning quickly, keeping the rest of the generation', () => {
    const span = makeSpan('chat m', {
      [GenAI.OPERATION_NAME]: 'chat',
      [GenAI.REQUEST_MODEL]: 'm',
      [GenAI.INPUT_MESSAGES]: HUGE_JSON,
      [GenAI.USAGE_INPUT_TOKENS]: 5,
    });
    const started = performance.now();
    const result = translateSpan(span);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result?.warnings).toEqual([
      `${GenAI.INPUT_MESSAGES}: JSON of ${HUGE_JSON.length} chars is over the ${MAX_JSON_CHARS}-char limit, not read`,
    ]);
    expect(result?.generation.model).toBe('m');
    expect(result?.generation.inputTokenCount).toBe(5);
  });

  it('cuts a 10 MB plain-text value to the text limit with a marker', () => {
    const span = makeSpan('gen', { [Langfuse.OBSERVATION_TYPE]: 'generation', [Langfuse.INPUT]: HUGE_TEXT, [Langfuse.OUTPUT]: 'ok' });
    const started = performance.now();
    const result = translateSpan(span);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result).not.toBeNull();
    const prompt = (result!.generation as { prompt: string }).prompt;
    expect(prompt.length).toBeLessThan(HUGE_TEXT.length);
    expect(prompt).toContain(`original length ${HUGE_TEXT.length} chars`);
    expect(result?.warnings.some((warning) => warning.includes('cut to'))).toBe(true);
  });

  it('drops __proto__ keys from JSON and attribute names without touching any prototype', () => {
    const attributes: Record<string, unknown> = {
      [GenAI.OPERATION_NAME]: 'chat',
      [GenAI.INPUT_MESSAGES]: PROTO_JSON,
      [GenAI.OUTPUT_MESSAGES]: JSON.parse(PROTO_JSON),
      [OpenInference.INVOCATION_PARAMETERS]: PROTO_OBJECT_JSON,
    };
    Object.defineProperty(attributes, 'gen_ai.prompt.variable.__proto__', { value: 'x', enumerable: true });
    Object.defineProperty(attributes, 'ai.telemetry.metadata.__proto__', { value: { polluted: true }, enumerable: true });
    const result = translateSpan(makeSpan('chat', attributes));
    const generation = result!.generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'hi' }]);
    for (const value of [generation, generation.settings, generation.variables, generation.metadata, generation.messages[0]]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect((value as Record<string, unknown>).polluted).toBeUndefined();
    }
    expect(generation.settings).toEqual({ temperature: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(result!.warnings.filter((warning) => warning.includes('__proto__')).length).toBeGreaterThanOrEqual(4);
  });

  it('cuts nesting deeper than the limit with a warning', () => {
    const span = makeSpan('chat', {
      [GenAI.OPERATION_NAME]: 'chat',
      [GenAI.TOOL_DEFINITIONS]: DEEP_OBJECT_JSON,
      [GenAI.INPUT_MESSAGES]: DEEP_JSON,
    });
    const result = translateSpan(span);
    expect(result).not.toBeNull();
    expect(result!.warnings.some((warning) => warning.startsWith(`${GenAI.TOOL_DEFINITIONS}: cut nesting`))).toBe(true);
    expect(GenerationSchema.safeParse(result!.generation).success).toBe(true);
  });

  it('reports values of the wrong type as warnings and keeps the readable ones', () => {
    const span = makeSpan('chat', {
      [GenAI.OPERATION_NAME]: 'chat',
      [GenAI.REQUEST_MODEL]: 42,
      [GenAI.USAGE_INPUT_TOKENS]: -3,
      [GenAI.USAGE_OUTPUT_TOKENS]: '12',
      [GenAI.RESPONSE_TIME_TO_FIRST_CHUNK]: 'soon',
      [GenAI.INPUT_MESSAGES]: '{not json',
    });
    const result = translateSpan(span)!;
    expect(result.generation.model).toBeNull();
    expect(result.generation.inputTokenCount).toBeNull();
    expect(result.generation.outputTokenCount).toBe(12);
    expect(result.generation.ttFirstToken).toBeNull();
    expect(result.warnings).toEqual([
      `${GenAI.REQUEST_MODEL}: expected a string, got number 42`,
      expect.stringMatching(/^gen_ai\.input\.messages: not valid JSON/),
      `${GenAI.USAGE_INPUT_TOKENS}: expected a non-negative integer, got number -3`,
      `${GenAI.RESPONSE_TIME_TO_FIRST_CHUNK}: expected a non-negative number, got "soon"`,
    ]);
  });
});
