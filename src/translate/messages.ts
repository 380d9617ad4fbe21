import type { ContentPart, GenerationMessage, Tool, ToolCall } from '../generation/schema.js';
import { messageFromParts, type PartsMessage, toolFromDefinition } from '../semconv/messages.js';
import { capText, isRecord, MAX_ITEMS, stringify } from './read.js';

/**
 * Message, tool-call and tool shapes seen in the wild → the OpenAI shapes of the generation model
 * (span-conventions.md §8). Inputs are cleaned JSON values (see read.ts); every output satisfies
 * GenerationMessageSchema / ToolSchema. Pure, total functions.
 */

type Content = GenerationMessage['content'];

/** How many items of a list are read (the rest are ignored, see read.ts `MAX_ITEMS`). */
function readable(list: readonly unknown[]): number {
  return Math.min(list.length, MAX_ITEMS);
}

function text(value: unknown, label: string, warnings: string[]): string {
  if (typeof value === 'string') return capText(value, label, warnings);
  if (value === undefined || value === null) return '';
  return stringify(value) ?? '';
}

function imageUrl(value: unknown): ContentPart | undefined {
  if (typeof value === 'string') return { type: 'image_url', image_url: { url: value } };
  if (isRecord(value) && typeof value.url === 'string') return { type: 'image_url', image_url: { ...value, url: value.url } };
  return undefined;
}

const TEXT_PART_TYPES: ReadonlySet<unknown> = new Set(['text', 'input_text', 'output_text']);

function contentPart(part: unknown, label: string, warnings: string[]): ContentPart | undefined {
  if (typeof part === 'string') return { type: 'text', text: capText(part, label, warnings) };
  if (!isRecord(part) || typeof part.type !== 'string') return undefined;
  if (TEXT_PART_TYPES.has(part.type)) return { type: 'text', text: text(part.text ?? part.content, label, warnings) };
  if (part.type === 'image_url') return imageUrl(part.image_url);
  return { ...part, type: part.type };
}

/** Message content as the model keeps it: a string, a list of typed parts, or null. One text part becomes a string. */
export function contentFrom(value: unknown, label: string, warnings: string[]): Content {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return capText(value, label, warnings);
  if (Array.isArray(value)) {
    const parts: ContentPart[] = [];
    for (let index = 0, end = readable(value); index < end; index++) {
      const item = value[index];
      const part = contentPart(item, label, warnings);
      if (part) parts.push(part);
    }
    if (parts.length === 1 && parts[0].type === 'text' && Object.keys(parts[0]).length === 2) return (parts[0] as { text: string }).text;
    return parts;
  }
  return stringify(value) ?? null;
}

/** The text of a message's content (text parts joined), or undefined when it has none. */
export function textOf(message: GenerationMessage | null | undefined): string | undefined {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.filter((part) => part.type === 'text').map((part) => (part as { text: string }).text);
  return texts.length > 0 ? texts.join('') : undefined;
}

/**
 * A tool call in any shape → `{id, type: "function", function: {name, arguments}}`: OpenAI's own, flat
 * `{id, name, arguments}` (OpenLLMetry, parts), Vercel's `{toolCallId, toolName, input | args}`.
 * Reads the keys the value has rather than probing for every spelling (absent keys are slow to look up).
 */
export function toolCallFrom(value: unknown): ToolCall | undefined {
  if (!isRecord(value)) return undefined;
  let name: unknown;
  let args: unknown;
  let id: unknown;
  let fn: Record<string, unknown> | undefined;
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'function':
        if (isRecord(field)) fn = field;
        break;
      case 'name':
      case 'toolName':
        name ??= field;
        break;
      case 'arguments':
      case 'input':
      case 'args':
        args ??= field;
        break;
      case 'id':
      case 'toolCallId':
      case 'call_id':
        id ??= field;
        break;
    }
  }
  if (fn) {
    name = fn.name;
    args = fn.arguments;
  }
  if (name === undefined && args === undefined && id === undefined) return undefined;
  const called: { name: string; arguments?: string } = { name: typeof name === 'string' ? name : '' };
  if (typeof args === 'string') called.arguments = args;
  else if (args !== undefined && args !== null) {
    const printed = stringify(args);
    if (printed !== undefined) called.arguments = printed;
  }
  return typeof id === 'string' ? { id, type: 'function', function: called } : { type: 'function', function: called };
}

function toolCallsFrom(value: unknown): ToolCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const calls: ToolCall[] = [];
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    const call = toolCallFrom(item);
    if (call) calls.push(call);
  }
  return calls.length > 0 ? calls : undefined;
}

