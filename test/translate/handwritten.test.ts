import { describe, expect, it } from 'vitest';
import { toGeneration } from '../../src/generation/generation.js';
import {
  type ChatGenerationData,
  type CompletionGenerationData,
  type GenerationData,
  GenerationSchema,
} from '../../src/generation/schema.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { TranslationResult } from '../../src/translate/types.js';
import * as fixtures from './fixtures/handwritten.js';

function translate(fixture: fixtures.HandwrittenFixture): TranslationResult {
  const result = translateSpan(fixture.span, fixture.logs);
  expect(result, fixture.cite).not.toBeNull();
  expect(GenerationSchema.safeParse(result!.generation).success).toBe(true);
  expect(result!.warnings).toEqual([]);
  return result!;
}

const chat = (result: TranslationResult) => result.generation as ChatGenerationData;
const completion = (result: TranslationResult) => result.generation as CompletionGenerationData;

describe('OpenLLMetry legacy keys (§3.2)', () => {
  it('rebuilds messages, content parts, tool definitions, tool calls, usage and template variables', () => {
    const result = translate(fixtures.openllmetryLegacyChat);
    expect(result.source).toBe('openllmetry-legacy');
    const generation = chat(result);
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-2024-08-06');
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather here?' },
          { type: 'image_url', image_url: { url: 'https://example.com/sky.png' } },
        ],
      },
    ]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lyon"}' } }],
    });
    expect(generation.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ]);
    expect(generation.settings).toEqual({ max_tokens: 256, temperature: 0.3, top_p: 0.95, frequency_penalty: 0.5, presence_penalty: 0.25 });
    expect(generation.inputTokenCount).toBe(42);
    expect(generation.outputTokenCount).toBe(9);
    expect(generation.tokenCount).toBe(51);
    expect(generation.variables).toEqual({ city: 'Lyon' });
    expect(generation.promptId).toBe('weather-bot');
    expect(generation.metadata).toEqual({ finish_reason: 'tool_calls', prompt_version: 4, session_id: 'session-9' });
    expect(generation.duration).toBe(fixtures.DURATION_SECONDS);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(9 / fixtures.DURATION_SECONDS, 9);
  });

  it('gives a CompletionGeneration for llm.request.type=completion, reading the cohere `.user` key', () => {
    const result = translate(fixtures.openllmetryLegacyCompletion);
    expect(result.source).toBe('openllmetry-legacy');
    const generation = completion(result);
    expect(generation.type).toBe('COMPLETION');
    expect(generation.provider).toBe('cohere');
    expect(generation.prompt).toBe('Write a haiku about rain');
    expect(generation.completion).toBe('Soft rain on tin roofs');
    expect(generation.settings).toEqual({ top_k: 40, stop: ['\n\n'] });
    expect(generation.tokenCount).toBe(11);
  });
});

describe('older GenAI events (§1.3)', () => {
  it('reads v1.28–v1.36 message events recorded as span events', () => {
    const result = translate(fixtures.genaiSpanEvents);
    expect(result.source).toBe('genai-events');
    const generation = chat(result);
    expect(generation.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Weather in Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } }],
      },
      { role: 'tool', content: 'Rainy', tool_call_id: 'call_a' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'It is rainy in Rome.' });
    expect(generation.metadata.finish_reason).toBe('stop');
  });

  it('reads them as log records, taking choice 0 and tool calls given beside the message', () => {
    const result = translate(fixtures.genaiLogEvents);
    expect(result.source).toBe('genai-events');
    const generation = chat(result);
    expect(generation.messages).toEqual([{ role: 'user', content: 'Weather in Oslo?' }]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_o', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } }],
    });
    expect(generation.metadata.finish_reason).toBe('tool_calls');
  });

  it('reads the v1.26/v1.27 content events and v1.26 usage keys', () => {
    const result = translate(fixtures.genaiContentEvents);
    const generation = chat(result);
    expect(generation.messages).toEqual([{ role: 'user', content: 'Capital of Peru?' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Lima.' });
    expect(generation.inputTokenCount).toBe(11);
    expect(generation.outputTokenCount).toBe(3);
    expect(generation.tokenCount).toBe(14);
  });
});

describe('GenAI v1.37+ attributes (§1.2–§1.5)', () => {
  it('reads structured AnyValue attributes (as OTLP decoding gives them) and converts every unit', () => {
    const result = translate(fixtures.genaiStructured);
    expect(result.source).toBe('genai');
    const generation = chat(result);
    expect(generation.provider).toBe('anthropic');
    expect(generation.model).toBe('claude-sonnet-20260101');
    expect(generation.messages).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi Grace' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      },
    ]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"name":"Grace"}' } }],
    });
    expect(generation.tools).toEqual([
      { type: 'function', function: { name: 'lookup', description: 'Find a person', parameters: { type: 'object' } } },
    ]);
    expect(generation.settings).toEqual({ temperature: 0.1, top_k: 20, seed: 3, stop: ['STOP'], n: 1, stream: true, output_type: 'text' });
    // Seconds on the span, milliseconds in the generation.
    expect(generation.ttFirstToken).toBe(250);
    expect(generation.tokenCount).toBe(40);
    expect(generation.variables).toEqual({ name: 'Grace' });
    expect(generation.promptId).toBe('greeter');
    expect(generation.metadata).toEqual({ finish_reason: 'tool_call', cache_read_input_tokens: 8 });
  });

  it('gives a CompletionGeneration for text_completion', () => {
    const generation = completion(translate(fixtures.genaiTextCompletion));
    expect(generation.type).toBe('COMPLETION');
    expect(generation.prompt).toBe('Roses are red,');
    expect(generation.completion).toBe(' violets are blue');
  });
});

