import { describe, expect, it } from 'vitest';
import type { GenerationRecord } from '../../src/generation/record.js';
import type { StepLink } from '../../src/ingest/contract.js';
import {
  linkTemplates,
  mayHoldTemplates,
  readTemplateStep,
  type TemplateRuleStep,
  templateOf,
  withTemplate,
} from '../../src/ingest/templates.js';
import { OpenInference } from '../../src/semconv/keys.js';

// The pure rule of src/ingest/templates.ts on hand-made steps; test/ingest/templates.test.ts runs it on real captures.
const message = (kind: string, content: string) => ({
  lc: 1,
  type: 'constructor',
  id: ['langchain_core', 'messages', kind],
  kwargs: { content },
});
const promptValue = (...messages: [string, string][]) =>
  JSON.stringify({
    lc: 1,
    type: 'constructor',
    id: ['langchain_core', 'prompt_values', 'ChatPromptValue'],
    kwargs: { messages: messages.map(([kind, content]) => message(kind, content)) },
  });

let clock = 0;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

function step(fields: Partial<TemplateRuleStep> & Pick<TemplateRuleStep, 'spanId'>): TemplateRuleStep {
  const start = clock;
  clock += 10;
  return {
    parentSpanId: 'chain',
    type: 'undefined',
    startTime: at(start),
    endTime: at(start + 5),
    generationId: null,
    input: null,
    output: null,
    metadata: {},
    ...fields,
  };
}

const template = (spanId: string, city: string) =>
  step({ spanId, input: JSON.stringify({ city }), output: promptValue(['HumanMessage', `Weather in ${city}?`]) });
const call = (spanId: string) => step({ spanId, type: 'llm', generationId: `generation-${spanId}` });

function chat(messages: { role: string; content: string }[], extra: Record<string, unknown> = {}): GenerationRecord {
  return {
    id: 'generation-1',
    generation: { type: 'CHAT', messages, variables: {}, ...extra },
  } as unknown as GenerationRecord;
}

describe('which template fed which model call', () => {
  it('links each call to the nearest template before it among its siblings', () => {
    const links = linkTemplates([template('t1', 'Lima'), call('c1'), template('t2', 'Oslo'), call('c2')]);
    expect(links.map((link) => [link.generationId, link.template.variables])).toEqual([
      ['generation-c1', { city: 'Lima' }],
      ['generation-c2', { city: 'Oslo' }],
    ]);
  });

  it('gives a second call fed by the first one no template', () => {
    expect(linkTemplates([template('t1', 'Lima'), call('c1'), call('c2')]).map((link) => link.generationId)).toEqual(['generation-c1']);
  });

  it('links nothing across parents, nor a template that ends after the call started', () => {
    const elsewhere = { ...template('t1', 'Lima'), parentSpanId: 'other' };
    expect(linkTemplates([elsewhere, call('c1')])).toEqual([]);
    const late = call('c2');
    expect(linkTemplates([late, template('t2', 'Oslo')])).toEqual([]);
  });

  it('reads only prompt values with variables as templates', () => {
    expect(readTemplateStep(step({ spanId: 'a', input: 'Lima', output: promptValue(['HumanMessage', 'x']) }))).toBeUndefined();
    expect(readTemplateStep(step({ spanId: 'b', input: '{}', output: '{"lc":1,"id":["AIMessage"]}' }))).toBeUndefined();
  });
});

describe('the template of rendered messages', () => {
  it('puts each variable back as its placeholder, escaping literal braces', () => {
    const found = templateOf({
      variables: { answer: 'Hi {there}' },
      rendered: [{ role: 'user', content: 'Say {x}: Hi {there}' }],
      text: null,
    });
    expect(found).toEqual({ messages: [{ role: 'user', content: 'Say {{x}}: {answer}' }], format: 'f-string' });
  });

  it('uses the span template text for the first message when it renders to it', () => {
    const found = templateOf({
      variables: { city: 'Rome' },
      rendered: [
        { role: 'system', content: 'Be brief about Rome.' },
        { role: 'user', content: 'Weather in Rome?' },
      ],
      text: 'Be brief about {{city}}.',
    });
    expect(found).toEqual({
      messages: [
        { role: 'system', content: 'Be brief about {{city}}.' },
        { role: 'user', content: 'Weather in {{city}}?' },
      ],
      format: 'mustache',
    });
  });

  it('tells no template when a value is ambiguous, empty or not text', () => {
    const rendered = [{ role: 'user', content: 'Lima to Lima' }];
    expect(templateOf({ variables: { city: 'Lima' }, rendered, text: null })).toBeUndefined();
    expect(templateOf({ variables: { city: '' }, rendered, text: null })).toBeUndefined();
    expect(templateOf({ variables: { history: [] }, rendered, text: null })).toBeUndefined();
    expect(templateOf({ variables: { a: 'Lima', b: 'Lima to' }, rendered, text: null })).toBeUndefined();
  });
});

describe('a generation gaining its template', () => {
  const fed = { variables: { city: 'Lima' }, rendered: [{ role: 'user', content: 'Weather in Lima?' }], text: null };

  it('keeps the messages sent and adds template, format and variables; once', () => {
    const record = withTemplate(chat([{ role: 'user', content: 'Weather in Lima?' }]), fed);
    expect(record?.generation).toEqual({
      type: 'CHAT',
      messages: [{ role: 'user', content: 'Weather in Lima?' }],
      template: [{ role: 'user', content: 'Weather in {city}?' }],
      templateFormat: 'f-string',
      variables: { city: 'Lima' },
    });
    expect(withTemplate(record as GenerationRecord, fed)).toBeUndefined();
  });

  it('leaves a call alone whose messages the template did not render', () => {
    expect(withTemplate(chat([{ role: 'user', content: 'Something else' }]), fed)).toBeUndefined();
  });

  it("keeps the app's own template and variables", () => {
    const own = chat([{ role: 'user', content: 'Weather in Lima?' }], {
      template: [{ role: 'user', content: 'Weather in {town}?' }],
      variables: { city: 'mine' },
    });
    expect(withTemplate(own, fed)).toBeUndefined();
  });

  it('reads the template text OpenInference keeps in the step metadata', () => {
    const read = readTemplateStep(
      step({
        spanId: 'p',
        input: '{"city":"Rome"}',
        output: promptValue(['HumanMessage', 'Weather in Rome?']),
        metadata: { [OpenInference.PROMPT_TEMPLATE]: 'Weather in {{city}}?' },
      }),
    );
    expect(read?.text).toBe('Weather in {{city}}?');
  });
});

describe('which traces the ingest reads for templates', () => {
  const link = (spanId: string, type: StepLink['type'], generationId: string | null = null) => ({
    spanId,
    parentSpanId: 'chain',
    type,
    generationId,
  });

  it('reads a trace whose model call has a sibling a template step could be, not an agent loop of calls and tools', () => {
    expect(mayHoldTemplates([link('p', 'undefined'), link('c', 'llm', 'g')])).toBe(true);
    expect(mayHoldTemplates([link('w', 'run'), link('c', 'llm', 'g')])).toBe(true);
    expect(mayHoldTemplates([link('c1', 'llm', 'g1'), link('t', 'tool'), link('c2', 'llm', 'g2')])).toBe(false);
    expect(mayHoldTemplates([link('p', 'undefined'), link('c', 'llm')])).toBe(false);
  });
});
