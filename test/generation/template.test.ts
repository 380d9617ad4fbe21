import { describe, expect, it } from 'vitest';
import {
  detectTemplateFormat,
  formatMessages,
  formatTemplate,
  messagesVariables,
  templateVariables,
  tokenizeTemplate,
} from '../../src/generation/template.js';

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

describe('Mustache templates ({{variable}}, sections), as Literal AI writes them', () => {
  it('finds variables and section names, not the names looked up inside a section', () => {
    expect(
      templateVariables('Hi {{ name }}, {{#items}}{{title}}{{/items}} {{{raw}}} {{& amp}} {{user.email}} {{! note }}', 'mustache'),
    ).toEqual(['name', 'items', 'raw', 'amp', 'user']);
    expect(templateVariables('{name} stays text', 'mustache')).toEqual([]);
  });

  it('formats variables as they are (no HTML escaping), dotted names, and leaves unknown ones as written', () => {
    const result = formatTemplate('{{a}} & {{{a}}} {{user.name}} {{missing}}', { a: '<b>', user: { name: 'Ada' } }, 'mustache');
    expect(result).toEqual({ text: '<b> & <b> Ada {{missing}}', missing: ['missing'] });
  });

  it('renders sections over lists, objects and truthy values, inverted sections, and drops comments', () => {
    const template =
      'Items:\n{{#items}}\n- {{name}} ({{price}})\n{{/items}}\n{{^items}}\nnone\n{{/items}}\n{{#vip}}VIP{{/vip}}{{! hidden }}';
    expect(
      formatTemplate(
        template,
        {
          items: [
            { name: 'tea', price: 2 },
            { name: 'cake', price: 4 },
          ],
          vip: true,
        },
        'mustache',
      ).text,
    ).toBe('Items:\n- tea (2)\n- cake (4)\nVIP');
    expect(formatTemplate(template, { items: [], vip: false }, 'mustache').text).toBe('Items:\nnone\n');
    expect(formatTemplate('{{#user}}{{name}} from {{city}}{{/user}}', { user: { name: 'Ada' }, city: 'Paris' }, 'mustache').text).toBe(
      'Ada from Paris',
    );
    expect(formatTemplate('{{#list}}[{{.}}]{{/list}}', { list: ['a', 'b'] }, 'mustache').text).toBe('[a][b]');
  });

  it('keeps what is not a tag (JSON, an unclosed section) as written', () => {
    expect(formatTemplate('{{"a": 1}} {x} {{#open}}y', { open: true, x: 1 }, 'mustache').text).toBe('{{"a": 1}} {x} {{#open}}y');
  });

  it('tokenizes for highlighting: variables and tags keep their raw text', () => {
    expect(tokenizeTemplate('a {{#s}}{{ b }}{{/s}}', 'mustache')).toEqual([
      { kind: 'text', raw: 'a ', text: 'a ' },
      { kind: 'tag', raw: '{{#s}}', name: 's', tag: '#' },
      { kind: 'variable', raw: '{{ b }}', name: 'b' },
      { kind: 'tag', raw: '{{/s}}', name: 's', tag: '/' },
    ]);
  });

  it('formats chat messages in the format given, and reads {{x}} as an escape in an f-string', () => {
    const messages = [{ role: 'user', content: 'Hi {{name}}' }];
    expect(formatMessages(messages, { name: 'Ada' }, 'mustache').messages[0].content).toBe('Hi Ada');
    expect(formatMessages(messages, { name: 'Ada' }).messages[0].content).toBe('Hi {name}');
    expect(messagesVariables(messages, 'mustache')).toEqual(['name']);
  });
});

describe('detecting a template format', () => {
  it('says mustache or f-string only when the variables given are used one way only', () => {
    expect(detectTemplateFormat('Hi {{name}}', { name: 'A' })).toBe('mustache');
    expect(detectTemplateFormat('Hi {name}', { name: 'A' })).toBe('f-string');
    expect(detectTemplateFormat([{ content: [{ type: 'text', text: 'Hi {{name}}' }] }], { name: 'A' })).toBe('mustache');
    expect(detectTemplateFormat('Hi {{name}} {name}', { name: 'A' })).toBeNull();
    expect(detectTemplateFormat('Hi there', {})).toBeNull();
    expect(detectTemplateFormat('Hi {{other}}', { name: 'A' })).toBeNull();
  });
});