/**
 * An OpenAI-shaped message (or a GenAI event body `{content, role?, tool_calls?, id?}`) coerced into the model:
 * unknown keys are dropped, wrong types fixed or dropped. `extraToolCalls` are used when the message has none
 * (a `gen_ai.choice` body may carry them beside its message).
 */
export function messageFrom(
  value: unknown,
  defaultRole: string,
  label: string,
  warnings: string[],
  extraToolCalls?: unknown,
): GenerationMessage | undefined {
  if (!isRecord(value)) return undefined;
  let role = defaultRole;
  let content: Content = null;
  let name: string | undefined;
  let calls: ToolCall[] | undefined;
  let callId: unknown;
  let bodyId: unknown;
  let functionCall: Record<string, unknown> | undefined;
  let uuid: string | undefined;
  let templated: boolean | undefined;
  for (const key in value) {
    const field = value[key];
    switch (key) {
      case 'role':
        if (typeof field === 'string' && field !== '') role = field;
        break;
      case 'content':
        content = contentFrom(field, label, warnings);
        break;
      case 'name':
        if (typeof field === 'string') name = field;
        break;
      case 'tool_calls':
        calls = toolCallsFrom(field);
        break;
      case 'tool_call_id':
        callId = field;
        break;
      case 'id':
        bodyId = field;
        break;
      case 'function_call':
        if (isRecord(field)) functionCall = field;
        break;
      case 'uuid':
        if (typeof field === 'string') uuid = field;
        break;
      case 'templated':
        if (typeof field === 'boolean') templated = field;
        break;
    }
  }
  const message: GenerationMessage = { role, content };
  if (name !== undefined) message.name = name;
  calls ??= toolCallsFrom(extraToolCalls);
  if (calls) message.tool_calls = calls;
  // A GenAI `gen_ai.tool.message` body names the call it answers `id`.
  const answered = callId ?? (role === 'tool' ? bodyId : undefined);
  if (typeof answered === 'string') message.tool_call_id = answered;
  if (functionCall) {
    const call = toolCallFrom({ function: functionCall });
    if (call?.function) message.function_call = { ...call.function };
  }
  if (uuid !== undefined) message.uuid = uuid;
  if (templated !== undefined) message.templated = templated;
  return message;
}

/** A list of OpenAI-shaped messages. */
export function messagesFrom(value: unknown, label: string, warnings: string[]): GenerationMessage[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const messages: GenerationMessage[] = [];
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    const message = messageFrom(item, 'user', label, warnings);
    if (message) messages.push(message);
  }
  return messages;
}

function isPartsMessage(value: unknown): value is PartsMessage {
  return isRecord(value) && Array.isArray(value.parts);
}

/** One GenAI parts message (§1.4) → OpenAI shape; a message that already has OpenAI `content` is taken as such. */
export function messageFromPartsValue(
  value: unknown,
  label: string,
  warnings: string[],
  defaultRole = 'user',
): GenerationMessage | undefined {
  if (!isPartsMessage(value)) return messageFrom(value, defaultRole, label, warnings);
  if (typeof value.role === 'string' && value.role !== '') return messageFrom(messageFromParts(value), value.role, label, warnings);
  return messageFrom(messageFromParts({ ...value, role: defaultRole }), defaultRole, label, warnings);
}

/** `gen_ai.input.messages` / `gen_ai.output.messages` values → OpenAI messages; undefined (and a warning) if not a list. */
export function messagesFromParts(
  value: unknown,
  label: string,
  warnings: string[],
  defaultRole = 'user',
): GenerationMessage[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    warnings.push(`${label}: expected a list of messages`);
    return undefined;
  }
  const messages: GenerationMessage[] = [];
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    if (holdsToolResults(item)) {
      // Anthropic answers parallel tool calls in one user message; OpenAI gives each result its own tool message.
      for (let at = 0, last = readable(item.parts); at < last; at++) {
        const message = messageFromPartsValue({ ...item, parts: [item.parts[at]] }, label, warnings, defaultRole);
        if (message) messages.push(message);
      }
      continue;
    }
    const message = messageFromPartsValue(item, label, warnings, defaultRole);
    if (message) messages.push(message);
  }
  return messages;
}

/**
 * Whether a parts message holds several parts, all tool results (checks the first part only unless it is one). One
 * such part alone is a tool message already (`messageFromParts`), as Anthropic's single `tool_result` block needs.
 */
