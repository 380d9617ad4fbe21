import { describe, expect, it } from 'vitest';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { GenAI, Genspan, REDACTED } from '../../src/semconv/keys.js';
import { hasUrlUserInfo, redactSecrets, redactUrlUserInfo } from '../../src/semconv/redact.js';
import { translateSpan } from '../../src/translate/translate.js';
import { makeSpan } from '../translate/fixtures/handwritten.js';

/** `{ a: { a: ... { [leafKey]: leaf } } }`, `depth` levels of `a` above the leaf's own object. */
function nested(depth: number, leafKey: string, leaf: unknown): Record<string, unknown> {
  let node: Record<string, unknown> = { [leafKey]: leaf };
  for (let i = 0; i < depth; i++) node = { a: node };
  return node;
}

function openInferenceSpan(attributes: Record<string, unknown>) {
  return makeSpan('ChatCompletion', {
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'hi',
    ...attributes,
  });
}

describe('redaction depth', () => {
  it('redacts an api_key 41 levels deep in llm.invocation_parameters', () => {
    const parameters = { temperature: 0, deep: nested(40, 'api_key', 'sk-deep-41') };
    const result = translateSpan(openInferenceSpan({ 'llm.invocation_parameters': JSON.stringify(parameters) }));
    const settings = JSON.stringify(result?.generation.settings);
    expect(settings).toContain(REDACTED);
    expect(settings).not.toContain('sk-deep-41');
    expect(result?.generation.settings.temperature).toBe(0);
  });

  it('walks any depth without exhausting the stack, and copies a shared object once', () => {
    const shared = { password: 'p' };
    const redacted = redactSecrets({ deep: nested(100_000, 'token', 't'), one: shared, two: shared });
    let node: unknown = redacted.deep;
    for (let i = 0; i < 100_000; i++) node = (node as Record<string, unknown>).a;
    expect(node).toEqual({ token: REDACTED });
    expect(redacted.one).toEqual({ password: REDACTED });
    expect(redacted.one).toBe(redacted.two);
    expect(shared.password).toBe('p');
  });
});

describe('credential shapes', () => {
  it('redacts *_key, private_key, auth, bearer and URL user-info; keeps token counts, tokenizer tokens and cache keys', () => {
    const settings = {
      private_key: '-----BEGIN PRIVATE KEY-----',
      azure_openai_key: 'az-1',
      privateKey: 'pk-2',
      auth: 'Basic dXNlcjpwYXNz',
      basic_auth: ['user', 'pass'],
      bearer: 'abc',
      proxy: { auth: { password: 'p', user: 'u' } },
      base_url: 'https://user:hunter2@llm.example.com/v1?x=1',
      endpoints: ['see http://alice@proxy.example:8080/path and https://plain.example/'],
      max_tokens: 5,
      eos_token: '</s>',
      time_to_first_token: 0.2,
      timeToFirstToken: 200,
      auth_token: 'at-1',
      prompt_cache_key: 'conversation-7',
      author: 'Ada',
      key: 'region',
    };
    expect(redactSecrets(settings)).toEqual({
      private_key: REDACTED,
      azure_openai_key: REDACTED,
      privateKey: REDACTED,
      auth: REDACTED,
      basic_auth: REDACTED,
      bearer: REDACTED,
      proxy: { auth: { password: REDACTED, user: 'u' } },
      base_url: `https://${REDACTED}@llm.example.com/v1?x=1`,
      endpoints: [`see http://${REDACTED}@proxy.example:8080/path and https://plain.example/`],
      max_tokens: 5,
      eos_token: '</s>',
      time_to_first_token: 0.2,
      timeToFirstToken: 200,
      auth_token: REDACTED,
      prompt_cache_key: 'conversation-7',
      author: 'Ada',
      key: 'region',
    });
    expect(redactUrlUserInfo('mail me at ada@example.com')).toBe('mail me at ada@example.com');
  });

  it('finds user-info the same way on every call, whatever came before (no regex state kept between calls)', () => {
    const text = 'https://u:p@a.example and ftp://v:q@b.example';
    for (let call = 0; call < 3; call++) {
      expect(hasUrlUserInfo(text)).toBe(true);
      expect(hasUrlUserInfo('https://plain.example/')).toBe(false);
      expect(redactUrlUserInfo(text)).toBe(`https://${REDACTED}@a.example and ftp://${REDACTED}@b.example`);
    }
  });

  it('redacts a template variable named like a credential, in the encoder and the translator', () => {
    const encoded = encodeGeneration(
      {
        type: 'COMPLETION',
        prompt: 'p',
        completion: 'c',
        settings: {},
        variables: { topic: 'cats', openai_api_key: 'sk-var', db: { password: 'pw' } },
        metadata: { service_auth: 'tok-meta' },
        tags: [],
      } as never,
      { captureContent: true },
    );
    expect(encoded.attributes[`${GenAI.PROMPT_VARIABLE_PREFIX}openai_api_key`]).toBe(REDACTED);
    expect(encoded.attributes[`${GenAI.PROMPT_VARIABLE_PREFIX}topic`]).toBe('cats');
    expect(JSON.stringify(encoded.attributes)).not.toMatch(/sk-var|"pw"|tok-meta/);
    expect(JSON.parse(encoded.attributes[Genspan.METADATA] as string)).toEqual({ service_auth: REDACTED });

    const result = translateSpan(
      openInferenceSpan({
        'llm.prompt_template.variables': JSON.stringify({ topic: 'cats', auth_token: 'tok-1' }),
        'llm.invocation_parameters': JSON.stringify({ azure_openai_key: 'az-2', max_tokens: 9 }),
      }),
    );
    expect(result?.generation.variables).toEqual({ topic: 'cats', auth_token: REDACTED });
    expect(result?.generation.settings).toEqual({ azure_openai_key: REDACTED, max_tokens: 9 });
  });
});
