import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ChatGeneration, generationWireJSON } from '../../src/generation/generation.js';
import { type GenerationData, GenerationSchema } from '../../src/generation/schema.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { GenAI, Genspan } from '../../src/semconv/keys.js';
import { translateSpan } from '../../src/translate/translate.js';
import type { TranslationResult } from '../../src/translate/types.js';
import { makeSpan } from './fixtures/handwritten.js';

// A translator failure on an LLM span (something throwing inside the translator) must not make the span look like
// no generation: translateSpan still answers, with what it could read, a warning and `failure` naming what threw.

/** `attributes` with one more enumerable key whose getter throws. */
function withThrowingKey(attributes: Record<string, unknown>, key: string, message: string): Record<string, unknown> {
  return Object.defineProperty({ ...attributes }, key, {
    enumerable: true,
    get() {
      throw new Error(message);
    },
  });
}

const CHAT = { [GenAI.OPERATION_NAME]: 'chat', [GenAI.REQUEST_MODEL]: 'gpt-4o', [GenAI.PROVIDER_NAME]: 'openai' };

function expectValid(result: TranslationResult): void {
  expect(GenerationSchema.safeParse(result.generation).success).toBe(true);
}

describe('translateSpan after a failure inside the translator', () => {
  it('keeps an LLM span whose attribute getter throws, with the model, the provider, a warning and the failure', () => {
    const span = makeSpan('chat gpt-4o', withThrowingKey({ ...CHAT, [GenAI.USAGE_OUTPUT_TOKENS]: 7 }, GenAI.INPUT_MESSAGES, 'getter boom'));
    const result = translateSpan(span);
    expect(result).not.toBeNull();
    expect(result!.generation.type).toBe('CHAT');
    expect(result!.generation.model).toBe('gpt-4o');
    expect(result!.generation.provider).toBe('openai');
    expect(result!.generation.outputTokenCount).toBe(7);
    expect(result!.failure).toMatch(/getter boom/);
    expect(result!.warnings).toContain(`${GenAI.INPUT_MESSAGES}: could not be read (Error: getter boom)`);
    expectValid(result!);
  });

  it('keeps the fields of the other readers when one reader throws on a value that breaks it', () => {
    // A structured tool list holding an object whose getter throws: the GenAI reader fails on it, the others run.
    const tools = [
      Object.defineProperty({}, 'name', {
        enumerable: true,
        get() {
          throw new Error('tool boom');
        },
      }),
    ];
    const span = makeSpan('chat gpt-4o', { ...CHAT, [GenAI.TOOL_DEFINITIONS]: tools }, { status: { code: 2, message: 'rate limited' } });
    const result = translateSpan(span);
    expect(result).not.toBeNull();
    expect(result!.generation.model).toBe('gpt-4o');
    expect(result!.generation.error).toBe('rate limited');
    expect(result!.failure).toBe('genai threw Error: tool boom');
    expect(result!.warnings).toContain('genai: could not be read (Error: tool boom)');
    expectValid(result!);
  });

  it('answers what can still be read of an SDK span whose parts throw', () => {
    const span = {
      name: 'text_completion m',
      attributes: { [GenAI.OPERATION_NAME]: 'text_completion', [GenAI.REQUEST_MODEL]: 'm' },
      spanContext() {
        throw new Error('no context');
      },
    } as unknown as ReadableSpan;
    const result = translateSpan(span);
    expect(result).not.toBeNull();
    expect(result!.generation.type).toBe('COMPLETION');
    expect(result!.generation.model).toBe('m');
    expect(result!.failure).toBe('span threw Error: no context');
    expect(result!.warnings).toEqual(['span: could not be read (Error: no context)']);
    expectValid(result!);
  });

  it('answers an empty generation of the span type when no attribute can be listed', () => {
    const attributes = new Proxy({ [GenAI.OPERATION_NAME]: 'text_completion', [GenAI.REQUEST_MODEL]: 'm' } as Record<string, unknown>, {
      ownKeys() {
        throw new Error('no keys');
      },
    });
    const result = translateSpan(makeSpan('text_completion m', attributes));
    expect(result).not.toBeNull();
    expect(result!.generation.type).toBe('COMPLETION');
    expect(result!.generation.model).toBeNull();
    expect(result!.failure).toBe('span threw Error: no keys');
    expectValid(result!);
  });

  it("reads genspan's own span as GenAI attributes when its decoder throws, naming the failure", () => {
    const encoded = encodeGeneration(new ChatGeneration({ model: 'gpt-4o', provider: 'openai' }), { captureContent: true });
    const attributes = withThrowingKey(encoded.attributes, Genspan.SETTINGS, 'settings boom');
    const result = translateSpan(makeSpan(encoded.name, attributes));
    expect(result).not.toBeNull();
    expect(result!.source).toBe('genspan');
    expect(result!.generation.model).toBe('gpt-4o');
    expect(result!.failure).toBe('genspan threw Error: settings boom');
    expect(result!.checked).toBeUndefined();
    expectValid(result!);
  });

  it("marks genspan's own decoded generation as checked, and its wire JSON is the validated one", () => {
    const encoded = encodeGeneration(new ChatGeneration({ model: 'gpt-4o', settings: { temperature: 0.2 }, tags: ['t'] }), {
      captureContent: true,
    });
    const result = translateSpan(makeSpan(encoded.name, encoded.attributes));
    expect(result!.checked).toBe(true);
    expect(result!.failure).toBeUndefined();
    expect(generationWireJSON(result!.generation, { checked: true })).toEqual(generationWireJSON(result!.generation));
  });
});

describe('generationWireJSON', () => {
  it('validates unless told the data was checked', () => {
    const invalid: GenerationData = { type: 'CHAT', tokenCount: -1, settings: {}, variables: {}, tags: [], metadata: {}, messages: [] };
    expect(() => generationWireJSON(invalid)).toThrow(/tokenCount/);
    expect(generationWireJSON(invalid, { checked: true }).tokenCount).toBe(-1);
  });
});
