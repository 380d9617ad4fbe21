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

// @traceloop/instrumentation-anthropic 0.27 (OpenLLMetry) over @anthropic-ai/sdk 0.137: OTel GenAI parts messages,
// `gen_ai.system_instructions`, no tool definitions at all (the package does not record them).
let captured: Capture;

beforeAll(async () => {
  captured = await capture('traceloop-anthropic', () => startFakeAnthropic());
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openllmetry');
}

describe('@traceloop/instrumentation-anthropic', () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
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
    // The package records neither `stop_sequences` nor the stream flag.
    expect(generation.settings).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 0.9 });
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Stream a greeting' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBe(6);
    expect(generation.outputTokenCount).toBe(6);
  });

  it('gives the tool_use block of the answer as an OpenAI tool call (the tools themselves are not recorded)', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toBeNull();
    expect(generation.messageCompletion).toEqual(toolCallAnswer(FAKE_TOOL_USE_ID));
    expect(generation.metadata.finish_reason).toBe('tool_call');
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
    expect(generation.error).toContain('The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });
});
