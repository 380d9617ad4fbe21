import { describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { GenerationSchema } from '../../src/generation/schema.js';
import { isGenerationSpan, translateSpan } from '../../src/translate/translate.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import {
  applicableFields,
  cameThrough,
  expectedCalls,
  fieldsThatMustComeThrough,
  pythonFixture,
  pythonLabels,
  pythonScenarios,
  translateFixture,
} from '../support/python-fixtures.js';

// The Python instrumentations as they emitted spans and log records against a fake OpenAI server
// (scripts/capture-python, fixtures under fixtures/python/<label>/<scenario>.json).

function chat(label: string, scenario: string, index = 0): { span: NormalizedSpan; generation: ChatGenerationData } {
  const translated = translateFixture(pythonFixture(label, scenario))[index];
  return { span: translated.span, generation: translated.result.generation as ChatGenerationData };
}

function attribute(span: NormalizedSpan, key: string): unknown {
  return span.attributes[key];
}

function withoutAttributes(span: NormalizedSpan, drop: (key: string) => boolean): NormalizedSpan {
  return { ...span, attributes: Object.fromEntries(Object.entries(span.attributes).filter(([key]) => !drop(key))) };
}

const msBetween = (from: bigint, to: bigint) => Number(to - from) / 1e6;

describe.each(pythonLabels())('Python %s', (label) => {
  it.each(pythonScenarios(label))('%s: one valid generation per LLM call, with every field the instrumentation sent', (scenario) => {
    const translated = translateFixture(pythonFixture(label, scenario));
    const calls = expectedCalls(label, scenario);
    expect(translated).toHaveLength(calls.length);
    calls.forEach((call, index) => {
      const { result } = translated[index];
      expect(GenerationSchema.safeParse(result.generation).success).toBe(true);
      expect(result.warnings).toEqual([]);
      const generation = result.generation as unknown as Record<string, unknown>;
      const through = applicableFields(call).filter((field) => cameThrough(generation, call, field));
      expect(through).toEqual(fieldsThatMustComeThrough(label, scenario, index, call));
    });
  });
});

describe('OpenInference (openinference-instrumentation-openai 0.1.54)', () => {
  it("takes a stream's time to first token from its First Token Stream Event", () => {
    const { span, generation } = chat('openinference', 'stream');
    const event = span.events.find((item) => item.name === 'First Token Stream Event');
    expect(event).toBeDefined();
    expect(generation.ttFirstToken).toBeCloseTo(msBetween(span.startTimeUnixNano, event!.timeUnixNano), 6);
  });

  it("reads a failed call's model from llm.invocation_parameters, or else from input.value", () => {
    const { span, generation } = chat('openinference', 'fail');
    expect(attribute(span, 'llm.model_name')).toBeUndefined();
    expect(generation.model).toBe('fail-model');
    const bare = withoutAttributes(span, (key) => key === 'llm.invocation_parameters');
    expect(translateSpan(bare)?.generation.model).toBe('fail-model');
  });
});