describe('Vercel AI SDK v3/v4 (§5.1)', () => {
  it('reads v3 result keys, v3 usage keys and ai.stream.msToFirstChunk', () => {
    const result = translate(fixtures.vercelV3);
    expect(result.source).toBe('vercel-ai');
    const generation = chat(result);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Why did the chicken...' });
    expect(generation.inputTokenCount).toBe(10);
    expect(generation.outputTokenCount).toBe(30);
    expect(generation.tokenCount).toBe(40);
    expect(generation.ttFirstToken).toBe(180.5);
    // No throughput attribute in v3: output tokens over the span's duration.
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(30 / fixtures.DURATION_SECONDS, 9);
    expect(generation.settings).toEqual({ max_tokens: 100, temperature: 0.9 });
  });

  it('reads v4 tool shapes (parameters, args, result) and avgCompletionTokensPerSecond', () => {
    const generation = chat(translate(fixtures.vercelV4));
    expect(generation.tools?.[0]).toEqual({
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather',
        parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      },
    });
    expect(generation.messages).toEqual([
      { role: 'user', content: 'Weather in Nice?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Nice"}' } }],
      },
      { role: 'tool', content: '{"sky":"clear"}', tool_call_id: 'c1' },
    ]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Cannes"}' } }],
    });
    expect(generation.tokenThroughputInSeconds).toBe(50);
    expect(generation.ttFirstToken).toBe(95);
    expect(generation.tags).toEqual(['v4']);
    expect(generation.metadata).toEqual({ function_id: 'weather', finish_reason: 'tool-calls' });
  });
});

describe('Vercel AI SDK v7 @ai-sdk/otel (§5.2)', () => {
  it('skips the invoke_agent and agent_step aggregates', () => {
    expect(translateSpan(fixtures.vercelOtelAgent.span)).toBeNull();
    expect(translateSpan(fixtures.vercelOtelStep.span)).toBeNull();
  });

  it('reads the chat span: inputSchema tools, metric-named timing attributes, runtime context', () => {
    const result = translate(fixtures.vercelOtelChat);
    expect(result.source).toBe('vercel-ai-otel');
    const generation = chat(result);
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You plan trips.' },
      { role: 'user', content: 'Plan Lisbon' },
    ]);
    expect(generation.tools).toEqual([
      {
        type: 'function',
        function: { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
      { type: 'extension', name: 'openai.web_search' },
    ]);
    expect(generation.messageCompletion?.tool_calls).toEqual([
      { id: 't1', type: 'function', function: { name: 'search', arguments: '{"q":"Lisbon"}' } },
    ]);
    expect(generation.ttFirstToken).toBe(400);
    // The span's own times win over gen_ai.client.operation.duration.
    expect(generation.duration).toBe(fixtures.DURATION_SECONDS);
    expect(generation.settings).toEqual({ max_tokens: 500, temperature: 0 });
    expect(generation.metadata).toEqual({ finish_reason: 'tool-calls', tenant: 'acme' });
  });
});

