import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import type { TranslationResult } from '../../src/translate/types.js';
import {
  type Capture,
  type CapturedScenario,
  capture,
  expectGreetingChat,
  spanSeconds,
  toolCallAnswer,
  translateCaptured,
  WEATHER_TOOL,
} from './support.js';

// openlit 1.15 (npm) over the OpenAI client: OTel GenAI parts messages, `gen_ai.tool.definitions` in the flat shape,
// `gen_ai.usage.cost`, and for streams `gen_ai.server.time_to_first_token` in seconds.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('openlit-openai');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'genai');
}

describe('openlit', () => {
  it('rebuilds a chat call, the system prompt first', () => {
    const span = captured.chat.spans[0];
    const generation = translate(captured.chat).generation as ChatGenerationData;
    expect(generation.type).toBe('CHAT');
    expect(generation.provider).toBe('openai');
    expect(generation.model).toBe('gpt-4o-mini');
    expectGreetingChat(generation);
    expect(generation.settings).toMatchObject({
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
    });
    expect(generation.inputTokenCount).toBe(7);
    expect(generation.outputTokenCount).toBe(7);
    expect(generation.tokenCount).toBe(14);
    expect(generation.duration).toBeCloseTo(spanSeconds(span), 9);
    expect(generation.ttFirstToken).toBeNull();
    expect(generation.error).toBeNull();
  });

  it('reads the time to first token of a stream (seconds) in milliseconds', () => {
    const span = captured.stream.spans[0];
    const seconds = span.attributes['gen_ai.server.time_to_first_token'];
    expect(typeof seconds).toBe('number');
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.ttFirstToken).toBeCloseTo((seconds as number) * 1000, 6);
    expect(generation.ttFirstToken).toBeLessThanOrEqual(spanSeconds(span) * 1000);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
  });

  it('reads the tool definitions and the tool call of the answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    expect(generation.messageCompletion).toEqual(toolCallAnswer('call_fake_1'));
  });

  it('reads the tool call and tool result of the input', () => {
    const generation = translate(captured.toolResult).generation as ChatGenerationData;
    // openlit records the tool message without the id of the call it answers.
    expect(generation.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
      },
      { role: 'tool', content: 'Sunny, 21 C' },
    ]);
  });

  it('reports a failing call with its error', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const generation = translate(scenario).generation as ChatGenerationData;
    expect(generation.error).toBe('500 The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    // openlit records no content for a failed call.
    expect(generation.messages).toEqual([]);
    expect(generation.messageCompletion).toBeNull();
  });
});