function holdsToolResults(value: unknown): value is PartsMessage {
  if (!isPartsMessage(value) || value.parts.length < 2 || !isToolResult(value.parts[0])) return false;
  const end = readable(value.parts);
  for (let index = 1; index < end; index++) if (!isToolResult(value.parts[index])) return false;
  return true;
}

function isToolResult(part: unknown): boolean {
  return isRecord(part) && part.type === 'tool_call_response';
}

/** `gen_ai.system_instructions`: a list of parts (§1.4), or a plain string (`@opentelemetry/instrumentation-openai`). */
export function instructionsFrom(value: unknown, label: string, warnings: string[]): GenerationMessage | undefined {
  if (typeof value === 'string') return value === '' ? undefined : { role: 'system', content: capText(value, label, warnings) };
  if (!Array.isArray(value)) return undefined;
  const texts = value.filter(isRecord).map((part) => text(part.content ?? part.text, label, warnings));
  return texts.length > 0 ? { role: 'system', content: texts.join('\n') } : undefined;
}

/** Puts the system instructions first unless the messages already start with a system or developer message. */
export function withInstructions(messages: GenerationMessage[], instructions: GenerationMessage | undefined): GenerationMessage[] {
  if (!instructions) return messages;
  const first = messages[0]?.role;
  return first === 'system' || first === 'developer' ? messages : [instructions, ...messages];
}

/** A tool definition in any shape (flat GenAI, OpenAI, Vercel `inputSchema`) → the OpenAI shape, checked. */
export function toolFrom(value: unknown): Tool | undefined {
  if (!isRecord(value)) return undefined;
  // A fresh object with a string `type`; its `function` may still be the definition's own object.
  const tool = toolFromDefinition(value);
  const fn = tool.function as unknown;
  if (fn === undefined) return tool;
  if (!isRecord(fn)) {
    delete tool.function;
    return tool;
  }
  const copy: Record<string, unknown> = { ...fn, name: typeof fn.name === 'string' ? fn.name : '' };
  if (copy.description !== undefined && copy.description !== null && typeof copy.description !== 'string') delete copy.description;
  if (copy.parameters !== undefined && copy.parameters !== null && !isRecord(copy.parameters)) delete copy.parameters;
  tool.function = copy as Tool['function'];
  return tool;
}

/**
 * A Gemini tool's function declarations (`{functionDeclarations: [...]}`, `function_declarations` in Python), each
 * `{name, description, parameters | parametersJsonSchema}`; undefined for a tool of any other shape.
 */
function geminiDeclarations(value: unknown): unknown[] | undefined {
  if (!isRecord(value)) return undefined;
  const declarations = value.functionDeclarations ?? value.function_declarations;
  return Array.isArray(declarations) ? declarations : undefined;
}

function geminiDeclaration(value: unknown): unknown {
  if (!isRecord(value) || value.parameters !== undefined || value.parametersJsonSchema === undefined) return value;
  const { parametersJsonSchema, ...rest } = value;
  return { ...rest, parameters: parametersJsonSchema };
}

/**
 * A list of tool definitions; entries may be objects or JSON strings (Vercel `ai.prompt.tools`). A Gemini tool gives
 * one tool per function declaration.
 */
export function toolsFrom(value: unknown, parse: (text: string) => unknown): Tool[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const tools: Tool[] = [];
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    const definition = typeof item === 'string' ? parse(item) : item;
    const declarations = geminiDeclarations(definition);
    if (declarations === undefined) {
      const tool = toolFrom(definition);
      if (tool) tools.push(tool);
      continue;
    }
    for (let at = 0, last = Math.min(readable(declarations), MAX_ITEMS - tools.length); at < last; at++) {
      const tool = toolFrom(geminiDeclaration(declarations[at]));
      if (tool) tools.push(tool);
    }
  }
  return tools;
}

/** Vercel tool results: `output` `{type: "text" | "json" | ..., value}` (v5+) or a raw `result` (v4). */
function toolResultText(part: Record<string, unknown>, label: string, warnings: string[]): string {
  const output = part.output ?? part.result;
  if (isRecord(output) && typeof output.type === 'string' && 'value' in output) return text(output.value, label, warnings);
  return text(output, label, warnings);
}

function vercelFilePart(part: Record<string, unknown>): ContentPart | undefined {
  const mediaType = part.mediaType ?? part.mimeType;
  const data = part.data ?? part.image;
  if (typeof data !== 'string') return undefined;
  if (part.type === 'image' || (typeof mediaType === 'string' && mediaType.startsWith('image/'))) {
    const url = /^(https?:|data:)/.test(data) ? data : `data:${typeof mediaType === 'string' ? mediaType : 'image/png'};base64,${data}`;
    return { type: 'image_url', image_url: { url } };
  }
  return { type: 'file', mediaType, data };
}

