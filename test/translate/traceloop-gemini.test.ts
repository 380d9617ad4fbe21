import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatGenerationData } from '../../src/generation/schema.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { startFakeGemini } from '../support/fake-gemini.js';
import {
  type Capture,
  type CapturedScenario,
  capture,
  expectPlainCall,
  toolCallAnswer,
  translateCaptured,
  WEATHER_TOOL,
} from './support.js';

// @traceloop/instrumentation-google-generativeai 0.27 (OpenLLMetry) over @google/genai 1.x: OTel GenAI parts messages,
// `gen_ai.system_instructions`, and `gen_ai.tool.definitions` in Gemini's own shape `[{functionDeclarations: [...]}]`.
let captured: Capture;

beforeAll(async () => {
  captured = await capture('traceloop-gemini', () => startFakeGemini());
}, 120_000);

function translate(scenario: CapturedScenario): TranslationResult {
  return translateCaptured(scenario, 'openllmetry');
}

describe('@traceloop/instrumentation-google-generativeai', () => {
  it('rebuilds a plain call', () => {
    const span = captured.plain.spans[0];
    const generation = translate(captured.plain).generation as ChatGenerationData;
    expectPlainCall(generation, span, { provider: 'gcp.gen_ai', model: 'gemini-fake-flash' });
    expect(generation.settings).toEqual({});
    expect(generation.tokenCount).toBe(11);
    expect(generation.metadata.finish_reason).toBe('stop');
    expect(generation.error).toBeNull();
  });

  it('puts the system instruction first among the messages and reads the settings', () => {
    const generation = translate(captured.system).generation as ChatGenerationData;
    expect(generation.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to Ada' },
    ]);
    expect(generation.settings).toEqual({ temperature: 0.2, top_p: 0.9, max_tokens: 64, stop: ['END'] });
  });

  it('rebuilds a streamed call', () => {
    const generation = translate(captured.stream).generation as ChatGenerationData;
    expect(generation.messages).toEqual([{ role: 'user', content: 'Stream a greeting' }]);
    expect(generation.messageCompletion).toEqual({ role: 'assistant', content: 'Fake reply to: Stream a greeting' });
    expect(generation.inputTokenCount).toBe(3);
    expect(generation.outputTokenCount).toBe(6);
  });

  it('gives one OpenAI-shaped tool per function declaration, and the function call of the answer', () => {
    const generation = translate(captured.tools).generation as ChatGenerationData;
    expect(generation.tools).toEqual([WEATHER_TOOL]);
    // Gemini's function calls have no id.
    expect(generation.messageCompletion).toEqual(toolCallAnswer(undefined));
  });

  it("reads the Python SDK's spelling too: function_declarations, and parametersJsonSchema for parameters", () => {
    const span = captured.tools.spans[0];
    const declaration = {
      name: 'get_weather',
      description: 'Current weather for a location',
      parametersJsonSchema: WEATHER_TOOL.function.parameters,
    };
    const definitions = JSON.stringify([{ function_declarations: [declaration, { ...declaration, name: 'get_time' }] }]);
    const result = translateSpan({ ...span, attributes: { ...span.attributes, 'gen_ai.tool.definitions': definitions } });
    expect(result?.warnings).toEqual([]);
    expect(result?.generation.tools).toEqual([WEATHER_TOOL, { ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, name: 'get_time' } }]);
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
