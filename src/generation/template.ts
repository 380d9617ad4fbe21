/**
 * Prompt templates, in the two formats generations carry (`templateFormat`). Shared by the page (highlighting, live
 * preview) and the server (formatting before a re-run), so both read a template the same way. Browser-safe: no Node
 * imports, no zod.
 *
 * - `f-string` (genspan's default): Python's `str.format` style, as Chainlit's playground read it
 *   (generation-model-and-playgrounds.md §3.2): `{name}` is a variable, `{{` and `}}` are escaped braces.
 * - `mustache`: Literal AI's prompt templates (§3.5): `{{name}}` (also `{{{name}}}`, `{{& name}}`, dotted names),
 *   sections `{{#name}}...{{/name}}` over a list, an object or a truthy value, inverted sections `{{^name}}`,
 *   comments `{{! ...}}`. Values are inserted as they are, not HTML-escaped (a prompt is not HTML); partials and
 *   delimiter changes are kept as written.
 *
 * Unlike Python or Mustache, a variable without a value is left as written (and reported) instead of failing or
 * vanishing, and a brace that does not start a variable is kept literally, so prompts holding JSON still run.
 */

export const TEMPLATE_FORMATS = ['f-string', 'mustache'] as const;

export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

/** The format of a template whose generation does not say (genspan's own templates, older records). */
export const DEFAULT_TEMPLATE_FORMAT: TemplateFormat = 'f-string';

export type TemplateToken =
  /** `raw` is the text as written in the template; `text` is what formatting produces (`{{` gives `{`). */
  | { kind: 'text'; raw: string; text: string }
  | { kind: 'variable'; raw: string; name: string }
  /** A Mustache tag that is not a variable: a section (`#`), an inverted section (`^`), its end (`/`), a comment (`!`)... */
  | { kind: 'tag'; raw: string; name: string; tag: MustacheTag };

export type MustacheTag = '#' | '^' | '/' | '!' | '>' | '=';

const VARIABLE = /^\{([\p{L}_][\p{L}\p{N}_]*)\}/u;

