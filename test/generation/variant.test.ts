import { describe, expect, it } from 'vitest';
import { splitResponseFormat, withResponseFormat } from '../../src/generation/variant.js';

const SCHEMA = { type: 'object', properties: { haiku: { type: 'string' } }, required: ['haiku'] };

describe('variant response format', () => {
  it('sends a bare JSON schema as OpenAI json_schema response format, named response', () => {
    expect(withResponseFormat({ temperature: 0 }, SCHEMA)).toEqual({
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: SCHEMA } },
    });
  });

  it('keeps the name and strictness of a json_schema member, and leaves settings alone without one', () => {
    expect(withResponseFormat({}, { name: 'haiku', strict: true, schema: SCHEMA }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'haiku', strict: true, schema: SCHEMA },
    });
    expect(withResponseFormat({ seed: 1 }, null)).toEqual({ seed: 1 });
  });

  it('splits a recorded json_schema response format from the other settings, and keeps any other kind with them', () => {
    const member = { name: 'haiku', schema: SCHEMA };
    expect(splitResponseFormat({ seed: 1, response_format: { type: 'json_schema', json_schema: member } })).toEqual({
      jsonSchema: member,
      rest: { seed: 1 },
    });
    const other = { seed: 1, response_format: { type: 'json_object' } };
    expect(splitResponseFormat(other)).toEqual({ jsonSchema: null, rest: other });
  });
});
