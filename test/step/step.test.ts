import { setImmediate as nextTurn } from 'node:timers/promises';
import { type ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatGeneration, CompletionGeneration } from '../../src/generation/index.js';
import { GenAI, Genspan, OpenInference, Otel, REDACTED } from '../../src/semconv/keys.js';
import { currentStep, step, TRACER_NAME } from '../../src/step/index.js';
import { normalizeReadableSpan } from '../../src/translate/normalize.js';
import { describeStep } from '../../src/translate/step-kind.js';
import { translateSpan } from '../../src/translate/translate.js';
import { inMemoryTracing } from '../support/tracing.js';

const tracing = inMemoryTracing();

/**
 * Hands out turns: each `turn()` waits until `release()` lets it go. `release()` resumes everything waiting in a
 * fixed scrambled order (a seeded shuffle), so concurrent steps interleave the same way on every run.
 */
function turns(seed: number): { turn(): Promise<void>; release(): boolean } {
  const waiting: (() => void)[] = [];
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  return {
    turn: () => new Promise<void>((resolve) => waiting.push(resolve)),
    release: () => {
      const resumed = waiting.splice(0);
      for (let i = resumed.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [resumed[i], resumed[j]] = [resumed[j], resumed[i]];
      }
      for (const resume of resumed) resume();
      return resumed.length > 0;
    },
  };
}

afterEach(() => tracing.exporter.reset());

function completion() {
  return new CompletionGeneration({
    id: 'gen-42',
    promptId: 'greeting-v3',
    provider: 'openai',
    model: 'gpt-4o-mini',
    settings: {
      temperature: 0.2,
      max_tokens: 64,
      top_p: 0.9,
      stop: ['\n\n'],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      n: 1,
      stream: false,
      response_format: { type: 'text' },
    },
    variables: { name: 'Ada', count: 3 },
    tags: ['greeting', 'beta'],
    metadata: { team: 'growth' },
    tools: [
      {
        type: 'function',
        function: { name: 'lookup', description: 'Find a user', parameters: { type: 'object', properties: { id: { type: 'string' } } } },
      },
    ],
    tokenCount: 19,
    inputTokenCount: 12,
    outputTokenCount: 7,
    ttFirstToken: 231.4,
    tokenThroughputInSeconds: 22.5,
    duration: 0.31,
    template: 'Say hello to {name} {count} times.',
    prompt: 'Say hello to Ada 3 times.',
    completion: 'Hello Ada! Hello Ada! Hello Ada!',
  });
}

function chat() {
  return new ChatGeneration({
    provider: 'openai',
    model: 'gpt-4o',
    settings: { temperature: 1 },
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city": "Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
    ],
    messageCompletion: { role: 'assistant', content: 'Clear skies.' },
    inputTokenCount: 40,
    outputTokenCount: 3,
    tokenCount: 43,
  });
}

