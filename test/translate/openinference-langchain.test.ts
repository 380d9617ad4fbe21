import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { describeStep } from '../../src/translate/step-kind.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { FAKE_TOOL_ARGUMENTS } from '../support/fake-openai.js';
import { type Capture, type CapturedScenario, capture, expectPlainCall, spanNamed, translateCaptured, WEATHER_TOOL } from './support.js';

// @arizeai/openinference-instrumentation-langchain 4 over @langchain/openai's ChatOpenAI: flattened `llm.*` messages,
// the provider only as LangChain's `metadata.ls_provider` (and the answer's `response_metadata.model_provider`).
let captured: Capture;

beforeAll(async () => {
  captured = await capture('openinference-langchain');
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openinference');
}

describe('@arizeai/openinference-instrumentation-langchain', () => {
  it('rebuilds a plain call, its provider from the run metadata', () => {
    const span = captured.plain.spans[0];
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, { provider: 'openai', model: 'gpt-4o-mini' });
    expect(generation.settings).toEqual({ stream: false });
    expect(generation.tokenCount).toBe(11);
    expect(generation.metadata.ls_provider).toBe('openai');
    expect(generation.error).toBeNull();
  });

  it('reads the provider from the answer when the run metadata lacks it', () => {
    const span = captured.plain.spans[0];
    const metadata = JSON.parse(span.attributes.metadata as string);
    delete metadata.ls_provider;
    const result = translateSpan({ ...span, attributes: { ...span.attributes, metadata: JSON.stringify(metadata) } });
    expect(result?.generation.provider).toBe('openai');
  });

  it('keeps the system message and the settings', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.settings).toEqual({ temperature: 0.2, max_tokens: 64, stream: false });
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.provider).toBe('openai');
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
  });

  it('reads the bound tools and the tool call of the answer (the package leaves out its id)', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    expect(generation.messageCompletion).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS } }],
    });
    expect(generation.metadata.finish_reason).toBe('tool_calls');
  });

  it('reports a failing call with its error', () => {
    const scenario = captured.fail;
    expect(scenario.error).toContain('500');
    const generation = translate(scenario).generation as ChatGenerationData;
    expect(generation.error).toContain('500 The fake model failed on purpose');
    expect(generation.model).toBe('fail-model');
    expect(generation.provider).toBe('openai');
    expect(generation.messages).toEqual([{ role: 'user', content: 'This will fail' }]);
    expect(generation.messageCompletion).toBeNull();
  });

  it('describes a prompt template step by its variables and template text (the package writes the first message only)', () => {
    const description = describeStep(spanNamed(captured.template, 'ChatPromptTemplate'));
    expect(description).toMatchObject({
      ai: true,
      type: 'undefined',
      input: '{"city":"Lima"}',
      metadata: { 'llm.prompt_template.template': 'You are terse.' },
    });
    expect(JSON.parse(description.output ?? '{}').kwargs.messages).toHaveLength(2);
  });
});
