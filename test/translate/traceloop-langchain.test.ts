import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { describeStep } from '../../src/translate/step-kind.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { type Capture, type CapturedScenario, capture, expectPlainCall, spanNamed, translateCaptured } from './support.js';

// @traceloop/instrumentation-langchain 0.27 (OpenLLMetry) over @langchain/openai's ChatOpenAI: OTel GenAI parts
// messages and `gen_ai.provider.name`; no settings, no tool definitions and no tool calls (the package drops them).
let captured: Capture;

beforeAll(async () => {
  captured = await capture('traceloop-langchain');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openllmetry');
}

describe('@traceloop/instrumentation-langchain', () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, { provider: 'openai', model: 'gpt-4o-mini' });
    expect(generation.tokenCount).toBe(11);
    expect(generation.error).toBeNull();
  });

  it('keeps the system message (the package records no settings)', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.settings).toEqual({});
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
  });

  it('has neither tools nor the tool call for a call with tools: the package records an empty text answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toBeNull();
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: '' });
    expect(generation.metadata.finish_reason).toBe('tool_call');
  });

  it('reports a failing call with its error', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const generation = translate(scenario).generation as ChatGenerationData;
    expect(generation.error).toBe('500 The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });

  it('traces a prompt template as a workflow span: its variables as input, its rendered messages as output, no template text', () => {
    const span = spanNamed(captured.template, 'workflow prompt');
    const description = describeStep(span);
    expect(description).toMatchObject({ ai: true, input: '{"city":"Lima"}' });
    expect(JSON.parse(description.output ?? '{}').id).toEqual(['langchain_core', 'prompt_values', 'ChatPromptValue']);
    expect(Object.keys(span.attributes).filter((key) => key.includes('template'))).toEqual([]);
  });
});
