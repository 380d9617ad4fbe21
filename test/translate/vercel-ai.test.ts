import { beforeAll, describe, expect, it } from 'vitest';
import { type ChatGenerationData, type CompletionGenerationData, GenerationSchema } from '../../src/generation/schema.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { NormalizedSpan, TranslationResult } from '../../src/translate/types.js';
import { FAKE_TOOL_ARGUMENTS } from '../support/fake-openai.js';
import { type Capture, type CapturedScenario, capture, expectGreetingChat, spanNamed, spanSeconds } from './support.js';

// `ai` 6 + `@ai-sdk/openai` 3 with experimental_telemetry (span-conventions.md §5.1): a root `ai.generateText` /
// `ai.streamText` span repeating the usage of the per-call `doGenerate` / `doStream` spans under it.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('vercel-ai');
}, 120_000);

/** Translates every span of a scenario; only the per-call spans may give generations. */
function generations(scenario: CapturedScenario): { span: NormalizedSpan; result: TranslationResult }[] {
  const out: { span: NormalizedSpan; result: TranslationResult }[] = [];
  for (const span of scenario.spans) {
    const result = translateSpan(span);
    if (!result) continue;
    expect(GenerationSchema.safeParse(result.generation).success).toBe(true);
    expect(result.source).toBe('vercel-ai');
    expect(result.warnings).toEqual([]);
    out.push({ span, result });
  }
  return out;
}

function only(scenario: CapturedScenario, spanName: string): ChatGenerationData {
  const found = generations(scenario);
  expect(found).toHaveLength(1);
  expect(found[0].span.name).toBe(spanName);
  return found[0].result.generation as ChatGenerationData;
}

describe('Vercel AI SDK (ai.* telemetry)', () => {
  it('rebuilds a generateText call from its doGenerate span only', () => {
    const generation = only(captured.chat, 'ai.generateText.doGenerate');
    const span = spanNamed(captured.chat, 'ai.generateText.doGenerate');
    expect(translateSpan(spanNamed(captured.chat, 'ai.generateText'))).toBeNull();
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    expect(generation.settings).toEqual({
      temperature: 0.2,
      max_tokens: 64,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      maxRetries: 0,
    });
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.outputTokenCount).toBe(7);
    expect(generation.tokenCount).toBe(14);
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(7 / spanSeconds(span), 6);
    expect(generation.tags).toEqual(['fixture', 'vercel']);
    // Telemetry metadata is kept, with credentials redacted as settings are.
    expect(generation.metadata).toMatchObject({ userId: 'user-7', apiKey: '[REDACTED]', function_id: 'greeter', finish_reason: 'stop' });
    expect(generation.error).toBeNull();
  });

  it('takes time to first token and throughput of a streamText call from the SDK', () => {
    const generation = only(captured.stream, 'ai.streamText.doStream');
    const span = spanNamed(captured.stream, 'ai.streamText.doStream');
    expect(translateSpan(spanNamed(captured.stream, 'ai.streamText'))).toBeNull();
    expect(generation.ttFirstToken).toBe(span.attributes['ai.response.msToFirstChunk']);
    expect(generation.ttFirstToken).toBeGreaterThan(0);
    expect(generation.ttFirstToken! / 1000).toBeLessThanOrEqual(spanSeconds(span));
    expect(generation.tokenThroughputInSeconds).toBe(span.attributes['ai.response.avgOutputTokensPerSecond']);
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
    expect(generation.tokenCount).toBe(9);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
  });

  it('reads Vercel tool definitions (inputSchema) and tool calls into the OpenAI shape', () => {
    const generation = only(captured.tools, 'ai.generateText.doGenerate');
    expect(generation.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a location',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
    expect(generation.settings).toMatchObject({ tool_choice: { type: 'auto' } });
    expect(generation.metadata.finish_reason).toBe('tool-calls');
  });

  it('gives one generation per LLM call of a multi-step tool loop', () => {
    const scenario = captured.toolLoop;
    expect(scenario.spans.map((span) => span.name).sort()).toEqual([
      'ai.generateText',
      'ai.generateText.doGenerate',
      'ai.generateText.doGenerate',
      'ai.toolCall',
    ]);
    const found = generations(scenario);
    expect(found).toHaveLength(2);
    const [first, second] = found.map((item) => item.result.generation as ChatGenerationData);
    expect(first.messageCompletion?.tool_calls?.[0].function?.name).toBe('get_weather');
    // The second call sees the tool call and its result, converted from Vercel's tool-call / tool-result parts.
    expect(second.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
      },
      { role: 'tool', content: 'Sunny, 21 C', tool_call_id: 'call_fake_1' },
    ]);
    expect(second.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Sunny, 21 C' });
  });

  it('gives a CompletionGeneration for a completions-API model', () => {
    const found = generations(captured.completion);
    expect(found).toHaveLength(1);
    const generation = found[0].result.generation as CompletionGenerationData;
    expect(generation.type).toBe('COMPLETION');
    expect(generation.model).toBe('gpt-3.5-turbo-instruct');
    expect(generation.prompt).toBe('Once upon a time');
    // @ai-sdk/openai sends the prompt in a chat-like transcript; the fake echoes it.
    expect(generation.completion).toBe(found[0].span.attributes['ai.response.text']);
    expect(generation.tokenCount).toBe(generation.inputTokenCount! + generation.outputTokenCount!);
  });

  it('reports a failing call with its error', () => {
    expect(captured.fail.error).toContain('failed on purpose');
    const generation = only(captured.fail, 'ai.generateText.doGenerate');
    expect(generation.error).toBe('The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
    expect(generation.tokenCount).toBeNull();
  });
});
