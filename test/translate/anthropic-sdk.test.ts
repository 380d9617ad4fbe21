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
} from './support.js';

// @anthropic-ai/sdk 1.x's own spans (`anthropic.messages.create`, scope `com.anthropic.sdk.typescript`), content mode
// on: OTel GenAI parts messages and `gen_ai.system_instructions`; no tool definitions, no sampling settings.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('anthropic-sdk', () => startFakeAnthropic());
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'genai');
}

describe("@anthropic-ai/sdk's own OpenTelemetry spans", () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
    expect(span.name).toBe('anthropic.messages.create');
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, FAKE_ANTHROPIC);
    expect(generation.type).toBe('CHAT');
    expect(generation.settings).toEqual({ max_tokens: 64 });
    expect(generation.tokenCount).toBe(11);
  });

  it('puts the system instructions first among the messages', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    // `gen_ai.request.stop_sequences` is the OpenAI setting `stop`.
    expect(generation.settings).toEqual({ max_tokens: 64, stop: ['END'] });
  });

  it('rebuilds a streamed call with its time to first token', () => {
    const span = captured.stream.spans[0];
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Stream a greeting' },
    ]);
    // The SDK records a streamed answer's content only when its stream helper accumulated it (next test).
    expect(generation.messageCompletion).toBeNull();
    expect(generation.settings).toEqual({ max_tokens: 64, stream: true });
    // `gen_ai.response.time_to_first_chunk` is in seconds.
    expect(generation.ttFirstToken).toBeCloseTo((span.attributes['gen_ai.response.time_to_first_chunk'] as number) * 1000, 6);
    expect(generation.ttFirstToken).toBeGreaterThan(0);
    expect(generation.inputTokenCount).toBe(6);
    expect(generation.outputTokenCount).toBe(6);
  });

  it("rebuilds a call streamed through the SDK's stream helper", () => {
    const generation = translate(captured.streamHelper).generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.ttFirstToken).toBeGreaterThan(0);
  });

  it('gives the tool_use block of the answer as an OpenAI tool call (the tools themselves are not recorded)', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toBeNull();
    expect(generation.messageCompletion).toEqual(toolCallAnswer(FAKE_TOOL_USE_ID));
  });

  it('turns tool_use and tool_result blocks of the input into OpenAI tool calls and tool messages', () => {
    const generation = translate(captured.toolResult).generation as ChatGenerationData;
    expectToolResultMessages(generation, 'toolu_1');
  });

  it('gives each tool result of one user message its own tool message', () => {
    const generation = translate(captured.parallelToolResults).generation as ChatGenerationData;
    expect(generation.messages).toEqual(PARALLEL_TOOL_MESSAGES);
  });

  it('reports a failing call with its error', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const generation = translate(scenario).generation as ChatGenerationData;
    // The span's status has no message; its `error.type` is the API's error type.
    expect(generation.error).toBe('api_error');
    expect(generation.model).toBe('fail-model');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });
});
