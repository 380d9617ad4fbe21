import { describe, expect, it } from 'vitest';
import { CompletionGeneration } from '../../src/generation/generation.js';
import type { ChatGenerationData, CompletionGenerationData } from '../../src/generation/schema.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { translateSpan } from '../../src/translate/translate.js';
import { makeSpan } from './fixtures/handwritten.js';

/** An OpenLLMetry chat span as Python OpenLLMetry writes it (span-conventions.md §3.2), plus `extra` attributes. */
function openLLMetrySpan(extra: Record<string, unknown>) {
  return makeSpan('openai.chat', {
    'gen_ai.system': 'OpenAI',
    'llm.request.type': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.prompt.0.role': 'user',
    'gen_ai.prompt.0.content': 'Hi',
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': 'Hello',
    ...extra,
  });
}

const ASSOCIATION = 'traceloop.association.properties.';

describe("Literal AI's span properties (literalai exporter.py, step.py set_association_properties)", () => {
  it('give the generation its tags, metadata and prompt id (and variables) from association properties', () => {
    const span = openLLMetrySpan({
      [`${ASSOCIATION}literal.thread_id`]: 'thread-1',
      [`${ASSOCIATION}literal.parent_id`]: 'step-9',
      [`${ASSOCIATION}literal.root_run_id`]: 'None',
      [`${ASSOCIATION}literal.tags`]: '["support", "vip"]',
      [`${ASSOCIATION}literal.metadata`]: '{"tenant": "acme"}',
      [`${ASSOCIATION}literal.prompt`]: '{"id": "prompt-3", "name": "greeter", "version": 2, "variables": {"name": "Ada"}}',
      [`${ASSOCIATION}user_tier`]: 'gold',
    });
    const result = translateSpan(span);
    expect(result?.warnings).toEqual([]);
    const generation = result?.generation as ChatGenerationData;
    expect(generation.tags).toEqual(['support', 'vip']);
    expect(generation.promptId).toBe('prompt-3');
    expect(generation.variables).toEqual({ name: 'Ada' });
    expect(generation.metadata).toMatchObject({ tenant: 'acme', user_tier: 'gold', 'literal.thread_id': 'thread-1' });
    // Read as fields, not kept as raw JSON text in metadata; "None" is Literal's unset.
    expect(generation.metadata).not.toHaveProperty('literal.tags');
    expect(generation.metadata).not.toHaveProperty('literal.metadata');
    expect(generation.metadata).not.toHaveProperty('literal.prompt');
  });

  it('reads the bare literal.* keys too, the association property winning, and reports what is unreadable', () => {
    const result = translateSpan(
      openLLMetrySpan({
        'literal.tags': ['a', 'b'],
        'literal.metadata': '{"k": 1}',
        [`${ASSOCIATION}literal.metadata`]: '{"k": 2}',
        'literal.prompt': '{"variables": {"x": 1}}',
      }),
    );
    const generation = result?.generation as ChatGenerationData;
    expect(generation).toMatchObject({ tags: ['a', 'b'], metadata: { k: 2 }, promptId: null, variables: { x: 1 } });
    const bad = translateSpan(openLLMetrySpan({ 'literal.tags': '[1, 2]', 'literal.metadata': '"text"' }));
    expect(bad?.warnings).toEqual(['literal.tags: not a list of strings, not read', 'literal.metadata: not a JSON object, not read']);
  });

  it('adds Literal tags to those the span already gives', () => {
    const result = translateSpan(
      makeSpan('chat gpt-4o', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'langfuse.trace.tags': ['from-langfuse'],
        'literal.tags': '["from-literal"]',
      }),
    );
    expect(result).not.toBeNull();
    expect((result!.generation as ChatGenerationData).tags).toContain('from-literal');
  });
});

describe('template formats on spans', () => {
  it("round-trips templateFormat through genspan's encoding", () => {
    const generation = new CompletionGeneration({
      template: 'Hi {{name}}',
      templateFormat: 'mustache',
      variables: { name: 'Ada' },
      prompt: 'Hi Ada',
    });
    const { name, attributes } = encodeGeneration(generation, { captureContent: true });
    expect(attributes['genspan.template_format']).toBe('mustache');
    const result = translateSpan(makeSpan(name, attributes));
    expect(result?.source).toBe('genspan');
    expect(result?.generation).toMatchObject({ template: 'Hi {{name}}', templateFormat: 'mustache' });
  });

  it("detects the format of another convention's completion template when its variables show it", () => {
    const span = (template: string) =>
      makeSpan('OpenAI', {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-3.5-turbo-instruct',
        'llm.prompts.0.prompt.text': 'Translate chat',
        'llm.prompt_template.template': template,
        'llm.prompt_template.variables': '{"word": "chat"}',
      });
    const mustache = translateSpan(span('Translate {{word}}'))?.generation as CompletionGenerationData;
    expect(mustache).toMatchObject({ type: 'COMPLETION', template: 'Translate {{word}}', templateFormat: 'mustache' });
    const fString = translateSpan(span('Translate {word}'))?.generation as CompletionGenerationData;
    // An f-string, the default, is left unsaid.
    expect(fString.templateFormat).toBeUndefined();
    const plain = translateSpan(span('Translate'));
    expect(plain).not.toBeNull();
    expect((plain!.generation as CompletionGenerationData).templateFormat).toBeUndefined();
  });
});
