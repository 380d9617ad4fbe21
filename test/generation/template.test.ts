import { describe, expect, it } from 'vitest';
import { formatMessages, formatTemplate, messagesVariables, templateVariables, tokenizeTemplate } from '../../src/generation/template.js';

describe('prompt templates ({variable}, {{ and }} escapes)', () => {
  it('finds variables in order of first use, once each', () => {
    expect(templateVariables('Hi {name}, {greeting} {name}!')).toEqual(['name', 'greeting']);
  });

  it('treats doubled braces as escapes, not variables, as Python str.format does', () => {
    expect(templateVariables('JSON: {{"a": 1}} and {{x}}')).toEqual([]);
    expect(formatTemplate('{{x}} is literal, {x} is not', { x: 'X' }).text).toBe('{x} is literal, X is not');
    // Three braces: an escaped brace around a variable.
    expect(formatTemplate('{{{x}}}', { x: 'v' }).text).toBe('{v}');
  });

  it('keeps the raw text of escapes for the template view and the unescaped text for the formatted one', () => {
    const tokens = tokenizeTemplate('a {{b}} {c}');
    expect(tokens).toEqual([
      { kind: 'text', raw: 'a {{b}} ', text: 'a {b} ' },
      { kind: 'variable', raw: '{c}', name: 'c' },
    ]);
  });

  it('leaves a variable without a value as written and reports it', () => {
    expect(formatTemplate('Dear {name}, {missing}', { name: 'Ada' })).toEqual({ text: 'Dear Ada, {missing}', missing: ['missing'] });
  });

  it('keeps braces that do not form a variable (JSON, lone braces)', () => {
    expect(formatTemplate('{"k": 1} { x } } {', {}).text).toBe('{"k": 1} { x } } {');
  });

  it('formats non-string values as JSON', () => {
    expect(formatTemplate('{n} {flag} {list}', { n: 3, flag: true, list: [1, 2] }).text).toBe('3 true [1,2]');
  });

  it('does not read inherited properties as variable values', () => {
    expect(formatTemplate('{constructor}', {}).missing).toEqual(['constructor']);
  });

  it('formats string content and text parts of chat messages, keeping other fields', () => {
    const { messages, missing } = formatMessages(
      [
        { role: 'system', content: 'You speak {language}.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Translate {word}' },
            { type: 'image_url', image_url: 'http://x/{word}.png' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1' }] },
      ],
      { language: 'French', word: 'cat' },
    );
    expect(messages[0]).toEqual({ role: 'system', content: 'You speak French.' });
    expect(messages[1].content).toEqual([
      { type: 'text', text: 'Translate cat' },
      { type: 'image_url', image_url: 'http://x/{word}.png' },
    ]);
    expect(messages[2]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'c1' }] });
    expect(missing).toEqual([]);
    expect(messagesVariables([{ content: 'a {x}' }, { content: [{ type: 'text', text: '{y} {x}' }] }])).toEqual(['x', 'y']);
  });
});
