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
} from './support.js';

// @arizeai/openinference-instrumentation-openai 4 (span-conventions.md §4): flattened `llm.*` messages,
// `llm.invocation_parameters`, `llm.tools`, token counts, raw `input.value` / `output.value`.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('openinference-openai');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openinference');
}

describe('@arizeai/openinference-instrumentation-openai', () => {
  it('rebuilds a chat call with every request parameter as a setting', () => {
    const span = captured.chat.spans[0];
    const generation = translate(captured.chat).generation as ChatGenerationData;
    expect(generation.type).toBe('CHAT');
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    // `llm.invocation_parameters` minus model and content.
    expect(generation.settings).toEqual({
      temperature: 0.2,
      max_tokens: 64,
      top_p: 0.9,
      stop: ['END'],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
    });
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.outputTokenCount).toBe(7);
    expect(generation.tokenCount).toBe(14);
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
    expect(generation.tokenThroughputInSeconds).toBeCloseTo(7 / spanSeconds(span), 6);
    expect(generation.metadata.finish_reason).toBe('stop');
    expect(generation.error).toBeNull();
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.settings).toEqual({ stream: true, stream_options: { include_usage: true } });
    expect(generation.duration).toBeCloseTo(spanSeconds(captured.stream.spans[0]), 9);
  });

  it('reads llm.tools and the flattened tool call of the answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
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
    expect(generation.settings).toEqual({});
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
  });

  it('reads flattened assistant tool calls and tool results of the input', () => {
    const generation = translate(captured.toolResult).generation as ChatGenerationData;
    expectToolResultMessages(generation);
  });

  it('gives a CompletionGeneration for a legacy completions call (plain-text input.value)', () => {
    const generation = translate(captured.completion).generation as CompletionGenerationData;
    expect(generation.type).toBe('COMPLETION');
    expect(generation.prompt).toBe('Once upon a time');
    expect(generation.completion).toBe('Fake reply to: Once upon a time');
    expect(generation.settings).toEqual({ max_tokens: 20, temperature: 0.7 });
    expect(generation.tokenCount).toBe(11);
  });

  it('reads a Responses API call, instructions first', () => {
    const generation = translate(captured.responses).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Hello there' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Hello there' });
    expect(generation.settings).toEqual({ temperature: 0.4 });
  });

  it('has no span to translate for a failing call', () => {
    // The package records only errors thrown synchronously; a rejected API call leaves its span open, unexported.
    expect(captured.fail.error).toContain('500');
    expect(captured.fail.spans).toEqual([]);
  });
});