describe('step() and the GenAI encoding, through the real SDK', () => {
  // Steps below take no tracer: they reach this file's in-memory exporter only through the global provider.
  beforeAll(() => expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(tracing.provider));

  it("uses the global tracer provider's genspan tracer when no tracer is given", () => {
    step({ name: 'implicit', type: 'tool' }, () => undefined);
    const spans = tracing.spans();
    expect(spans.map((span) => span.name)).toEqual(['implicit']);
    expect(spans[0].instrumentationScope.name).toBe(TRACER_NAME);
    expect(TRACER_NAME).toBe('genspan');
  });

  it('writes a completion generation as GenAI attributes, key by key, and decodes it back deep-equal', async () => {
    const generation = completion();
    const result = await step({ name: 'greet', type: 'llm' }, async (s) => {
      s.generation = generation;
      return 'done';
    });
    expect(result).toBe('done');
    const [span] = tracing.spans();
    expect(span.name).toBe('text_completion gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    const a = span.attributes;
    expect(a[GenAI.OPERATION_NAME]).toBe('text_completion');
    expect(a[GenAI.PROVIDER_NAME]).toBe('openai');
    expect(a[GenAI.REQUEST_MODEL]).toBe('gpt-4o-mini');
    expect(a[GenAI.REQUEST_TEMPERATURE]).toBe(0.2);
    expect(a[GenAI.REQUEST_MAX_TOKENS]).toBe(64);
    expect(a[GenAI.REQUEST_TOP_P]).toBe(0.9);
    expect(a[GenAI.REQUEST_STOP_SEQUENCES]).toEqual(['\n\n']);
    expect(a[GenAI.REQUEST_SEED]).toBe(7);
    expect(a[GenAI.REQUEST_FREQUENCY_PENALTY]).toBe(0.1);
    expect(a[GenAI.REQUEST_PRESENCE_PENALTY]).toBe(0.3);
    expect(a[GenAI.REQUEST_CHOICE_COUNT]).toBe(1);
    expect(a[GenAI.REQUEST_STREAM]).toBe(false);
    expect(a[GenAI.USAGE_INPUT_TOKENS]).toBe(12);
    expect(a[GenAI.USAGE_OUTPUT_TOKENS]).toBe(7);
    expect(a[GenAI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeCloseTo(0.2314, 10);
    expect(JSON.parse(a[GenAI.INPUT_MESSAGES] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Say hello to Ada 3 times.' }] },
    ]);
    expect(JSON.parse(a[GenAI.OUTPUT_MESSAGES] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello Ada! Hello Ada! Hello Ada!' }], finish_reason: 'stop' },
    ]);
    expect(JSON.parse(a[GenAI.TOOL_DEFINITIONS] as string)).toEqual([
      {
        type: 'function',
        name: 'lookup',
        description: 'Find a user',
        parameters: { type: 'object', properties: { id: { type: 'string' } } },
      },
    ]);
    expect(a[`${GenAI.PROMPT_VARIABLE_PREFIX}name`]).toBe('Ada');
    expect(a[`${GenAI.PROMPT_VARIABLE_PREFIX}count`]).toBe('3');
    expect(a[Genspan.TEMPLATE]).toBe('Say hello to {name} {count} times.');
    expect(a[Genspan.TAGS]).toEqual(['greeting', 'beta']);
    expect(a[Genspan.PROMPT_ID]).toBe('greeting-v3');
    expect(a[Genspan.TOKEN_COUNT]).toBe(19);
    expect(a[Genspan.TOKEN_THROUGHPUT]).toBe(22.5);
    expect(a[Genspan.STEP_NAME]).toBe('greet');
    expect(a[Genspan.STEP_OUTPUT]).toBe('done');

    const decoded = translateSpan(span);
    expect(decoded?.source).toBe('genspan');
    expect(decoded?.warnings).toEqual([]);
    expect(new CompletionGeneration(decoded!.generation as never).toJSON()).toEqual(generation.toJSON());
  });

  it('writes a chat generation with system instructions, tool calls and tool results, and decodes it back deep-equal', () => {
    const generation = chat();
    step({ name: 'answer', type: 'llm' }, (s) => {
      s.generation = generation;
    });
    const [span] = tracing.spans();
    expect(span.name).toBe('chat gpt-4o');
    const a = span.attributes;
    expect(JSON.parse(a[GenAI.SYSTEM_INSTRUCTIONS] as string)).toEqual([{ type: 'text', content: 'You are terse.' }]);
    const input = JSON.parse(a[GenAI.INPUT_MESSAGES] as string);
    expect(input[1]).toEqual({
      role: 'assistant',
      parts: [{ type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city": "Paris"}' }],
    });
    expect(input[2]).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '{"sky":"clear"}' }] });
    const decoded = translateSpan(span)!;
    generation.duration = decoded.generation.duration;
    expect(new ChatGeneration(decoded.generation as never).toJSON()).toEqual(generation.toJSON());
  });

  it('re-encodes on end a generation changed after it was attached', async () => {
    await step({ name: 'late', type: 'llm' }, async (s) => {
      s.generation = new CompletionGeneration({ model: 'm', prompt: 'p' });
      await nextTurn();
      s.generation.completion = 'filled later';
      s.generation.outputTokenCount = 2;
    });
    const [span] = tracing.spans();
    expect(JSON.parse(span.attributes[GenAI.OUTPUT_MESSAGES] as string)[0].parts[0].content).toBe('filled later');
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(2);
  });

  it('supersedes what an earlier encoding wrote when the generation attached later lacks it', () => {
    step({ name: 'changed', type: 'llm' }, (s) => {
      s.generation = new ChatGeneration({
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Count {n}' },
        ],
        variables: { n: 3, unit: 'apples' },
        tools: [{ type: 'function', function: { name: 'count', parameters: {} } }],
        inputTokenCount: 7,
        tags: ['first'],
      });
      s.generation = new ChatGeneration({ model: 'm', messages: [{ role: 'user', content: 'Hi {who}' }], variables: { who: 'Ada' } });
    });
    const [span] = tracing.spans();
    const decoded = translateSpan(span)!;
    expect(decoded.warnings).toEqual([]);
    expect(decoded.generation.type).toBe('CHAT');
    const generation = decoded.generation as ChatGeneration;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Hi {who}' }]);
    expect(generation.variables).toEqual({ who: 'Ada' });
    expect(generation.tools).toBeNull();
    expect(generation.inputTokenCount).toBeNull();
    expect(generation.tags).toEqual([]);
  });

  it('nests steps by context, and parallel async steps each keep their own parent', async () => {
    const seen: Record<string, string | undefined> = {};
    const scheduler = turns(42);
    const root = step('root', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          step(`parent-${i}`, async (parent) => {
            await scheduler.turn();
            await step(`child-${i}`, async (child) => {
              await scheduler.turn();
              seen[child.name] = currentStep()?.name;
              expect(currentStep()).toBe(child);
            });
            expect(currentStep()).toBe(parent);
          }),
        ),
      );
    });
    // Parents resume in a scrambled order and start their children; then the children resume in another.
    let rounds = 0;
    while (scheduler.release()) {
      rounds++;
      await nextTurn();
    }
    await root;
    expect(rounds).toBe(2);
    expect(currentStep()).toBeUndefined();
    const spans = tracing.spans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    for (let i = 0; i < 50; i++) {
      const child = spans.find((s) => s.name === `child-${i}`)!;
      expect(byId.get(child.parentSpanContext!.spanId)!.name).toBe(`parent-${i}`);
      expect(seen[`child-${i}`]).toBe(`child-${i}`);
    }
    expect(spans).toHaveLength(101);
  });

  it('passes a thrown error through unchanged and records it: status, exception event, error.type, generation.error', async () => {
    class RateLimitError extends Error {}
    const failure = new RateLimitError('429 too many requests');
    const generation = new ChatGeneration({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect(
      step({ name: 'call', type: 'llm' }, async (s) => {
        s.generation = generation;
        throw failure;
      }),
    ).rejects.toBe(failure);
    const [span] = tracing.spans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: '429 too many requests' });
    expect(span.attributes[Otel.ERROR_TYPE]).toBe('RateLimitError');
    expect(span.events.map((e) => e.name)).toContain('exception');
    expect(generation.error).toBe('429 too many requests');
    expect(span.attributes[Genspan.ERROR]).toBe('429 too many requests');
    expect(translateSpan(span)?.generation.error).toBe('429 too many requests');
  });

  it('passes synchronous errors and return values through', () => {
    expect(step('sync', () => 41 + 1)).toBe(42);
    expect(() =>
      step('sync-fail', () => {
        throw new TypeError('bad');
      }),
    ).toThrow(TypeError);
    expect(tracing.spans().map((s) => s.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
  });

  it('returns a thenable that is not a Promise untouched, never calling its then, and ends the span at once', () => {
    /** A lazy query builder: its `then` is what starts the query. */
    class LazyQuery {
      thenCalls = 0;
      // biome-ignore lint/suspicious/noThenProperty: the test needs a thenable that is not a Promise
      then(resolve: (rows: string[]) => void): void {
        this.thenCalls += 1;
        resolve(['row']);
      }
    }
    const query = new LazyQuery();
    const returned = step('build query', () => query);
    expect(returned).toBe(query);
    expect(query.thenCalls).toBe(0);
    expect(tracing.spans().map((s) => s.name)).toEqual(['build query']);
  });

  it('redacts credential-looking settings at any depth, keeping token counts and tokenizer tokens', () => {
    step({ name: 'secret', type: 'llm', redactKeys: ['organization'] }, (s) => {
      s.generation = new CompletionGeneration({
        model: 'm',
        settings: {
          api_key: 'sk-123',
          apiKey: 'sk-456',
          max_tokens: 5,
          headers: { 'x-api-key': 'k' },
          auth: { password: 'p', token: 't', accessToken: 'a' },
          organization: 'org-1',
          client_secret: 's',
          eos_token: '</s>',
          padToken: '<pad>',
        },
      });
    });
    const settings = JSON.parse(tracing.spans()[0].attributes[Genspan.SETTINGS] as string);
    expect(settings).toEqual({
      api_key: REDACTED,
      apiKey: REDACTED,
      max_tokens: 5,
      headers: REDACTED,
      auth: { password: REDACTED, token: REDACTED, accessToken: REDACTED },
      organization: REDACTED,
      client_secret: REDACTED,
      eos_token: '</s>',
      padToken: '<pad>',
    });
    expect(JSON.stringify(tracing.spans()[0].attributes)).not.toMatch(/sk-123|sk-456|org-1/);
  });

  it('sends no prompt, completion, messages, variables or step input when content capture is off', () => {
    process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'false';
    try {
      step({ name: 'private', type: 'llm', input: { question: 'secret question' } }, (s) => {
        s.generation = completion();
        s.output = 'secret answer';
      });
    } finally {
      delete process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
    }
    step({ name: 'private-by-option', type: 'llm', captureContent: false }, (s) => {
      s.generation = chat();
    });
    for (const span of tracing.spans()) {
      const keys = Object.keys(span.attributes);
      for (const key of [
        GenAI.INPUT_MESSAGES,
        GenAI.OUTPUT_MESSAGES,
        GenAI.SYSTEM_INSTRUCTIONS,
        Genspan.VARIABLES,
        Genspan.TEMPLATE,
        Genspan.STEP_INPUT,
        Genspan.STEP_OUTPUT,
      ]) {
        expect(keys).not.toContain(key);
      }
      expect(keys.some((k) => k.startsWith(GenAI.PROMPT_VARIABLE_PREFIX))).toBe(false);
      expect(JSON.stringify(span.attributes)).not.toMatch(/secret question|secret answer|Hello Ada|Weather in Paris/);
      expect(span.attributes[GenAI.REQUEST_MODEL]).toBeDefined();
      expect(span.attributes[GenAI.USAGE_INPUT_TOKENS]).toBeDefined();
    }
  });

  it('caps long content and says so with a marker and the original length', () => {
    const long = 'x'.repeat(10_000);
    step({ name: 'long', type: 'llm', maxContentLength: 100 }, (s) => {
      s.generation = new ChatGeneration({
        model: 'm',
        messages: [{ role: 'user', content: long }],
        messageCompletion: { role: 'assistant', content: long },
      });
      s.input = long;
    });
    const a = tracing.spans()[0].attributes;
    const text = JSON.parse(a[GenAI.INPUT_MESSAGES] as string)[0].parts[0].content as string;
    expect(text.startsWith('x'.repeat(100))).toBe(true);
    expect(text).toContain('original length 10000 chars');
    expect(text.length).toBeLessThan(200);
    expect(a[Genspan.CONTENT_TRUNCATED]).toBe(true);
    expect((a[Genspan.STEP_INPUT] as string).length).toBeLessThan(200);
  });

  it('caps long tool-call arguments, tool results and structured variables too', () => {
    const long = 'y'.repeat(5_000);
    step({ name: 'long-tools', type: 'llm', maxContentLength: 100 }, (s) => {
      s.generation = new ChatGeneration({
        model: 'm',
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: JSON.stringify({ text: long }) } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: long },
        ],
        variables: { document: { body: long } },
      });
    });
    const a = tracing.spans()[0].attributes;
    expect((a[GenAI.INPUT_MESSAGES] as string).length).toBeLessThan(600);
    expect(a[GenAI.INPUT_MESSAGES]).toContain('original length');
    expect((a[Genspan.VARIABLES] as string).length).toBeLessThan(300);
    expect((a[`${GenAI.PROMPT_VARIABLE_PREFIX}document`] as string).length).toBeLessThan(200);
    expect(a[Genspan.CONTENT_TRUNCATED]).toBe(true);
  });

  it('uses an explicit tracer when given one', () => {
    const tracer = tracing.provider.getTracer('custom-tracer');
    step({ name: 'explicit', tracer }, () => undefined);
    expect(tracing.spans()[0].instrumentationScope.name).toBe('custom-tracer');
  });
});

