import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { FAKE_TOOL_USE_ID, startFakeAnthropic } from '../support/fake-anthropic.js';
import {
  type Capture,
  type CapturedScenario,
  capture,
  expectPlainCall,
  expectToolResultMessages,
  FAKE_ANTHROPIC,
  PARALLEL_TOOL_MESSAGES,
  toolCallAnswer,
  translateCaptured,
  WEATHER_TOOL,
} from './support.js';

// openlit 1.15 (npm) over @anthropic-ai/sdk 1.x: OTel GenAI parts messages (the system prompt among them, and again as
// plain-text `gen_ai.system_instructions`), flat `gen_ai.tool.definitions`, `gen_ai.server.time_to_first_token`.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('openlit-anthropic', () => startFakeAnthropic());
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'genai');
}

describe('openlit over @anthropic-ai/sdk', () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, FAKE_ANTHROPIC);
  });

  it('keeps the system prompt once, first', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.settings).toMatchObject({ max_tokens: 64, temperature: 0.2, top_p: 0.9, stop: ['END'] });
  });

  it('reads the time to first token of a stream (seconds) in milliseconds', () => {
    const span = captured.stream.spans[0];
    const seconds = span.attributes['gen_ai.server.time_to_first_token'] as number;
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.ttFirstToken).toBeCloseTo(seconds * 1000, 6);
    expect(generation.ttFirstToken).toBeGreaterThan(0);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
  });

  it("breaks the SDK's messages.stream() helper, so there is no span for it", () => {
    expect(captured.streamHelper.error).toContain('withResponse is not a function');
    expect(captured.streamHelper.spans).toEqual([]);
  });

  it('reads the tool definitions and the tool_use block of the answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    expect(generation.messageCompletion).toEqual(toolCallAnswer(FAKE_TOOL_USE_ID));
  });

  it('turns tool results into tool messages, one each', () => {
    expectToolResultMessages(translate(captured.toolResult).generation as ChatGenerationData, 'toolu_1');
    expect((translate(captured.parallelToolResults).generation as ChatGenerationData).messages).toEqual(PARALLEL_TOOL_MESSAGES);
  });

  it('reports a failing call with its error', () => {
    const generation = translate(captured.fail).generation as ChatGenerationData;
    expect(generation.error).toContain('The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.messageCompletion).toBeNull();
  });
});
