/**
 * Prompt templates in Python's `str.format` style, as Chainlit's playground read them (generation-model-and-playgrounds.md §3.2):
 * `{name}` is a variable, `{{` and `}}` are escaped braces. Shared by the page (highlighting, live preview) and the
 * server (formatting before a re-run), so both read a template the same way. Browser-safe: no Node imports.
 *
 * Unlike Python, a `{name}` without a value is left as written (and reported) instead of failing, and a brace that
 * does not start a variable is kept literally, so prompts holding JSON still run.
 */

export type TemplateToken =
  /** `raw` is the text as written in the template; `text` is what formatting produces (`{{` gives `{`). */
  { kind: 'text'; raw: string; text: string } | { kind: 'variable'; raw: string; name: string };

const VARIABLE = /^\{([\p{L}_][\p{L}\p{N}_]*)\}/u;

/** Splits a template into literal text and `{variable}` placeholders. */
export function tokenizeTemplate(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let raw = '';
  let text = '';
  const flush = () => {
    if (raw !== '') tokens.push({ kind: 'text', raw, text });
    raw = '';
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    const next = template[i + 1];
    if ((char === '{' && next === '{') || (char === '}' && next === '}')) {
      raw += char + next;
      text += char;
      i += 2;
      continue;
    }
    if (char === '{') {
      const match = VARIABLE.exec(template.slice(i, i + 256));
      if (match) {
        flush();
        tokens.push({ kind: 'variable', raw: match[0], name: match[1] });
        i += match[0].length;
        continue;
      }
    }
    raw += char;
    text += char;
    i++;
  }
  flush();
  return tokens;
}

/** The distinct variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const token of tokenizeTemplate(template)) if (token.kind === 'variable') names.add(token.name);
  return [...names];
}

/** A variable's value as text: strings as they are, anything else as JSON. */
export function variableText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? String(value);
}

export interface FormattedTemplate {
  text: string;
  /** Variables the template uses that have no value (left as written). */
  missing: string[];
}

function hasOwn(object: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(object, key);
}

/** Formats a template with variable values. */
export function formatTemplate(template: string, variables: Readonly<Record<string, unknown>>): FormattedTemplate {
  let text = '';
  const missing = new Set<string>();
  for (const token of tokenizeTemplate(template)) {
    if (token.kind === 'text') text += token.text;
    else if (hasOwn(variables, token.name)) text += variableText(variables[token.name]);
    else {
      missing.add(token.name);
      text += token.raw;
    }
  }
  return { text, missing: [...missing] };
}

/** The part of a chat message a template can hold: string content or text parts. */
interface TemplatableMessage {
  content?: unknown;
  [key: string]: unknown;
}

/** Formats the string content and the text parts of each message; other fields are kept. */
export function formatMessages<M extends TemplatableMessage>(
  messages: readonly M[],
  variables: Readonly<Record<string, unknown>>,
): { messages: M[]; missing: string[] } {
  const missing = new Set<string>();
  const format = (text: string) => {
    const result = formatTemplate(text, variables);
    for (const name of result.missing) missing.add(name);
    return result.text;
  };
  const formatted = messages.map((message) => {
    const content = message.content;
    if (typeof content === 'string') return { ...message, content: format(content) };
    if (Array.isArray(content)) {
      const parts = content.map((part: unknown) => {
        if (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text') {
          const text = (part as { text?: unknown }).text;
          if (typeof text === 'string') return { ...part, text: format(text) };
        }
        return part;
      });
      return { ...message, content: parts };
    }
    return { ...message };
  });
  return { messages: formatted, missing: [...missing] };
}

/** Variable names used across the string content and text parts of messages. */
export function messagesVariables(messages: readonly TemplatableMessage[]): string[] {
  const names = new Set<string>();
  for (const message of messages) {
    const content = message.content;
    const texts: string[] = [];
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
        if (typeof text === 'string') texts.push(text);
      }
    }
    for (const text of texts) for (const name of templateVariables(text)) names.add(name);
  }
  return [...names];
}
