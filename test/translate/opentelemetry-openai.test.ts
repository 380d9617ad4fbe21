import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { FAKE_TOOL_ARGUMENTS } from '../support/fake-openai.js';
import {
  type Capture,
  type CapturedScenario,
  capture,
  expectGreetingChat,
  expectToolResultMessages,
  spanSeconds,
  translateCaptured,
  words,
} from './support.js';

// @opentelemetry/instrumentation-openai 0.21 (span-conventions.md §2): usage and settings on the span, message
// content only in log records (v1.28–v1.36 events; `operation.details` for the Responses API).
let captured: Capture;

beforeAll(async () => {
  captured = await capture('opentelemetry-openai');
}, 120_000);

function translate(scenario: CapturedScenario): { result: TranslationResult; generation: ChatGenerationData } {
  const result = translateCaptured(scenario);
  expect(result.generation.type).toBe('CHAT');
  return { result, generation: result.generation as ChatGenerationData };
}

describe('@opentelemetry/instrumentation-openai', () => {
  it('rebuilds a chat call from the span and its log records', () => {
    const scenario = captured.chat;
    const { result, generation } = translate(scenario);
    expect(result.source).toBe('genai-events');
    expect(result.warnings).toEqual([]);
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    // The instrumentation records these request parameters (it has no key for seed).
    expect(generation.settings).toEqual({
      temperature: 0.2,
      max_tokens: 64,
      top_p: 0.9,
      stop: ['END'],
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
    });
    expect(generation.inputTokenCount).toBe(words('You are terse. Say hello to Ada'));
    expect(generation.outputTokenCount).toBe(words('Fake reply to: Say hello to Ada'));
    expect(generation.tokenCount).toBe(generation.inputTokenCount! + generation.outputTokenCount!);
    expect(generation.duration).toBeCloseTo(spanSeconds(scenario.spans[0]), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(generation.outputTokenCount! / generation.duration!, 6);
    expect(generation.ttFirstToken).toBeNull();
    expect(generation.error).toBeNull();
    expect(generation.tools).toBeNull();
    expect(generation.metadata).toMatchObject({ finish_reason: 'stop' });
  });

  it('without its log records still gives model, settings and usage, and no content', () => {
    const scenario = captured.chat;
    const result = translateSpan(scenario.spans[0]);
    expect(result?.source).toBe('genai');
    const generation = result!.generation as ChatGenerationData;
    expect(generation.messages).toEqual([]);
    expect(generation.messageCompletion).toBeNull();
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.settings.temperature).toBe(0.2);
  });

  it('ignores log records that belong to another span', () => {
    const other = captured.stream.logs;
    const result = translateSpan(captured.chat.spans[0], other);
    expect((result!.generation as ChatGenerationData).messages).toEqual([]);
  });

  it('rebuilds a streamed call, usage included', () => {
    const scenario = captured.stream;
    const { generation } = translate(scenario);
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.settings).toEqual({ temperature: 0.5 });
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
    expect(generation.tokenCount).toBe(9);
    expect(generation.duration).toBeCloseTo(spanSeconds(scenario.spans[0]), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(6 / generation.duration!, 6);
  });

  it('rebuilds the tool call of the answer in the OpenAI shape', () => {
    const { generation } = translate(captured.tools);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
    expect(generation.metadata.finish_reason).toBe('tool_calls');
    // This instrumentation records no tool definitions.
    expect(generation.tools).toBeNull();
  });

  it('keeps assistant tool calls and tool results in the input', () => {
    const { generation } = translate(captured.toolResult);
    expectToolResultMessages(generation);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Sunny, 21 C' });
  });

  it('reads Responses API content from operation.details log records (structured attributes)', () => {
    const scenario = captured.responses;
    expect(scenario.logs.every((log) => log.eventName === 'gen_ai.client.inference.operation.details')).toBe(true);
    const { result, generation } = translate(scenario);
    expect(result.source).toBe('genai-events');
    // `gen_ai.system_instructions` is also on the span as plain text; it is not added a second time.
    expect(generation.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Hello there' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Hello there' });
    expect(generation.settings).toEqual({ temperature: 0.4, max_tokens: 50 });
    expect(generation.inputTokenCount).toBe(words('Answer in French. Hello there'));
    expect(generation.outputTokenCount).toBe(words('Fake reply to: Hello there'));
  });

  it('reports a failing call with its error and its input', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const { generation } = translate(scenario);
    expect(generation.model).toBe('fail-model');
    expect(generation.error).toBe('500 The fake model failed on purpose');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
    expect(generation.tokenCount).toBeNull();
    expect(generation.tokenThroughputInSeconds).toBeNull();
    expect(generation.duration).toBeGreaterThan(0);
  });
});
