import { describe, expect, it } from 'vitest';
import { ChatGeneration, CompletionGeneration, GenerationValidationError, generationFromJSON } from '../../src/generation/index.js';

const completionInput = {
  id: 'gen-1',
  promptId: 'prompt-7',
  provider: 'openai',
  model: 'gpt-4o',
  settings: { temperature: 0, max_tokens: 128 },
  variables: { name: 'John' },
  tags: ['greeting'],
  metadata: { team: 'search', nested: { a: [1, 2] } },
  tokenCount: 30,
  inputTokenCount: 10,
  outputTokenCount: 20,
  ttFirstToken: 312.5,
  tokenThroughputInSeconds: 41.2,
  duration: 0.71,
  template: 'Hello, {name}!',
  prompt: 'Hello, John!',
  completion: 'Hi!',
};

describe('generation model', () => {
  it('writes the Chainlit wire JSON for a completion, with type and camelCase keys', () => {
    const json = new CompletionGeneration(completionInput).toJSON();
    expect(json).toEqual({ ...completionInput, error: null, tools: null, type: 'COMPLETION' });
    expect(Object.keys(json)).toContain('tokenThroughputInSeconds');
  });

  it('omits id when unset and writes unset fields as null, like to_dict()', () => {
    const json = new CompletionGeneration({ prompt: 'p' }).toJSON();
    expect(json).not.toHaveProperty('id');
    expect(json).toMatchObject({ provider: null, model: null, settings: {}, variables: {}, tags: [], metadata: {}, completion: null });
  });

  it('round-trips a chat generation through JSON text losslessly, metadata included', () => {
    const chat = new ChatGeneration({
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city": "Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
      messageCompletion: { role: 'assistant', content: 'Sunny in Paris.' },
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather now', parameters: { type: 'object' } } }],
      metadata: { kept: true },
    });
    const text = JSON.stringify(chat);
    const back = generationFromJSON(text);
    expect(back).toBeInstanceOf(ChatGeneration);
    expect(back.toJSON()).toEqual(chat.toJSON());
    expect(back.metadata).toEqual({ kept: true });
  });

  it('dispatches on type when reading JSON', () => {
    expect(generationFromJSON({ type: 'COMPLETION', prompt: 'a' })).toBeInstanceOf(CompletionGeneration);
    expect(generationFromJSON({ type: 'CHAT', messages: [] })).toBeInstanceOf(ChatGeneration);
  });

  it('rejects an unknown type, naming the field', () => {
    expect(() => generationFromJSON({ type: 'EMBEDDING' })).toThrow(GenerationValidationError);
    expect(() => generationFromJSON({ type: 'EMBEDDING' })).toThrow('Invalid generation JSON: type: expected "COMPLETION" or "CHAT"');
  });

  it('rejects negative token counts and non-finite durations with one message naming every bad path', () => {
    let caught: unknown;
    try {
      new CompletionGeneration({ tokenCount: -1, duration: Number.POSITIVE_INFINITY, ttFirstToken: -3 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GenerationValidationError);
    const message = (caught as Error).message;
    expect(message).toMatch(/^Invalid CompletionGeneration: /);
    expect(message).toContain('tokenCount:');
    expect(message).toContain('duration:');
    expect(message).toContain('ttFirstToken:');
    expect((caught as GenerationValidationError).issues.map((i) => i.path).sort()).toEqual(['duration', 'tokenCount', 'ttFirstToken']);
  });

  it('never coerces silently: a string token count is an error', () => {
    expect(() => new ChatGeneration({ inputTokenCount: '12' as unknown as number })).toThrow(/inputTokenCount/);
  });

  it('names nested paths inside messages', () => {
    expect(() => new ChatGeneration({ messages: [{ role: 'user', content: 42 as unknown as string }] })).toThrow(/messages\.0\.content/);
  });

  it('reads the nulls of Chainlit JSON (Optional fields) as empty settings, variables, tags, metadata and messages', () => {
    const generation = generationFromJSON({ type: 'CHAT', settings: null, variables: null, tags: null, metadata: null, messages: null });
    expect(generation).toMatchObject({ settings: {}, variables: {}, tags: [], metadata: {}, messages: [] });
  });

  it('reports invalid JSON text clearly', () => {
    expect(() => generationFromJSON('{not json')).toThrow(/not valid JSON/);
  });
});
