import { beforeAll, describe, expect, it } from 'vitest';
import { STEP_TYPES } from '../../src/generation/step-record.js';
import { REDACTED } from '../../src/semconv/keys.js';
import { describeStep, type StepDescription } from '../../src/translate/step-kind.js';
import { isGenerationSpan } from '../../src/translate/translate.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import { HANDWRITTEN, makeSpan, notGenerations } from './fixtures/handwritten.js';
import { type Capture, type CapturedScenario, capture, spanNamed } from './support.js';

// Spans written by the real packages (test/translate/fixtures/steps.mjs): @langfuse/tracing observations of every
// type, @arizeai/openinference-core's wrappers, and the Vercel AI SDK's tool, embedding and rerank spans.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('steps');
}, 120_000);

function described(scenario: CapturedScenario, name: string): StepDescription {
  return describeStep(spanNamed(scenario, name));
}

/** The type, input, output and error of each named span of a scenario. */
function expectSteps(scenario: CapturedScenario, expected: Record<string, Partial<StepDescription>>): void {
  expect(scenario.spans.map((span) => span.name).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, fields] of Object.entries(expected)) {
    expect({ span: name, ...described(scenario, name) }).toMatchObject({ span: name, ai: true, ...fields });
  }
}

describe('describeStep on spans the real packages write', () => {
  it('maps every Langfuse observation type, with its input, output and error', () => {
    expectSteps(captured.langfuse, {
      planner: { type: 'run', input: '{"question":"Weather in Paris?"}', output: 'It is sunny in Paris.', error: null },
      lookup: { type: 'run', input: 'Paris', output: '{"city":"Paris"}' },
      get_weather: { type: 'tool', input: '{"location":"Paris"}', output: 'Sunny, 21 C' },
      search_docs: { type: 'retrieval', input: 'weather Paris', output: '[{"id":"doc-1"}]' },
      embed_query: { type: 'embedding', input: 'weather Paris', output: null },
      judge: { type: 'undefined', output: '{"score":1}' },
      moderation: { type: 'undefined', output: '{"allowed":true}' },
      note: { type: 'undefined', input: 'a plain span' },
      broken_tool: { type: 'tool', error: 'no such city' },
    });
  });

  it("reads Langfuse's propagated session, user, tags and trace metadata, with the observation's own metadata", () => {
    for (const span of captured.langfuse.spans) {
      const step = describeStep(span);
      expect(step.thread).toEqual({ id: 'session-lf', name: null });
      expect(step.userId).toBe('user-lf');
      expect(step.tags).toEqual(['langfuse']);
    }
    expect(described(captured.langfuse, 'planner').metadata).toEqual({ team: 'docs', plan: 'lookup' });
    expect(described(captured.langfuse, 'get_weather').metadata).toEqual({ team: 'docs' });
  });

  it('maps every OpenInference span kind, with input.value, output.value, tool.name and a thrown error', () => {
    expectSteps(captured.openinference, {
      weather_agent: { type: 'run', input: 'Weather in Paris', output: 'Sunny in Paris', error: null },
      lookup: { type: 'run', input: 'Weather in Paris', output: 'Paris' },
      retrieve_docs: { type: 'retrieval', input: 'Paris', output: '["doc about Paris"]' },
      rerank_docs: { type: 'rerank', output: '["doc about Paris"]' },
      embed_query: { type: 'embedding', input: 'Paris' },
      get_weather: { type: 'tool', name: 'get_weather', input: 'Paris', output: 'Sunny in Paris' },
      get_forecast: { type: 'tool', input: null, output: null, error: 'the weather service is down' },
      moderation: { type: 'undefined', output: '{"allowed":true}' },
      judge: { type: 'undefined', output: '{"score":1}' },
    });
  });

  it("reads OpenInference's context session, user, tags and metadata on every span", () => {
    for (const span of captured.openinference.spans) {
      expect(describeStep(span)).toMatchObject({
        thread: { id: 'session-oi', name: null },
        userId: 'user-oi',
        tags: ['openinference'],
        metadata: { team: 'docs' },
      });
    }
  });

  it('makes a Vercel tool loop a run step over llm steps and a tool step named by its tool', () => {
    const scenario = captured.vercelTools;
    expect(described(scenario, 'ai.generateText')).toMatchObject({
      ai: true,
      type: 'run',
      input: '{"prompt":"Weather in Paris?"}',
      output: 'Fake reply to: Sunny, 21 C',
    });
    const calls = scenario.spans.filter((span) => span.name === 'ai.generateText.doGenerate');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(describeStep(call)).toMatchObject({ ai: true, type: 'llm' });
    // The first call answered with a tool call and no text: its output is the tool call.
    expect(JSON.parse(describeStep(calls[0]).output!)).toEqual([
      { toolCallId: 'call_fake_1', toolName: 'get_weather', input: '{"location":"Paris"}' },
    ]);
    expect(described(scenario, 'ai.toolCall')).toMatchObject({
      ai: true,
      type: 'tool',
      name: 'get_weather',
      input: '{"location":"Paris"}',
      output: '"Sunny, 21 C"',
    });
  });

  it('reads the AI SDK telemetry metadata: sessionId and userId as thread and user, tags, the rest as metadata', () => {
    for (const scenario of [captured.vercelTools, captured.vercelEmbed, captured.vercelEmbedMany, captured.vercelRerank]) {
      for (const span of scenario.spans) {
        const step = describeStep(span);
        expect(step).toMatchObject({ thread: { id: 'session-vercel', name: null }, userId: 'user-vercel', tags: ['vercel'] });
        expect(step.metadata).toEqual({ team: 'docs' });
      }
    }
  });

  it('makes AI SDK embeddings embedding steps (without their vectors) and reranks rerank steps', () => {
    expect(described(captured.vercelEmbed, 'ai.embed')).toMatchObject({ type: 'embedding', input: '"sunny day"', output: null });
    expect(described(captured.vercelEmbed, 'ai.embed.doEmbed')).toMatchObject({ type: 'embedding', output: null });
    expect(described(captured.vercelEmbedMany, 'ai.embedMany')).toMatchObject({
      type: 'embedding',
      input: '["\\"sunny\\"","\\"rainy\\""]',
    });
    expect(described(captured.vercelEmbedMany, 'ai.embedMany.doEmbed').type).toBe('embedding');
    expect(described(captured.vercelRerank, 'ai.rerank')).toMatchObject({ type: 'rerank', input: '["\\"rain\\"","\\"sun\\""]' });
    expect(JSON.parse(described(captured.vercelRerank, 'ai.rerank.doRerank').output!)).toEqual(['{"index":1,"relevanceScore":0.9}']);
  });
});

