import { describe, expect, it } from 'vitest';
import { ChatGeneration, CompletionGeneration, GenerationValidationError, generationFromJSON } from '../../src/generation/index.js';
import { GenerationRecordSchema } from '../../src/generation/record.js';

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

  it('reads a record whose generation has null collections as generationFromJSON does: one reader for both', () => {
    const sparse = { type: 'COMPLETION', settings: null, variables: null, tags: null, metadata: null, prompt: 'hi' };
    const record = GenerationRecordSchema.parse({
      id: 'r1',
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      parentSpanId: null,
      serviceName: null,
      scope: { name: 'literal' },
      source: 'literal',
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:00:01.000Z',
      status: { code: 0 },
      warnings: [],
      generation: sparse,
    });
    expect(record.generation).toEqual({ type: 'COMPLETION', settings: {}, variables: {}, tags: [], metadata: {}, prompt: 'hi' });
    expect(generationFromJSON(sparse).toJSON()).toMatchObject(record.generation);
  });

  it('reads tool-call arguments given as an object, and writes them as the JSON string of the OpenAI shape', () => {
    const generation = generationFromJSON({
      type: 'CHAT',
      messageCompletion: { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] },
    });
    expect(generation.type === 'CHAT' && generation.messageCompletion?.tool_calls?.[0].function?.arguments).toBe('{"a":1}');
  });

  it("reads tools without type (Anthropic's {name, description, input_schema}, a bare function) into the OpenAI shape", () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const generation = new ChatGeneration({
      tools: [
        { name: 'weather', description: 'Weather of a city', input_schema: schema },
        { name: 'now', parameters: {} },
        { name: 'bare' },
      ],
    });
    expect(generation.toJSON().tools).toEqual([
      { type: 'function', function: { name: 'weather', description: 'Weather of a city', parameters: schema } },
      { type: 'function', function: { name: 'now', parameters: {} } },
      { type: 'function', function: { name: 'bare' } },
    ]);
    // A typed tool that is not a function (a provider's server tool) is kept as it came.
    expect(new ChatGeneration({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }).tools).toEqual([
      { type: 'web_search_20250305', name: 'web_search' },
    ]);
  });

  it('writes templateFormat when set, and detects it on read when the template and variables leave no doubt', () => {
    const mustache = new CompletionGeneration({ template: 'Hi {{name}}', templateFormat: 'mustache', variables: { name: 'Ada' } });
    expect(mustache.toJSON()).toMatchObject({ template: 'Hi {{name}}', templateFormat: 'mustache' });
    expect(generationFromJSON({ type: 'COMPLETION', template: 'Hi {{name}}', variables: { name: 'Ada' } }).templateFormat).toBe('mustache');
    // An f-string, the default, is left unsaid.
    expect(generationFromJSON({ type: 'COMPLETION', template: 'Hi {name}', variables: { name: 'Ada' } }).templateFormat).toBeUndefined();
    const chat = generationFromJSON({
      type: 'CHAT',
      template: [{ role: 'user', content: '{{#items}}- {{.}}\n{{/items}}' }],
      variables: {},
    });
    expect(chat.templateFormat).toBe('mustache');
    // No variable used, or both readings possible: left unset (read as f-string).
    expect(generationFromJSON({ type: 'COMPLETION', template: 'JSON: {{"a": 1}}', variables: {} }).templateFormat).toBeUndefined();
    expect(generationFromJSON({ type: 'COMPLETION', template: '{{{x}}}', variables: { x: 1 } }).templateFormat).toBeUndefined();
    // Said explicitly: kept, even against what detection would say.
    expect(
      generationFromJSON({ type: 'COMPLETION', template: 'Hi {{name}}', templateFormat: 'f-string', variables: { name: 'A' } })
        .templateFormat,
    ).toBe('f-string');
    expect(() => new CompletionGeneration({ templateFormat: 'jinja' as 'mustache' })).toThrow(/templateFormat/);
  });
});