describe('OpenInference under the OpenAI Agents SDK (openinference-instrumentation-openai-agents 2.0.0)', () => {
  it("reads a streamed run's answer from output.value's Responses object when the flat output messages are missing", () => {
    const { span, generation } = chat('openai-agents', 'streamed');
    const answerOnlyInOutputValue = withoutAttributes(span, (key) => key.startsWith('llm.output_messages.'));
    const output = JSON.parse(attribute(span, 'output.value') as string) as { output: { type: string; content: { type: string }[] }[] };
    expect(output.output[0].type).toBe('message');
    expect(output.output[0].content[0].type).toBe('output_text');
    const translated = translateSpan(answerOnlyInOutputValue)?.generation as ChatGenerationData;
    expect(translated.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Say hello to Ada' });
    expect(translated.messageCompletion).toEqual(generation.messageCompletion);
  });

  it("keeps the response object's own keys that llm.invocation_parameters holds out of the settings", () => {
    const { span, generation } = chat('openai-agents', 'run');
    expect(JSON.parse(attribute(span, 'llm.invocation_parameters') as string)).toMatchObject({ id: 'resp_fake_1', created_at: 1767225600 });
    expect(generation.settings).toEqual({ metadata: {}, parallel_tool_calls: true, temperature: 0.2, tool_choice: 'auto' });
  });

  it("reads a function call output item as the answer's tool call, and the call and its output in the next input", () => {
    const first = chat('openai-agents', 'tools', 0).generation;
    const second = chat('openai-agents', 'tools', 1).generation;
    expect(first.messageCompletion?.tool_calls?.[0]).toEqual({
      id: 'call_fake_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
    });
    expect(second.messages.at(-1)).toEqual({ role: 'tool', content: 'Sunny, 21 C', tool_call_id: 'call_fake_1' });
  });
});

describe('Logfire (logfire 4.41, default span format)', () => {
  it('reads the messages, settings and tools of request_data and the answer and usage of response_data', () => {
    const { span, generation } = chat('logfire', 'chat');
    expect(attribute(span, 'gen_ai.input.messages')).toBeUndefined();
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Say hello to Ada' });
    expect(generation.settings).toMatchObject({ temperature: 0.2, max_tokens: 64, top_p: 0.9, seed: 7 });
    const tools = chat('logfire', 'tools').generation;
    expect(tools.messageCompletion?.tool_calls?.map((call) => call.function?.name)).toEqual(['get_weather']);
  });

  it("makes a stream one generation, from the log-type span that ends it, lasting the stream's duration", () => {
    const fixture = pythonFixture('logfire', 'stream');
    const [request, log] = fixture.spans;
    expect(request.traceId).not.toBe(log.traceId);
    expect(isGenerationSpan(request)).toBe(false);
    expect(translateSpan(request)).toBeNull();
    const translated = translateFixture(fixture);
    expect(translated).toHaveLength(1);
    expect(translated[0].span.spanId).toBe(log.spanId);
    const generation = translated[0].result.generation as ChatGenerationData;
    expect(log.endTimeUnixNano).toBe(log.startTimeUnixNano);
    expect(generation.duration).toBe(attribute(log, 'duration'));
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.settings).toEqual({ stream: true, stream_options: { include_usage: true } });
    expect(generation.ttFirstToken).toBeNull();
  });

  it('keeps a streamed request that failed (no log-type span follows it) as a generation with its error', () => {
    const [request] = pythonFixture('logfire', 'stream').spans;
    const failed: NormalizedSpan = { ...request, status: { code: 2, message: 'APIConnectionError: Connection error.' } };
    expect(isGenerationSpan(failed)).toBe(true);
    const generation = translateSpan(failed)?.generation as ChatGenerationData;
    expect(generation.error).toBe('APIConnectionError: Connection error.');
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
  });
});

describe('openlit 1.45', () => {
  it('takes gen_ai.server.time_to_first_token (seconds) as the time to first token', () => {
    const { span, generation } = chat('openlit', 'stream');
    expect(generation.ttFirstToken).toBeCloseTo((attribute(span, 'gen_ai.server.time_to_first_token') as number) * 1000, 9);
  });

  it('reads the tool definitions that come only in its operation.details log record', () => {
    const fixture = pythonFixture('openlit', 'tools');
    const span = fixture.spans.find(isGenerationSpan)!;
    expect(attribute(span, 'gen_ai.tool.definitions')).toBeUndefined();
    expect(translateSpan(span)?.generation.tools).toBeNull();
    const record = fixture.records.find((item) => item.eventName === 'gen_ai.client.inference.operation.details')!;
    expect(Array.isArray(record.attributes['gen_ai.tool.definitions'])).toBe(true);
    expect(translateSpan(span, [record])?.generation.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a location',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ]);
  });
});

describe('OpenLLMetry (opentelemetry-instrumentation-openai 0.62.1)', () => {
  it("takes a stream's time to first token from its first gen_ai.content.completion.chunk event", () => {
    const { span, generation } = chat('openllmetry', 'stream');
    const first = span.events.find((event) => event.name === 'gen_ai.content.completion.chunk')!;
    expect(generation.ttFirstToken).toBeCloseTo(msBetween(span.startTimeUnixNano, first.timeUnixNano), 6);
  });

  it('reads tool schemas named llm.request.functions.{i}.parameters, as the Python legacy attributes name them', () => {
    const { span } = chat('openllmetry', 'tools');
    const legacy: NormalizedSpan = {
      ...withoutAttributes(span, (key) => key === 'gen_ai.tool.definitions'),
      attributes: {
        ...withoutAttributes(span, (key) => key === 'gen_ai.tool.definitions').attributes,
        'llm.request.functions.0.name': 'get_weather',
        'llm.request.functions.0.description': 'Current weather for a location',
        'llm.request.functions.0.parameters': '{"type":"object","properties":{"location":{"type":"string"}}}',
      },
    };
    expect(translateSpan(legacy)?.generation.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a location',
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
        },
      },
    ]);
  });
});

describe('pydantic-ai 2.33', () => {
  it("reads a tool's result, sent as a user message of one tool_call_response part, as a tool message", () => {
    const { span, generation } = chat('pydantic-ai', 'tools', 1);
    const input = JSON.parse(attribute(span, 'gen_ai.input.messages') as string) as { role: string; parts: { type: string }[] }[];
    expect(input.at(-1)).toMatchObject({ role: 'user', parts: [{ type: 'tool_call_response' }] });
    expect(generation.messages.at(-1)).toEqual({ role: 'tool', content: 'Sunny, 21 C', tool_call_id: 'call_fake_1' });
  });
});
