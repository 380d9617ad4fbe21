import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { translateSpan } from '../../src/translate/translate.js';
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
  spanSeconds,
  toolCallAnswer,
  translateCaptured,
  WEATHER_TOOL,
} from './support.js';

// @arizeai/openinference-instrumentation-anthropic 0.2 over @anthropic-ai/sdk 1.x: flattened `llm.*` messages (content
// blocks as `message.contents`), the request body as `llm.invocation_parameters` (the system prompt included), tools
// in Anthropic's shape in `llm.tools`.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('openinference-anthropic', () => startFakeAnthropic());
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openinference');
}

describe('@arizeai/openinference-instrumentation-anthropic', () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, FAKE_ANTHROPIC);
    expect(generation.type).toBe('CHAT');
    expect(generation.settings).toEqual({ max_tokens: 64 });
    expect(generation.tokenCount).toBe(11);
    expect(generation.metadata.finish_reason).toBe('end_turn');
  });

  it('makes the system prompt, found only in the invocation parameters, the first message', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Say hello to Ada' });
    expect(generation.settings).toEqual({ max_tokens: 64, temperature: 0.2, top_p: 0.9, stop_sequences: ['END'] });
  });

  it('reads a system prompt given as text blocks', () => {
    const span = captured.system.spans[0];
    const parameters = JSON.parse(span.attributes['llm.invocation_parameters'] as string);
    parameters.system = [
      { type: 'text', text: 'You are terse.' },
      { type: 'text', text: 'Answer in French.' },
    ];
    const attributes = { ...span.attributes, 'llm.invocation_parameters': JSON.stringify(parameters) };
    const generation = translateSpan({ ...span, attributes })?.generation as ChatGenerationData;
    expect(generation.messages[0]).toEqual({ role: 'system', content: 'You are terse.\nAnswer in French.' });
    expect(generation.settings).not.toHaveProperty('system');
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Stream a greeting' },
    ]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.settings).toEqual({ max_tokens: 64, stream: true });
    expect(generation.inputTokenCount).toBe(6);
    expect(generation.outputTokenCount).toBe(6);
    expect(generation.duration).toBeCloseTo(spanSeconds(captured.stream.spans[0]), 9);
  });

  it('gives Anthropic-shaped tools and the tool_use block of the answer in the OpenAI shape', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    expect(generation.messageCompletion).toEqual(toolCallAnswer(FAKE_TOOL_USE_ID));
    expect(generation.metadata.finish_reason).toBe('tool_use');
    expect(generation.settings).toEqual({ max_tokens: 64 });
  });

  it('turns tool_use and tool_result blocks of the input into OpenAI tool calls and tool messages', () => {
    const generation = translate(captured.toolResult).generation as ChatGenerationData;
    expectToolResultMessages(generation, 'toolu_1');
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Sunny, 21 C' });
  });

  it('keeps only the last of several tool results in one user message, as the flattened keys do', () => {
    // The package writes each tool_result block of a message to the same `message.tool_call_id` / `message.content`.
    const generation = translate(captured.parallelToolResults).generation as ChatGenerationData;
    expect(generation.messages.slice(0, 2)).toEqual(PARALLEL_TOOL_MESSAGES.slice(0, 2));
    expect(generation.messages[2]).toEqual(PARALLEL_TOOL_MESSAGES[3]);
    expect(generation.messages).toHaveLength(3);
  });

  it('reports a failing call with its error', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const generation = translate(scenario).generation as ChatGenerationData;
    expect(generation.error).toContain('The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.provider).toBe('anthropic');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });
});
