import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData, CompletionGenerationData } from '../../src/generation/schema.js';
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
  WEATHER_TOOL,
  words,
} from './support.js';

// @traceloop/instrumentation-openai 0.27 (OpenLLMetry, span-conventions.md §3.3): OTel 1.40 GenAI keys with
// content as JSON attributes, tool definitions in OpenAI's own shape, `gen_ai.usage.total_tokens`.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('traceloop-openai');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openllmetry');
}

describe('@traceloop/instrumentation-openai', () => {
  it('rebuilds a chat call', () => {
    const span = captured.chat.spans[0];
    const generation = translate(captured.chat).generation as ChatGenerationData;
    expect(generation.type).toBe('CHAT');
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    expect(generation.settings).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 0.9, frequency_penalty: 0.1, presence_penalty: 0.3 });
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.outputTokenCount).toBe(7);
    // The source's own total (`gen_ai.usage.total_tokens`).
    expect(span.attributes['gen_ai.usage.total_tokens']).toBe(14);
    expect(generation.tokenCount).toBe(14);
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(7 / spanSeconds(span), 6);
    expect(generation.error).toBeNull();
  });

  it('rebuilds a streamed call (the package records no usage for streams)', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBeNull();
    expect(generation.outputTokenCount).toBeNull();
    expect(generation.tokenCount).toBeNull();
    expect(generation.tokenThroughputInSeconds).toBeNull();
    expect(generation.duration).toBeCloseTo(spanSeconds(captured.stream.spans[0]), 9);
  });

  it('reads tool definitions written in the OpenAI shape and the tool call of the answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
    expect(generation.metadata.finish_reason).toBe('tool_call');
  });

  it('turns parts-schema tool calls and tool results of the input back into OpenAI messages', () => {
    const generation = translate(captured.toolResult).generation as ChatGenerationData;
    expectToolResultMessages(generation);
  });

  it('gives a CompletionGeneration for a legacy completions call', () => {
    const generation = translate(captured.completion).generation as CompletionGenerationData;
    expect(generation.type).toBe('COMPLETION');
    expect(generation.model).toBe('gpt-3.5-turbo-instruct');
    expect(generation.prompt).toBe('Once upon a time');
    expect(generation.completion).toBe('Fake reply to: Once upon a time');
    expect(generation.settings).toEqual({ max_tokens: 20, temperature: 0.7 });
    expect(generation.inputTokenCount).toBe(words('Once upon a time'));
    expect(generation.outputTokenCount).toBe(words('Fake reply to: Once upon a time'));
    expect(generation.tokenCount).toBe(11);
  });

  it('gives a CompletionGeneration for a streamed legacy completions call', () => {
    const generation = translate(captured.completionStream).generation as CompletionGenerationData;
    expect(generation.type).toBe('COMPLETION');
    expect(generation.prompt).toBe('Once upon a time');
    expect(generation.completion).toBe('Fake reply to: Once upon a time');
  });

  it('reports a failing call with its error', () => {
    // A failed chat call's span is never ended by this package, so nothing is exported for it.
    expect(captured.fail.error).toContain('500');
    expect(captured.fail.spans).toEqual([]);
    const scenario = captured.failResponsesStream;
    const generation = translate(scenario).generation as ChatGenerationData;
    expect(scenario.spans[0].status.code).toBe(2);
    expect(generation.error).toBe('500 The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });
});
