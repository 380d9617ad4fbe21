import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData, CompletionGenerationData } from '../../src/generation/schema.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { FAKE_TOOL_ARGUMENTS } from '../support/fake-openai.js';
import { type Capture, type CapturedScenario, capture, expectGreetingChat, spanSeconds, translateCaptured } from './support.js';

// @langfuse/tracing 5 generations (span-conventions.md §6.3) recorded around real calls to the fake server.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('langfuse');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'langfuse');
}

describe('@langfuse/tracing', () => {
  it('rebuilds a chat generation with its model parameters, usage and prompt reference', () => {
    const span = captured.chat.spans[0];
    const generation = translate(captured.chat).generation as ChatGenerationData;
    expect(generation.type).toBe('CHAT');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    expect(generation.settings).toEqual({ temperature: 0.2, max_tokens: 64 });
    // usageDetails given in OpenAI's usage shape.
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.outputTokenCount).toBe(7);
    expect(generation.tokenCount).toBe(14);
    expect(generation.promptId).toBe('greeting');
    expect(generation.metadata).toEqual({ prompt_version: 3, team: 'docs' });
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(7 / spanSeconds(span), 6);
    expect(generation.error).toBeNull();
  });

  it('takes time to first token from completionStartTime of a streamed call', () => {
    const span = captured.stream.spans[0];
    const generation = translate(captured.stream).generation as ChatGenerationData;
    const recorded = JSON.parse(span.attributes['langfuse.observation.completion_start_time'] as string) as string;
    const startMs = Number(span.startTimeUnixNano) / 1e6;
    expect(generation.ttFirstToken).toBeCloseTo(Date.parse(recorded) - startMs, 3);
    expect(generation.ttFirstToken).toBeGreaterThanOrEqual(0);
    expect(generation.ttFirstToken! / 1000).toBeLessThanOrEqual(spanSeconds(span));
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    // usageDetails given as Langfuse's {input, output, total}.
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
    expect(generation.tokenCount).toBe(9);
    expect(generation.settings).toEqual({ stream: 'true' });
  });

  it('gives a CompletionGeneration when the input is a plain prompt', () => {
    const generation = translate(captured.completion).generation as CompletionGenerationData;
    expect(generation.type).toBe('COMPLETION');
    expect(generation.prompt).toBe('Once upon a time');
    expect(generation.completion).toBe('Fake reply to: Once upon a time');
    expect(generation.inputTokenCount).toBe(4);
    expect(generation.outputTokenCount).toBe(7);
    // No total given: input plus output.
    expect(generation.tokenCount).toBe(11);
  });

  it('reads tools from a request-shaped input and the tool call of the output', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Weather in Paris?' }]);
    expect(generation.tools?.map((tool) => tool.function?.name)).toEqual(['get_weather']);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
  });

  it('reports a failing call from its level and status message', () => {
    expect(captured.fail.error).toContain('500');
    const generation = translate(captured.fail).generation as ChatGenerationData;
    expect(generation.error).toBe('500 The fake model failed on purpose');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
    expect(generation.tokenCount).toBeNull();
  });
});