/**
 * A Vercel AI SDK prompt (`ai.prompt.messages`, the provider prompt of v3–v7, or the `messages` of `ai.prompt`)
 * → OpenAI messages: tool-call parts become `tool_calls`, each tool-result part its own `tool` message.
 */
export function messagesFromVercel(value: unknown, label: string, warnings: string[]): GenerationMessage[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const messages: GenerationMessage[] = [];
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    if (!isRecord(item)) continue;
    const role = typeof item.role === 'string' ? item.role : 'user';
    if (!Array.isArray(item.content)) {
      messages.push({ role, content: contentFrom(item.content, label, warnings) });
      continue;
    }
    const parts: ContentPart[] = [];
    const calls: ToolCall[] = [];
    for (const part of item.content) {
      if (!isRecord(part)) continue;
      if (part.type === 'tool-result') {
        const result: GenerationMessage = { role: 'tool', content: toolResultText(part, label, warnings) };
        if (typeof part.toolCallId === 'string') result.tool_call_id = part.toolCallId;
        messages.push(result);
      } else if (part.type === 'tool-call') {
        const call = toolCallFrom(part);
        if (call) calls.push(call);
      } else if (part.type === 'text') {
        parts.push({ type: 'text', text: text(part.text, label, warnings) });
      } else if (part.type === 'file' || part.type === 'image') {
        const file = vercelFilePart(part);
        if (file) parts.push(file);
      }
      // Reasoning parts are provider-internal and not replayable: left out.
    }
    if (role === 'tool' && parts.length === 0 && calls.length === 0) continue;
    const message: GenerationMessage = { role, content: contentFrom(parts, label, warnings) };
    if (parts.length === 0) message.content = null;
    if (calls.length > 0) message.tool_calls = calls;
    messages.push(message);
  }
  return messages;
}

/**
 * OpenAI Responses API `input` / `output` items → OpenAI chat messages: `message` items, `function_call` items
 * (folded into one assistant message) and `function_call_output` items (tool messages).
 */
export function messagesFromResponseItems(value: unknown, label: string, warnings: string[]): GenerationMessage[] | undefined {
  if (typeof value === 'string') return [{ role: 'user', content: capText(value, label, warnings) }];
  if (!Array.isArray(value)) return undefined;
  const messages: GenerationMessage[] = [];
  let pendingCalls: GenerationMessage | undefined;
  for (let index = 0, end = readable(value); index < end; index++) {
    const item = value[index];
    if (!isRecord(item)) continue;
    if (item.type === 'function_call') {
      const call = toolCallFrom(item);
      if (!call) continue;
      if (pendingCalls?.tool_calls) pendingCalls.tool_calls.push(call);
      else {
        pendingCalls = { role: 'assistant', content: null, tool_calls: [call] };
        messages.push(pendingCalls);
      }
      continue;
    }
    pendingCalls = undefined;
    if (item.type === 'function_call_output') {
      const result: GenerationMessage = { role: 'tool', content: text(item.output, label, warnings) };
      if (typeof item.call_id === 'string') result.tool_call_id = item.call_id;
      messages.push(result);
    } else if (item.type === 'message' || item.type === undefined) {
      const message = messageFrom(item, 'user', label, warnings);
      if (message) messages.push(message);
    }
  }
  return messages;
}

/**
 * Several output messages of one call (Responses API items, one `operation.details` record per output item)
 * → the one completion message: text contents joined, tool calls gathered. A single message is returned as is.
 */
export function mergeOutput(messages: readonly GenerationMessage[]): GenerationMessage | null {
  if (messages.length <= 1) return messages[0] ?? null;
  const texts: string[] = [];
  const parts: ContentPart[] = [];
  const calls: ToolCall[] = [];
  let structured = false;
  for (const message of messages) {
    if (typeof message.content === 'string') {
      texts.push(message.content);
      parts.push({ type: 'text', text: message.content });
    } else if (Array.isArray(message.content)) {
      structured = true;
      parts.push(...message.content);
    }
    if (message.tool_calls) calls.push(...message.tool_calls);
  }
  const merged: GenerationMessage = {
    role: messages[0].role ?? 'assistant',
    content: structured ? parts : texts.length > 0 ? texts.join('') : null,
  };
  if (calls.length > 0) merged.tool_calls = calls;
  return merged;
}