describe('OpenInference spec forms (§4)', () => {
  it('reads llm.prompts / llm.choices, the prompt template and redacts credentials in invocation parameters', () => {
    const result = translate(fixtures.openInferenceCompletion);
    expect(result.source).toBe('openinference');
    const generation = completion(result);
    expect(generation.type).toBe('COMPLETION');
    expect(generation.prompt).toBe('Summarize: the cat sat');
    expect(generation.completion).toBe('A cat sat.');
    expect(generation.template).toBe('Summarize: {text}');
    expect(generation.variables).toEqual({ text: 'the cat sat' });
    expect(generation.settings).toEqual({ temperature: 0, api_key: '[REDACTED]', headers: '[REDACTED]' });
    expect(generation.provider).toBe('azure.ai.openai');
    expect(generation.tags).toEqual(['summaries']);
    expect(generation.metadata).toEqual({ prompt_version: 'v2', experiment: 'e1' });
    expect(generation.tokenCount).toBe(8);
  });

  it('reads message.contents parts and the time to first token openinference-vercel keeps in metadata', () => {
    const generation = chat(translate(fixtures.openInferenceContents));
    expect(generation.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    expect(generation.ttFirstToken).toBe(210);
  });

  it('reads a failed chat call: the error, the request, and the chat template kept in metadata', () => {
    const result = translate(fixtures.openInferenceChatError);
    expect(result.source).toBe('openinference');
    const generation = chat(result);
    expect(generation.error).toBe('429 Rate limit reached for gpt-4o-mini');
    expect(generation.messages).toEqual([{ role: 'user', content: 'Translate: good morning' }]);
    expect(generation.messageCompletion).toBeNull();
    expect(generation.model).toBe('gpt-4o-mini');
    expect(generation.settings).toEqual({ temperature: 0.3 });
    expect(generation.variables).toEqual({ phrase: 'good morning' });
    expect(generation.metadata).toEqual({ prompt_template: 'Translate: {phrase}' });
    expect(generation.duration).toBe(fixtures.DURATION_SECONDS);
  });
});

describe('which spans are generations (§9)', () => {
  for (const [name, span] of Object.entries(fixtures.notGenerations)) {
    it(`gives null for ${name}`, () => {
      expect(translateSpan(span)).toBeNull();
    });
  }
});

describe("genspan's own encoding", () => {
  const samples: GenerationData[] = [
    {
      type: 'CHAT',
      id: 'gen-1',
      promptId: 'prompt-1',
      provider: 'openai',
      model: 'gpt-4o',
      error: null,
      settings: { temperature: 0.5, max_tokens: 100, api_key: 'sk-secret' },
      variables: { name: 'Ada', n: 2 },
      tags: ['a', 'b'],
      metadata: { k: 'v' },
      tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' } } }],
      tokenCount: 30,
      inputTokenCount: 20,
      outputTokenCount: 10,
      ttFirstToken: 120.5,
      tokenThroughputInSeconds: 8.25,
      duration: 1.2,
      template: [{ role: 'user', content: 'Hi {name}' }],
      messages: [
        { role: 'system', content: 'Be nice' },
        { role: 'user', content: 'Hi Ada' },
      ],
      messageCompletion: {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }],
      },
    },
    {
      type: 'COMPLETION',
      promptId: null,
      provider: 'openai',
      model: 'davinci',
      error: 'boom',
      settings: {},
      variables: {},
      tags: [],
      metadata: {},
      tools: null,
      tokenCount: null,
      inputTokenCount: 3,
      outputTokenCount: null,
      ttFirstToken: null,
      tokenThroughputInSeconds: null,
      duration: 0.5,
      template: 'Say {x}',
      prompt: 'Say hi',
      completion: 'hi',
    },
  ];

  for (const data of samples) {
    it(`round-trips a ${data.type} generation exactly`, () => {
      const { name, attributes } = encodeGeneration(data, { captureContent: true });
      const span = fixtures.makeSpan(name, attributes);
      const result = translateSpan(span);
      expect(result?.source).toBe('genspan');
      const expected = data.type === 'CHAT' ? { ...data, settings: { ...data.settings, api_key: '[REDACTED]' } } : data;
      // Compared as Chainlit wire JSON, which writes `id` only when set.
      expect(toGeneration(result!.generation).toJSON()).toEqual(toGeneration(expected).toJSON());
    });
  }
});