describe('step() threads and users, through the real SDK', () => {
  function spanNamed(name: string) {
    const found = tracing.spans().filter((span) => span.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  }

  it('writes the thread id as gen_ai.conversation.id, its name as genspan.thread.name, and the user as user.id', () => {
    step({ name: 'turn', type: 'run', thread: { id: 'thread-1', name: 'Weather chat' }, user: 'ada' }, () => undefined);
    const span = spanNamed('turn');
    expect(span.attributes[GenAI.CONVERSATION_ID]).toBe('thread-1');
    expect(span.attributes[Genspan.THREAD_NAME]).toBe('Weather chat');
    expect(span.attributes[OpenInference.USER_ID]).toBe('ada');
    const described = describeStep(normalizeReadableSpan(span));
    expect(described).toMatchObject({
      ai: true,
      type: 'run',
      name: 'turn',
      thread: { id: 'thread-1', name: 'Weather chat' },
      userId: 'ada',
    });
  });

  it('takes a thread given as a bare id, with no name', () => {
    step({ name: 'turn', thread: 'thread-2' }, () => undefined);
    const span = spanNamed('turn');
    expect(span.attributes[GenAI.CONVERSATION_ID]).toBe('thread-2');
    expect(span.attributes[Genspan.THREAD_NAME]).toBeUndefined();
    expect(span.attributes[OpenInference.USER_ID]).toBeUndefined();
    expect(describeStep(normalizeReadableSpan(span)).thread).toEqual({ id: 'thread-2', name: null });
  });

  it('gives nested steps the enclosing thread and user, also across awaits, so the whole run is in the thread', async () => {
    await step({ name: 'run', type: 'run', thread: { id: 'thread-3', name: 'Support' }, user: 'grace' }, async () => {
      await step({ name: 'llm', type: 'llm' }, async () => {
        await nextTurn();
        step({ name: 'tool', type: 'tool' }, () => undefined);
      });
    });
    for (const name of ['run', 'llm', 'tool']) {
      const described = describeStep(normalizeReadableSpan(spanNamed(name)));
      expect(described.thread).toEqual({ id: 'thread-3', name: 'Support' });
      expect(described.userId).toBe('grace');
    }
  });

  it('lets a nested step set its own thread or user, keeping the other inherited', () => {
    step({ name: 'outer', thread: 'thread-4', user: 'ada' }, () => {
      step({ name: 'own-user', user: 'grace' }, () => undefined);
      step({ name: 'own-thread', thread: 'thread-5' }, () => undefined);
    });
    expect(spanNamed('own-user').attributes).toMatchObject({ [GenAI.CONVERSATION_ID]: 'thread-4', [OpenInference.USER_ID]: 'grace' });
    expect(spanNamed('own-thread').attributes).toMatchObject({ [GenAI.CONVERSATION_ID]: 'thread-5', [OpenInference.USER_ID]: 'ada' });
  });

  it('keeps parallel runs of one thread apart from runs of another', async () => {
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((id, index) =>
        step({ name: `run-${id}`, thread: index % 2 === 0 ? 'even' : 'odd' }, async () => {
          await nextTurn();
          await step({ name: `child-${id}` }, async () => nextTurn());
        }),
      ),
    );
    expect(spanNamed('child-a').attributes[GenAI.CONVERSATION_ID]).toBe('even');
    expect(spanNamed('child-b').attributes[GenAI.CONVERSATION_ID]).toBe('odd');
    expect(spanNamed('child-c').attributes[GenAI.CONVERSATION_ID]).toBe('even');
    expect(spanNamed('child-d').attributes[GenAI.CONVERSATION_ID]).toBe('odd');
  });

  it('traces a step whose thread or user is not valid without them, never throwing into the app', () => {
    const result = step({ name: 'bad', thread: { id: '' }, user: 42 as unknown as string }, () => 'ran');
    expect(result).toBe('ran');
    const span = spanNamed('bad');
    expect(span.attributes[GenAI.CONVERSATION_ID]).toBeUndefined();
    expect(span.attributes[OpenInference.USER_ID]).toBeUndefined();
  });

  it('leaves steps outside any thread without thread or user attributes', () => {
    step('alone', () => undefined);
    const described = describeStep(normalizeReadableSpan(spanNamed('alone')));
    expect(described.thread).toBeNull();
    expect(described.userId).toBeNull();
  });
});
