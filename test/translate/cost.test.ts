import { describe, expect, it } from 'vitest';
import { translateSpan } from '../../src/translate/translate.js';
import { makeSpan } from './fixtures/handwritten.js';

/** Handwritten spans with the cost attributes each instrumentation records (span-conventions.md §4, §6.2, §6.3). */

const chat = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.usage.input_tokens': 10,
  'gen_ai.usage.output_tokens': 5,
};

describe('span cost attributes', () => {
  it('reads openlit gen_ai.usage.cost as the total, with gen_ai.usage.input_cost / output_cost as its parts', () => {
    expect(translateSpan(makeSpan('chat gpt-4o', { ...chat, 'gen_ai.usage.cost': 0.0125 }))?.cost).toEqual({
      input: undefined,
      output: undefined,
      total: 0.0125,
    });
    const parts = translateSpan(makeSpan('chat gpt-4o', { ...chat, 'gen_ai.usage.input_cost': 0.01, 'gen_ai.usage.output_cost': 0.02 }));
    expect(parts?.cost?.input).toBe(0.01);
    expect(parts?.cost?.total).toBeCloseTo(0.03, 12);
  });

  it('keeps no cost, with a warning, when a figure or the sum of the parts is not finite or is negative', () => {
    const overflow = translateSpan(
      makeSpan('chat gpt-4o', { ...chat, 'gen_ai.usage.input_cost': 1e308, 'gen_ai.usage.output_cost': 1e308 }),
    );
    expect(overflow?.cost).toBeUndefined();
    expect(overflow?.warnings).toContain('cost: not a finite, non-negative amount; the span is kept without its cost');
    expect(translateSpan(makeSpan('chat gpt-4o', { ...chat, 'gen_ai.usage.cost': -1 }))?.cost).toBeUndefined();
    const langfuse = translateSpan(
      makeSpan('generation', {
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'gpt-4o',
        'langfuse.observation.cost_details': JSON.stringify({ input: 1e308, output: 1e308 }),
      }),
    );
    expect(langfuse?.source).toBe('langfuse');
    expect(langfuse?.cost).toBeUndefined();
  });

  it('reads OpenInference llm.cost.*', () => {
    const span = makeSpan('ChatCompletion', {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o',
      'llm.token_count.prompt': 10,
      'llm.token_count.completion': 5,
      'llm.cost.prompt': 0.001,
      'llm.cost.completion': 0.004,
      'llm.cost.total': 0.005,
    });
    const result = translateSpan(span);
    expect(result?.source).toBe('openinference');
    expect(result?.cost).toEqual({ input: 0.001, output: 0.004, total: 0.005 });
  });

  it('reads Langfuse cost_details: its total, else the sum; cached input counts as input', () => {
    const base = {
      'langfuse.observation.type': 'generation',
      'langfuse.observation.model.name': 'gpt-4o',
      'langfuse.observation.input': '[{"role":"user","content":"hi"}]',
    };
    const summed = translateSpan(
      makeSpan('generation', {
        ...base,
        'langfuse.observation.cost_details': JSON.stringify({ input: 0.002, input_cached_tokens: 0.0005, output: 0.01 }),
      }),
    );
    expect(summed?.source).toBe('langfuse');
    expect(summed?.cost?.input).toBeCloseTo(0.0025, 12);
    expect(summed?.cost?.output).toBe(0.01);
    expect(summed?.cost?.total).toBeCloseTo(0.0125, 12);
    const total = translateSpan(makeSpan('generation', { ...base, 'langfuse.observation.cost_details': '{"total": 0.5}' }));
    expect(total?.cost).toEqual({ input: undefined, output: undefined, total: 0.5 });
  });

  it('has no cost without cost attributes, and warns about unreadable ones', () => {
    expect(translateSpan(makeSpan('chat gpt-4o', chat))?.cost).toBeUndefined();
    const bad = translateSpan(makeSpan('chat gpt-4o', { ...chat, 'gen_ai.usage.cost': 'lots' }));
    expect(bad?.cost).toBeUndefined();
    expect(bad?.warnings.join('\n')).toContain('gen_ai.usage.cost');
    const notObject = translateSpan(
      makeSpan('generation', {
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'gpt-4o',
        'langfuse.observation.cost_details': '[1]',
      }),
    );
    expect(notObject?.warnings.join('\n')).toContain('langfuse.observation.cost_details: expected a JSON object');
  });
});