function fStringTokens(template: string): TemplateToken[] {
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

/** A Mustache name: `.` (the current item) or dotted identifiers (`user.name`). */
const MUSTACHE_NAME = /^(?:\.|[\p{L}_$][\p{L}\p{N}_$-]*(?:\.[\p{L}\p{N}_$-]+)*)$/u;
/** `{{{name}}}`, or `{{` + an optional sigil + the tag's content + `}}`. */
const MUSTACHE_TAG = /^(?:\{\{\{\s*([^{}]*?)\s*\}\}\}|\{\{([#^/!>&=]?)([\s\S]*?)\}\})/;

function mustacheTokens(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') tokens.push({ kind: 'text', raw: text, text });
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, open);
    const match = MUSTACHE_TAG.exec(template.slice(open, open + 1024));
    const sigil = match?.[2] ?? '';
    const name = (match?.[1] ?? match?.[3] ?? '').trim();
    if (!match || (sigil !== '!' && sigil !== '=' && sigil !== '>' && !MUSTACHE_NAME.test(name))) {
      // Not a tag (`{{ }}`, JSON such as `{{"a": 1}}`...): literal text.
      text += '{{';
      i = open + 2;
      continue;
    }
    flush();
    if (match[1] !== undefined || sigil === '' || sigil === '&') tokens.push({ kind: 'variable', raw: match[0], name });
    else tokens.push({ kind: 'tag', raw: match[0], name, tag: sigil as MustacheTag });
    i = open + match[0].length;
  }
  flush();
  return tokens;
}

/** Splits a template into literal text, variables and (Mustache) tags. */
export function tokenizeTemplate(template: string, format: TemplateFormat = DEFAULT_TEMPLATE_FORMAT): TemplateToken[] {
  return format === 'mustache' ? mustacheTokens(template) : fStringTokens(template);
}

/**
 * The distinct variable names a template uses, in order of first use: the values a user gives. In Mustache, names
 * inside a section are looked up in the section's item first, so only the section's own name is listed.
 */
export function templateVariables(template: string, format: TemplateFormat = DEFAULT_TEMPLATE_FORMAT): string[] {
  const names = new Set<string>();
  let depth = 0;
  for (const token of tokenizeTemplate(template, format)) {
    if (token.kind === 'text') continue;
    const root = token.name.split('.')[0];
    if (token.kind === 'variable') {
      if (depth === 0 && root !== '') names.add(root);
    } else if (token.tag === '#' || token.tag === '^') {
      if (depth === 0) names.add(root);
      depth++;
    } else if (token.tag === '/') depth = Math.max(0, depth - 1);
  }
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

const NOT_FOUND = Symbol('not found');

/** Looks a (dotted) Mustache name up through the context stack, innermost first. */
function lookUp(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const [first, ...rest] = name.split('.');
  for (let index = stack.length - 1; index >= 0; index--) {
    const context = stack[index];
    if (typeof context !== 'object' || context === null || !hasOwn(context as Record<string, unknown>, first)) continue;
    let value = (context as Record<string, unknown>)[first];
    for (const part of rest) {
      if (typeof value !== 'object' || value === null || !hasOwn(value as Record<string, unknown>, part)) return NOT_FOUND;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  }
  return NOT_FOUND;
}

/** Mustache's falsy values: a section over them is skipped (an inverted one is rendered). */
function falsy(value: unknown): boolean {
  return (
    value === NOT_FOUND ||
    value === false ||
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

/**
 * Mustache's standalone rule: a section, end or comment tag alone on its line takes the line's indentation and line
 * break with it, so multi-line templates format without blank lines. Returns the text tokens trimmed accordingly.
 */
function withoutStandaloneLines(tokens: readonly TemplateToken[]): TemplateToken[] {
  // Decided on the text as written, then cut: a text between two standalone tags loses its head to one, its tail to the other.
  const cutHead = new Map<number, number>();
  const cutTail = new Map<number, number>();
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (token.kind !== 'tag' || token.tag === '>') continue;
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    let lineStart = '';
    if (before !== undefined) {
      if (before.kind !== 'text') continue;
      const newline = before.text.lastIndexOf('\n');
      // The line must start in that text (or the template start with it).
      if (newline === -1 && index > 1) continue;
      lineStart = before.text.slice(newline + 1);
      if (lineStart.trim() !== '') continue;
    }
    let lineEnd = '';
    if (after !== undefined) {
      if (after.kind !== 'text') continue;
      const match = /^[ \t]*(?:\r?\n|$)/.exec(after.text);
      if (!match) continue;
      lineEnd = match[0];
    }
    if (before !== undefined) cutTail.set(index - 1, lineStart.length);
    if (after !== undefined) cutHead.set(index + 1, lineEnd.length);
  }
  return tokens.map((token, index) => {
    if (token.kind !== 'text' || (!cutHead.has(index) && !cutTail.has(index))) return token;
    const head = cutHead.get(index) ?? 0;
    const end = Math.max(head, token.text.length - (cutTail.get(index) ?? 0));
    return { ...token, text: token.text.slice(head, end) };
  });
}

function formatMustache(template: string, variables: Readonly<Record<string, unknown>>, missing: Set<string>): string {
  const tokens = withoutStandaloneLines(mustacheTokens(template));
  /** Renders tokens[from, to) with the context stack; sections recurse over their body. */
  const render = (from: number, to: number, stack: readonly unknown[]): string => {
    let text = '';
    for (let index = from; index < to; index++) {
      const token = tokens[index];
      if (token.kind === 'text') {
        text += token.text;
        continue;
      }
      if (token.kind === 'variable') {
        const value = lookUp(stack, token.name);
        if (value === NOT_FOUND) {
          missing.add(token.name);
          text += token.raw;
        } else text += value === null ? '' : variableText(value);
        continue;
      }
      if (token.tag === '!' || token.tag === '/') continue;
      if (token.tag !== '#' && token.tag !== '^') {
        text += token.raw;
        continue;
      }
      const end = sectionEnd(tokens, index, to);
      if (end === -1) {
        // An unclosed section: kept as written, as a brace that starts no variable is.
        text += token.raw;
        continue;
      }
      const value = lookUp(stack, token.name);
      if (value === NOT_FOUND) missing.add(token.name);
      if (token.tag === '^') {
        if (falsy(value)) text += render(index + 1, end, stack);
      } else if (Array.isArray(value)) {
        for (const item of value) text += render(index + 1, end, [...stack, item]);
      } else if (!falsy(value)) text += render(index + 1, end, [...stack, value]);
      index = end;
    }
    return text;
  };
  return render(0, tokens.length, [variables]);
}

/** The index of the tag closing the section opened at `open`, or -1. */
function sectionEnd(tokens: readonly TemplateToken[], open: number, to: number): number {
  const name = (tokens[open] as { name: string }).name;
  let depth = 0;
  for (let index = open + 1; index < to; index++) {
    const token = tokens[index];
    if (token.kind !== 'tag' || token.name !== name) continue;
    if (token.tag === '#' || token.tag === '^') depth++;
    else if (token.tag === '/') {
      if (depth === 0) return index;
      depth--;
    }
  }
  return -1;
}

/** Formats a template with variable values. */
export function formatTemplate(
  template: string,
  variables: Readonly<Record<string, unknown>>,
  format: TemplateFormat = DEFAULT_TEMPLATE_FORMAT,
): FormattedTemplate {
  const missing = new Set<string>();
  if (format === 'mustache') return { text: formatMustache(template, variables, missing), missing: [...missing] };
  let text = '';
  for (const token of fStringTokens(template)) {
    if (token.kind === 'text') text += token.text;
    else if (token.kind === 'variable' && hasOwn(variables, token.name)) text += variableText(variables[token.name]);
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
  format: TemplateFormat = DEFAULT_TEMPLATE_FORMAT,
): { messages: M[]; missing: string[] } {
  const missing = new Set<string>();
  const formatText = (text: string) => {
    const result = formatTemplate(text, variables, format);
    for (const name of result.missing) missing.add(name);
    return result.text;
  };
  const formatted = messages.map((message) => {
    const content = message.content;
    if (typeof content === 'string') return { ...message, content: formatText(content) };
    if (Array.isArray(content)) {
      const parts = content.map((part: unknown) => {
        if (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text') {
          const text = (part as { text?: unknown }).text;
          if (typeof text === 'string') return { ...part, text: formatText(text) };
        }
        return part;
      });
      return { ...message, content: parts };
    }
    return { ...message };
  });
  return { messages: formatted, missing: [...missing] };
}

/** The text a message holds: its string content, or its text parts. */
function messageTexts(message: TemplatableMessage): string[] {
  const content = message.content;
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const part of content) {
    const text = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
    if (typeof text === 'string') texts.push(text);
  }
  return texts;
}

/** Variable names used across the string content and text parts of messages. */
export function messagesVariables(messages: readonly TemplatableMessage[], format: TemplateFormat = DEFAULT_TEMPLATE_FORMAT): string[] {
  const names = new Set<string>();
  for (const message of messages)
    for (const text of messageTexts(message)) for (const name of templateVariables(text, format)) names.add(name);
  return [...names];
}

/**
 * The format of a template that does not say, when its text and variables leave no doubt: Mustache when it uses
 * `{{name}}` tags naming given variables (or sections) and no `{name}` of a given variable, f-string the other way
 * round; null when both or neither read (then the reader's default, f-string, applies).
 */
export function detectTemplateFormat(
  template: string | readonly TemplatableMessage[],
  variables: Readonly<Record<string, unknown>>,
): TemplateFormat | null {
  const texts = typeof template === 'string' ? [template] : template.flatMap(messageTexts);
  const uses = (format: TemplateFormat) =>
    texts.some((text) =>
      tokenizeTemplate(text, format).some(
        (token) =>
          (token.kind === 'variable' && hasOwn(variables, token.name.split('.')[0])) ||
          (format === 'mustache' && token.kind === 'tag' && (token.tag === '#' || token.tag === '^')),
      ),
    );
  const mustache = uses('mustache');
  const fString = uses('f-string');
  if (mustache === fString) return null;
  return mustache ? 'mustache' : 'f-string';
}
