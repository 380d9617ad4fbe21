import { describe, expect, it } from 'vitest';
import { ChatGeneration, CompletionGeneration } from '../../src/generation/index.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { messageFromParts, messageToParts, toolFromDefinition, toolToDefinition } from '../../src/semconv/messages.js';
import { decodeGeneration } from '../../src/translate/conventions/genspan.js';

describe('OpenAI messages <-> GenAI parts', () => {
  it('maps text, images, tool calls and tool results to the parts schema and back', () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://example.test/cat.png', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      { role: 'user', name: 'ada', content: 'thanks', uuid: 'u-1', templated: true },
    ];
    const parts = messages.map(messageToParts);
    expect(parts[0].parts).toEqual([
      { type: 'text', content: 'What is this?' },
      { type: 'uri', modality: 'image', uri: 'https://example.test/cat.png', detail: 'low' },
    ]);
    expect(parts[1].parts).toEqual([{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: { q: 'cat' } }]);
    expect(parts[2]).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: 'a cat' }] });
    expect(parts[3]).toMatchObject({ role: 'user', name: 'ada', uuid: 'u-1', templated: true });
    expect(parts.map(messageFromParts)).toEqual(messages);
  });

  it("gives a tool message for a user message holding only a tool result (Anthropic's tool_result block)", () => {
    const message = { role: 'user', parts: [{ type: 'tool_call_response', id: 'toolu_1', response: 'Sunny' }] };
    expect(messageFromParts(message)).toEqual({ role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' });
  });

  it('keeps non-canonical tool-call argument text exactly', () => {
    const message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{ "spaced" : 1 }' } }],
    };
    expect(messageToParts(message).parts[0].arguments).toBe('{ "spaced" : 1 }');
    expect(messageFromParts(messageToParts(message))).toEqual(message);
  });

  it('turns data-URL images into blob parts and back', () => {
    const message = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] };
    expect(messageToParts(message).parts[0]).toEqual({ type: 'blob', modality: 'image', mime_type: 'image/png', content: 'AAAA' });
    expect(messageFromParts(messageToParts(message))).toEqual(message);
  });

  it('reads tool definitions in every shape seen in the wild into the OpenAI shape', () => {
    const openai = { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } };
    expect(toolToDefinition(openai)).toEqual({ type: 'function', name: 'f', description: 'd', parameters: { type: 'object' } });
    expect(toolFromDefinition(toolToDefinition(openai))).toEqual(openai);
    expect(toolFromDefinition(openai)).toEqual(openai);
    expect(toolFromDefinition({ type: 'function', name: 'f', description: 'd', inputSchema: { type: 'object' } })).toEqual(openai);
    expect(toolFromDefinition({ name: 'f', description: 'd', input_schema: { type: 'object' } })).toEqual(openai);
    expect(toolFromDefinition({ type: 'extension', name: 'web_search' })).toEqual({ type: 'extension', name: 'web_search' });
  });
});

describe('messageFromParts: the message fields', () => {
  it("reads a GenAI message's own fields (finish_reason among them) and carries any other key along", () => {
    const message = messageFromParts({
      role: 'assistant',
      name: 'bot',
      parts: [{ type: 'text', content: 'hi' }],
      finish_reason: 'stop',
      refusal: null,
    });
    expect(message).toEqual({ role: 'assistant', name: 'bot', content: 'hi', refusal: null });
  });
});

describe('encodeGeneration / decodeGeneration', () => {
  it('round-trips variables of any type and string-only variables without a JSON copy', () => {
    const typed = encodeGeneration(new CompletionGeneration({ variables: { n: 3, list: ['a'], s: 'x' } }), { captureContent: true });
    expect(typed.attributes['genspan.variables']).toBe('{"n":3,"list":["a"],"s":"x"}');
    expect(decodeGeneration(typed.attributes).generation.variables).toEqual({ n: 3, list: ['a'], s: 'x' });
    const strings = encodeGeneration(new CompletionGeneration({ variables: { s: 'x' } }), { captureContent: true });
    expect(strings.attributes['genspan.variables']).toBeUndefined();
    expect(decodeGeneration(strings.attributes).generation.variables).toEqual({ s: 'x' });
  });

  it('turns unreadable attributes into warnings, never exceptions', () => {
    const { generation, warnings } = decodeGeneration({
      'genspan.generation.type': 'CHAT',
      'gen_ai.input.messages': '[{not json',
      'gen_ai.usage.input_tokens': -4,
      'genspan.settings': '"a string"',
    });
    expect(generation.type).toBe('CHAT');
    expect(generation.inputTokenCount).toBeNull();
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/gen_ai\.input\.messages: not valid JSON/);
  });

  it('names the span after the operation and model', () => {
    expect(encodeGeneration(new ChatGeneration({ model: 'gpt-4o' })).name).toBe('chat gpt-4o');
    expect(encodeGeneration(new CompletionGeneration({})).name).toBe('text_completion');
  });
});