describe('describeStep on LLM spans', () => {
  it('makes every span the translator reads as an LLM call an llm step', () => {
    for (const [fixture, { span }] of Object.entries(HANDWRITTEN)) {
      // The aggregate agent spans of AI SDK 7 are the only ones that are no LLM call.
      const type = isGenerationSpan(span) ? 'llm' : 'run';
      expect({ fixture, ...describeStep(span) }).toMatchObject({ fixture, ai: true, type });
    }
    expect(isGenerationSpan(HANDWRITTEN.vercelOtelAgent.span)).toBe(false);
  });

  it('takes an LLM span over any other convention it also carries', () => {
    const step = describeStep(
      makeSpan('ChatOpenAI', {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o',
        'traceloop.span.kind': 'task',
        'input.value': 'Hi',
        'output.value': 'Hello',
      }),
    );
    expect(step).toMatchObject({ ai: true, type: 'llm', input: 'Hi', output: 'Hello' });
  });

  it("reads a GenAI chat span's messages as its input and output", () => {
    const step = describeStep(HANDWRITTEN.vercelOtelChat.span);
    expect(step.type).toBe('llm');
    expect(JSON.parse(step.input!)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Plan Lisbon' }] }]);
    expect(JSON.parse(step.output!)[0].finish_reason).toBe('tool_call');
    expect(step.metadata).toEqual({});
  });
});

describe('describeStep on hand-written spans', () => {
  it("reads genspan's own step keys, and a step type it does not know as undefined", () => {
    const span = makeSpan('fallback name', {
      'genspan.step.name': 'plan trip',
      'genspan.step.type': 'retrieval',
      'genspan.step.input': 'Lisbon',
      'genspan.step.output': '{"days":3}',
      'genspan.step.tags': ['travel', 'beta'],
      'genspan.step.metadata': JSON.stringify({ team: 'growth', api_key: 'sk-secret' }),
    });
    expect(describeStep(span)).toEqual({
      ai: true,
      type: 'retrieval',
      name: 'plan trip',
      input: 'Lisbon',
      output: '{"days":3}',
      error: null,
      tags: ['travel', 'beta'],
      metadata: { team: 'growth', api_key: REDACTED },
      thread: null,
      userId: null,
    });
    expect(describeStep(makeSpan('s', { 'genspan.step.name': 's', 'genspan.step.type': 'agent' })).type).toBe('undefined');
    for (const type of STEP_TYPES) {
      if (type === 'llm') continue;
      expect(describeStep(makeSpan('s', { 'genspan.step.name': 's', 'genspan.step.type': type })).type).toBe(type);
    }
  });

  // OpenTelemetry GenAI semantic conventions v1.41 (gen-ai-agent-spans.md, gen-ai-spans.md "execute_tool"), and
  // `@ai-sdk/otel` (vercel/ai@ed857f50 packages/otel/src/open-telemetry.ts): span-conventions.md §1.2, §5.2.
  it('maps the GenAI operations: agents, workflows and agent steps are runs; tools, embeddings, retrievals, reranks', () => {
    const operation = (name: string, attributes: Record<string, unknown> = {}) =>
      describeStep(makeSpan(name, { 'gen_ai.operation.name': name.split(' ')[0], ...attributes }, { kind: 1 }));
    expect(operation('invoke_agent Weather', { 'gen_ai.agent.name': 'Weather' })).toMatchObject({ ai: true, type: 'run' });
    expect(operation('create_agent Weather')).toMatchObject({ ai: true, type: 'run' });
    expect(operation('invoke_workflow trip')).toMatchObject({ ai: true, type: 'run' });
    expect(operation('agent_step')).toMatchObject({ ai: true, type: 'run' });
    expect(operation('embeddings text-embedding-3-small')).toMatchObject({ ai: true, type: 'embedding' });
    expect(operation('retrieval docs')).toMatchObject({ ai: true, type: 'retrieval' });
    expect(operation('rerank rerank-v3')).toMatchObject({ ai: true, type: 'rerank' });
    expect(operation('search_memory notes')).toMatchObject({ ai: true, type: 'undefined' });
    expect(
      operation('execute_tool get_weather', {
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': '{"location":"Paris"}',
        'gen_ai.tool.call.result': 'Sunny',
        'gen_ai.conversation.id': 'conv-1',
      }),
    ).toMatchObject({
      ai: true,
      type: 'tool',
      name: 'get_weather',
      input: '{"location":"Paris"}',
      output: 'Sunny',
      thread: { id: 'conv-1', name: null },
    });
    // Structured (OTLP AnyValue) arguments are written as JSON.
    expect(operation('execute_tool t', { 'gen_ai.tool.call.arguments': { location: 'Paris' } }).input).toBe('{"location":"Paris"}');
    // A tool name alone marks a tool span, as Langfuse reads it (span-conventions.md §6.1 rule 7).
    expect(describeStep(makeSpan('lookup', { 'gen_ai.tool.name': 'lookup' }))).toMatchObject({ ai: true, type: 'tool', name: 'lookup' });
  });

  // traceloop/openllmetry-js@03e27c3d packages/traceloop-sdk/src/lib/tracing/decorators.ts (`withEntity`): span name
  // `<name>.<kind>`, `traceloop.entity.input` = JSON `{args, kwargs}`, output JSON; association properties are set on
  // every span by its span processor as `traceloop.association.properties.<key>`.
  it('maps the OpenLLMetry span kinds and reads entity name, input, output and association properties', () => {
    const entity = (kind: string, name: string, extra: Record<string, unknown> = {}) =>
      describeStep(
        makeSpan(`${name}.${kind}`, {
          'traceloop.span.kind': kind,
          'traceloop.entity.name': name,
          'traceloop.entity.path': '',
          'traceloop.entity.input': JSON.stringify({ args: ['Paris'], kwargs: {} }),
          'traceloop.entity.output': JSON.stringify('Sunny'),
          'traceloop.association.properties.session_id': 'session-tl',
          'traceloop.association.properties.user_id': 'user-tl',
          ...extra,
        }),
      );
    expect(entity('workflow', 'trip_planner', { 'traceloop.workflow.name': 'trip_planner' })).toMatchObject({
      ai: true,
      type: 'run',
      name: 'trip_planner',
      input: '{"args":["Paris"],"kwargs":{}}',
      output: '"Sunny"',
      thread: { id: 'session-tl', name: null },
      userId: 'user-tl',
      // Association properties read as the thread or the user are not repeated as metadata.
      metadata: {},
    });
    expect(entity('task', 'lookup', { 'traceloop.association.properties.tenant': 'acme' }).metadata).toEqual({ tenant: 'acme' });
    expect(entity('task', 'lookup').type).toBe('run');
    expect(entity('agent', 'planner', { 'gen_ai.agent.name': 'planner' }).type).toBe('run');
    expect(entity('tool', 'get_weather')).toMatchObject({ type: 'tool', name: 'get_weather' });
    expect(entity('unknown', 'x')).toMatchObject({ ai: true, type: 'undefined' });
    // The LangChain instrumentation also writes its kind as `gen_ai.operation.name`, a value GenAI does not define.
    expect(entity('workflow', 'chain', { 'gen_ai.operation.name': 'workflow' }).type).toBe('run');
    expect(describeStep(makeSpan('x', { 'gen_ai.operation.name': 'something_new' }))).toMatchObject({ ai: true, type: 'undefined' });
    // OpenLLMetry's rerank instrumentations (llm.request.type = rerank) are no LLM call but a rerank.
    expect(describeStep(notGenerations.traceloopRerank)).toMatchObject({ ai: true, type: 'rerank' });
  });

  // literalai-python's span exporter (literalai/exporter.py, `_create_step_from_span`) reads
  // `traceloop.association.properties.literal.{thread_id,parent_id,root_run_id,metadata,tags,name}`, skipping "None";
  // a later version also reads `literal.thread_id` on the span itself.
  it("reads Literal AI's thread and tags from association properties, ignoring Python's None", () => {
    const step = describeStep(
      makeSpan('openai.chat', {
        'llm.request.type': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'traceloop.association.properties.literal.thread_id': 'thread-literal',
        'traceloop.association.properties.literal.tags': JSON.stringify(['support']),
        'traceloop.association.properties.literal.parent_id': 'None',
      }),
    );
    expect(step).toMatchObject({ ai: true, type: 'llm', thread: { id: 'thread-literal', name: null }, tags: ['support'] });
    expect(step.metadata).toEqual({ 'literal.parent_id': 'None' });
    const none = makeSpan('openai.chat', {
      'llm.request.type': 'chat',
      'traceloop.association.properties.literal.thread_id': 'None',
      'literal.thread_id': 'thread-plain',
    });
    expect(describeStep(none).thread).toEqual({ id: 'thread-plain', name: null });
  });

  it('reads the thread and user from every key, first found wins, genspan and GenAI first', () => {
    const thread = (attributes: Record<string, unknown>) => describeStep(makeSpan('GET /', attributes)).thread?.id ?? null;
    const user = (attributes: Record<string, unknown>) => describeStep(makeSpan('GET /', attributes)).userId;
    expect(thread({ 'gen_ai.conversation.id': 'a', 'session.id': 'b', 'langfuse.session.id': 'c' })).toBe('a');
    expect(thread({ 'session.id': 'b', 'langfuse.session.id': 'c' })).toBe('b');
    expect(thread({ 'langfuse.session.id': 'c' })).toBe('c');
    expect(thread({ 'traceloop.association.properties.thread_id': 'd' })).toBe('d');
    expect(thread({ 'literal.thread_id': 'e' })).toBe('e');
    expect(thread({ 'ai.telemetry.metadata.sessionId': 'f' })).toBe('f');
    expect(user({ 'user.id': 'u1', 'langfuse.user.id': 'u2', 'enduser.id': 'u3' })).toBe('u1');
    expect(user({ 'langfuse.user.id': 'u2', 'enduser.id': 'u3' })).toBe('u2');
    expect(user({ 'enduser.id': 'u3' })).toBe('u3');
    expect(user({ 'traceloop.association.properties.user_id': 'u4' })).toBe('u4');
    expect(describeStep(makeSpan('run', { 'gen_ai.conversation.id': 't', 'genspan.thread.name': 'Trip' })).thread).toEqual({
      id: 't',
      name: 'Trip',
    });
    // A name without an id is no thread.
    expect(describeStep(makeSpan('run', { 'genspan.thread.name': 'Trip' })).thread).toBeNull();
  });

  it("reads a span with no AI work as such: its name, its error and its trace's thread, nothing else", () => {
    const http = makeSpan(
      'POST /chat',
      { 'http.request.method': 'POST', 'session.id': 'session-http', 'enduser.id': 'ada', 'input.value': 'not read', 'tag.tags': ['x'] },
      { status: { code: 2, message: 'upstream failed' }, kind: 2 },
    );
    expect(describeStep(http)).toEqual({
      ai: false,
      type: 'undefined',
      name: 'POST /chat',
      input: null,
      output: null,
      error: 'upstream failed',
      tags: [],
      metadata: {},
      thread: { id: 'session-http', name: null },
      userId: 'ada',
    });
    expect(describeStep(notGenerations.http)).toMatchObject({
      ai: false,
      type: 'undefined',
      name: 'GET /users',
      error: null,
      thread: null,
    });
  });

  it('reads an error from the status, then the exception event, then error.type', () => {
    const exception = { name: 'exception', timeUnixNano: 0n, attributes: { 'exception.type': 'TypeError', 'exception.message': 'boom' } };
    const failed = (status: NormalizedSpan['status'], attributes: Record<string, unknown> = {}, events = [exception]) =>
      describeStep(makeSpan('GET /', attributes, { status, events })).error;
    expect(failed({ code: 2, message: 'status says' })).toBe('status says');
    expect(failed({ code: 2 })).toBe('boom');
    expect(failed({ code: 0 })).toBe('boom');
    expect(failed({ code: 0 }, { 'error.type': 'timeout' }, [])).toBe('timeout');
    expect(failed({ code: 2 }, {}, [])).toBe('error');
    expect(failed({ code: 1 }, {}, [])).toBeNull();
  });

  it('classifies the other spans that give no generation by their convention', () => {
    expect(describeStep(notGenerations.embeddings).type).toBe('embedding');
    expect(describeStep(notGenerations.executeTool)).toMatchObject({ type: 'tool', name: 'search' });
    expect(describeStep(notGenerations.vercelRoot).type).toBe('run');
    expect(describeStep(notGenerations.vercelToolCall)).toMatchObject({ type: 'tool', name: 'search' });
    expect(describeStep(notGenerations.vercelEmbed).type).toBe('embedding');
    expect(describeStep(notGenerations.openInferenceChain)).toMatchObject({ type: 'run', input: 'x' });
    expect(describeStep(notGenerations.langfuseSpan)).toMatchObject({ ai: true, type: 'undefined' });
    // Before `ai.operationId` existed, `operation.name` held the operation.
    expect(describeStep(makeSpan('ai.toolCall', { 'operation.name': 'ai.toolCall weather-bot' })).type).toBe('tool');
  });
});

describe('describeStep on hostile spans', () => {
  it('takes ids given as numbers, and ignores ids, names and kinds of the wrong type', () => {
    expect(describeStep(makeSpan('x', { 'session.id': 42, 'user.id': 7 }))).toMatchObject({ thread: { id: '42' }, userId: '7' });
    expect(describeStep(makeSpan('x', { 'session.id': ['a'], 'user.id': { id: 'u' } }))).toMatchObject({ thread: null, userId: null });
    expect(describeStep(makeSpan('x', { 'session.id': '', 'langfuse.session.id': 'lf' })).thread?.id).toBe('lf');
    expect(describeStep(makeSpan('x', { 'openinference.span.kind': 7 }))).toMatchObject({ ai: true, type: 'undefined' });
    expect(describeStep(makeSpan('x', { 'openinference.span.kind': 'constructor' }))).toMatchObject({ ai: true, type: 'undefined' });
    expect(describeStep(makeSpan('x', { 'genspan.step.type': '__proto__' }))).toMatchObject({ ai: true, type: 'undefined' });
    const odd = describeStep(
      makeSpan('fallback', {
        'genspan.step.name': 12,
        'genspan.step.type': 'tool',
        'genspan.step.input': 12n,
        'genspan.step.output': true,
        'genspan.step.tags': 5,
        'genspan.step.metadata': 'not json',
      }),
    );
    expect(odd).toMatchObject({ name: 'fallback', type: 'tool', input: '12', output: 'true', tags: [], metadata: {} });
    expect(odd.failure).toBeUndefined();
  });

  it('keeps metadata free of __proto__ keys and redacts credentials in every family', () => {
    const step = describeStep(
      makeSpan('x', {
        'openinference.span.kind': 'CHAIN',
        metadata: '{"__proto__":{"polluted":true},"team":"docs"}',
        'ai.telemetry.metadata.apiKey': 'sk-secret',
        'langfuse.observation.metadata.__proto__': 'x',
      }),
    );
    expect(step.metadata).toEqual({ team: 'docs', apiKey: REDACTED });
    expect(Object.getPrototypeOf(step.metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives a span with no attributes object, no status and no events', () => {
    const bare = { ...makeSpan('bare', {}), attributes: null, status: undefined, events: undefined } as unknown as NormalizedSpan;
    expect(describeStep(bare)).toMatchObject({ ai: false, type: 'undefined', name: 'bare', error: null });
  });

  it('never throws: a throwing attribute getter gives a step of no AI work that names the failure', () => {
    const attributes = { 'openinference.span.kind': 'TOOL' };
    Object.defineProperty(attributes, 'input.value', {
      enumerable: true,
      get() {
        throw new Error('hostile getter');
      },
    });
    const step = describeStep(makeSpan('tool', attributes));
    expect(step).toMatchObject({ ai: false, type: 'undefined', name: 'tool', thread: null, userId: null });
    expect(step.failure).toContain('hostile getter');
    const hostileName = {
      get name(): string {
        throw new Error('no name');
      },
    } as unknown as NormalizedSpan;
    expect(describeStep(hostileName)).toMatchObject({ ai: false, name: '' });
  });
});
