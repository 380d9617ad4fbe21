import { describe, expect, it } from 'vitest';
import { GenerationRecordSchema } from '../../src/generation/record.js';
import { mergeGeneration, mergeLayers } from '../../src/ingest/overlap.js';
import { chatData, completionData, makeRecord } from '../store/fixtures.js';

// The client instrumentation's span: the call as the provider saw it, no template.
const inner = makeRecord({
  trace: 1,
  span: 2,
  source: 'genai',
  warnings: ['inner warning'],
  generation: chatData({
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    settings: { temperature: 0.2 },
    tags: ['client'],
    metadata: { shared: 'inner', innerOnly: 1 },
    inputTokenCount: 12,
    outputTokenCount: 3,
    duration: 0.8,
  }),
});

// genspan's `llm` step around it: the template and what the app knows.
const outer = makeRecord({
  trace: 1,
  span: 1,
  source: 'genspan',
  warnings: ['outer warning'],
  generation: chatData({
    provider: 'openai-compatible',
    model: 'gpt-4o',
    settings: { temperature: 1 },
    promptId: 'prompt-7',
    template: [{ role: 'user', content: 'Say {greeting}' }],
    variables: { greeting: 'hello' },
    tags: ['app', 'client'],
    metadata: { shared: 'outer', outerOnly: 2 },
    messages: [{ role: 'user', content: 'Say hello (as the step saw it)' }],
    messageCompletion: { role: 'assistant', content: 'step output' },
    inputTokenCount: 99,
    outputTokenCount: 99,
    ttFirstToken: 120,
  }),
});

describe('mergeGeneration', () => {
  const merged = mergeGeneration(inner, outer);

  it("keeps the inner span's record: id, span, times, status and source", () => {
    expect(merged).toMatchObject({
      id: inner.id,
      spanId: inner.spanId,
      startTime: inner.startTime,
      endTime: inner.endTime,
      status: inner.status,
      source: 'genai',
    });
  });

  it("keeps the inner span's call: messages, completion, usage, settings, model, provider, timings", () => {
    expect(merged.generation).toMatchObject({
      type: 'CHAT',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      settings: { temperature: 0.2 },
      messages: inner.generation.messages,
      messageCompletion: inner.generation.messageCompletion,
      inputTokenCount: 12,
      outputTokenCount: 3,
      duration: 0.8,
    });
  });

  it("adds the outer span's template, variables and prompt id", () => {
    expect(merged.generation.template).toEqual([{ role: 'user', content: 'Say {greeting}' }]);
    expect(merged.generation.variables).toEqual({ greeting: 'hello' });
    expect(merged.generation.promptId).toBe('prompt-7');
  });

  it('joins tags (union) and metadata (the inner keys win)', () => {
    expect(merged.generation.tags).toEqual(['client', 'app']);
    expect(merged.generation.metadata).toEqual({ shared: 'inner', innerOnly: 1, outerOnly: 2 });
  });

  it('fills what the inner lacks from the outer (a time to first token; messages not yet joined from logs)', () => {
    expect(merged.generation.ttFirstToken).toBe(120);
    const bare = makeRecord({ trace: 1, span: 2, generation: chatData({ messages: [], messageCompletion: null, model: null }) });
    const filled = mergeGeneration(bare, outer).generation;
    expect(filled.messages).toEqual(outer.generation.messages);
    expect(filled.messageCompletion).toEqual(outer.generation.messageCompletion);
    expect(filled.model).toBe('gpt-4o');
  });

  it("takes the error from the inner, else from the outer, and the outer's cost only when the inner has none", () => {
    const failing = makeRecord({ trace: 1, span: 1, generation: chatData({ error: 'outer failed' }) });
    expect(mergeGeneration(inner, failing).generation.error).toBe('outer failed');
    const innerFailing = makeRecord({ trace: 1, span: 2, generation: chatData({ error: 'rate limited' }) });
    expect(mergeGeneration(innerFailing, failing).generation.error).toBe('rate limited');
    expect(merged.cost).toEqual(inner.cost);
    expect(mergeGeneration({ ...inner, cost: null }, outer).cost).toEqual(outer.cost);
  });

  it('keeps the warnings of both sides once', () => {
    expect(merged.warnings).toEqual(['inner warning', 'outer warning']);
  });

  it('takes no typed field from an outer of the other generation type', () => {
    const completion = makeRecord({ trace: 1, span: 1, generation: completionData({ template: 'Once {x}', promptId: 'p' }) });
    const result = mergeGeneration(inner, completion).generation;
    expect(result.type).toBe('CHAT');
    expect(result).not.toHaveProperty('prompt');
    expect(result).not.toHaveProperty('completion');
    expect(result.template ?? null).toBeNull();
    expect(result.promptId).toBe('p');
  });

  it('gives a valid record', () => {
    expect(GenerationRecordSchema.parse(JSON.parse(JSON.stringify(merged)))).toEqual(merged);
  });

  it('is idempotent: merging the result with the same outer again changes nothing', () => {
    expect(mergeGeneration(merged, outer)).toEqual(merged);
    const bare = makeRecord({ trace: 1, span: 2, generation: chatData({ messages: [], messageCompletion: null }) });
    const once = mergeGeneration(bare, outer);
    expect(mergeGeneration(once, outer)).toEqual(once);
  });
});

describe('mergeLayers', () => {
  it('folds a chain outwards: the innermost owns, the outermost addition wins, every layer fills gaps', () => {
    const middle = makeRecord({
      trace: 1,
      span: 3,
      generation: chatData({ template: [{ role: 'user', content: 'framework {t}' }], tags: ['framework'], metadata: { middle: true } }),
    });
    const result = mergeLayers(inner, [middle, outer]);
    expect(result.id).toBe(inner.id);
    expect(result.generation.template).toEqual(outer.generation.template);
    expect(result.generation.tags).toEqual(['client', 'framework', 'app']);
    expect(result.generation.metadata).toEqual({ shared: 'inner', innerOnly: 1, middle: true, outerOnly: 2 });
    expect(mergeLayers(inner, [])).toBe(inner);
  });
});
