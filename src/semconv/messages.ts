import type { GenerationMessage, Tool } from '../generation/schema.js';
import { GenAIMessageField } from './keys.js';

/**
 * Conversions between the OpenAI-shaped messages and tools of the generation model and the
 * OpenTelemetry GenAI "parts" schema (span-conventions.md §1.4). Pure functions over plain data.
 */

export interface Part {
  type: string;
  [key: string]: unknown;
}

export interface PartsMessage {
  role: string;
  parts: Part[];
  name?: string | null;
  finish_reason?: string;
  [key: string]: unknown;
}

/** Keys of a generation message that the parts schema carries itself; anything else rides along as an extra property. */
const MESSAGE_KEYS_IN_PARTS: ReadonlySet<string> = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id']);

/** A GenAI message's own fields, read by the conversion; any other key rides along as an extra property. */
const GENAI_MESSAGE_FIELDS: ReadonlySet<string> = new Set(Object.values(GenAIMessageField));

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Tool-call arguments arrive as a JSON string; the conventions prefer an object. The object is written only when
 * it prints back to the very same string, so decoding gives the original text.
 */
function argumentsToPart(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && JSON.stringify(parsed) === text) return parsed;
  } catch {
    // Not JSON: the raw string is kept.
  }
  return text;
}

function argumentsFromPart(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function contentToParts(content: GenerationMessage['content']): Part[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ type: 'text', content }];
  return content.map((part): Part => {
    if (part.type === 'text' && typeof part.text === 'string') {
      const { type: _type, text, ...rest } = part;
      return { type: 'text', content: text, ...rest };
    }
    if (part.type === 'image_url') {
      const image = (part as { image_url: unknown }).image_url;
      const uri = typeof image === 'string' ? image : isRecord(image) ? String(image.url) : '';
      if (uri.startsWith('data:')) {
        const match = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(uri);
        if (match) return { type: 'blob', modality: 'image', mime_type: match[1] ?? null, content: match[3] };
      }
      const detail = isRecord(image) && image.detail !== undefined ? { detail: image.detail } : {};
      return { type: 'uri', modality: 'image', uri, ...detail };
    }
    return { ...part } as Part;
  });
}

/** OpenAI-shaped message → parts message. */
export function messageToParts(message: GenerationMessage): PartsMessage {
  const role = message.role ?? 'user';
  const parts: Part[] = [];
  if (role === 'tool') {
    parts.push({ type: 'tool_call_response', id: message.tool_call_id ?? null, response: message.content ?? null });
  } else {
    parts.push(...contentToParts(message.content));
  }
  for (const call of message.tool_calls ?? []) {
    const part: Part = { type: 'tool_call', id: call.id ?? null, name: call.function?.name ?? '' };
    const args = argumentsToPart(call.function?.arguments);
    if (args !== undefined) part.arguments = args;
    parts.push(part);
  }
  const out: PartsMessage = { role, parts };
  if (message.name != null) out.name = message.name;
  for (const [key, value] of Object.entries(message)) {
    if (!MESSAGE_KEYS_IN_PARTS.has(key) && value !== undefined) out[key] = value;
  }
  return out;
}

function partToContent(part: Part): Record<string, unknown> {
  if (part.type === 'text') {
    const { type: _type, content, ...rest } = part;
    return { type: 'text', text: typeof content === 'string' ? content : JSON.stringify(content ?? ''), ...rest };
  }
  if (part.type === 'uri' && part.modality === 'image') {
    const imageUrl: Record<string, unknown> = { url: String(part.uri ?? '') };
    if (part.detail !== undefined) imageUrl.detail = part.detail;
    return { type: 'image_url', image_url: imageUrl };
  }
  if (part.type === 'blob' && part.modality === 'image') {
    return { type: 'image_url', image_url: { url: `data:${part.mime_type ?? 'image/png'};base64,${String(part.content ?? '')}` } };
  }
  return { ...part };
}

/** Whether a part is a text part with nothing but its type and content, which OpenAI writes as a plain string. */
function isPlainTextPart(part: Part): boolean {
  if (part.type !== 'text') return false;
  let keys = 0;
  for (const _key in part) keys++;
  return keys === 2;
}

/** `list` with `item` added; a new list when there was none. */
export function appended<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}

/**
 * Parts message → OpenAI-shaped message. One text part becomes a string `content`, as OpenAI writes it.
 * One pass over the parts and no intermediate lists for the usual message: this runs for every message read.
 */
export function messageFromParts(message: PartsMessage): GenerationMessage {
  const role = typeof message.role === 'string' ? message.role : 'user';
  let response: Part | undefined;
  let contentParts: Part[] | undefined;
  let calls: Part[] | undefined;
  if (Array.isArray(message.parts)) {
    for (const part of message.parts) {
      if (!isRecord(part)) continue;
      if (part.type === 'tool_call_response') response ??= part;
      else if (part.type === 'tool_call') calls = appended(calls, part);
      else contentParts = appended(contentParts, part);
    }
  }
  let extra: Record<string, unknown> | undefined;
  for (const key in message) {
    if (!GENAI_MESSAGE_FIELDS.has(key) && key !== '__proto__' && Object.hasOwn(message, key)) {
      extra ??= {};
      extra[key] = message[key];
    }
  }
  // pydantic-ai sends a tool's result as a `user` message of one `tool_call_response` part: a tool message all the same.
  if (response && (role === 'tool' || (contentParts === undefined && calls === undefined))) {
    const result: GenerationMessage = { role: 'tool', ...extra };
    if (message.name != null) result.name = message.name;
    if (typeof response.id === 'string') result.tool_call_id = response.id;
    const body = response.response ?? response.result;
    result.content =
      typeof body === 'string' || Array.isArray(body) ? (body as GenerationMessage['content']) : body == null ? null : JSON.stringify(body);
    return result;
  }
  const result: GenerationMessage = { role };
  if (message.name != null) result.name = message.name;
  if (contentParts === undefined) {
    result.content = null;
  } else if (contentParts.length === 1 && isPlainTextPart(contentParts[0])) {
    const text = contentParts[0].content;
    result.content = typeof text === 'string' ? text : JSON.stringify(text ?? '');
  } else {
    result.content = contentParts.map(partToContent) as GenerationMessage['content'];
  }
  if (calls !== undefined) {
    result.tool_calls = calls.map((call) => {
      const fn: { name: string; arguments?: string } = { name: typeof call.name === 'string' ? call.name : '' };
      const args = argumentsFromPart(call.arguments);
      if (args !== undefined) fn.arguments = args;
      const toolCall: { id?: string; type: string; function: typeof fn } = { type: 'function', function: fn };
      if (typeof call.id === 'string') toolCall.id = call.id;
      return toolCall;
    });
  }
  return extra ? { ...result, ...extra } : result;
}

/** OpenAI-shaped tool → the flat `gen_ai.tool.definitions` entry `{type, name, description, parameters}`. */
export function toolToDefinition(tool: Tool): Record<string, unknown> {
  if (tool.function) {
    const { function: fn, type, ...rest } = tool;
    return { ...rest, type, ...fn };
  }
  return { ...tool };
}

/**
 * A tool definition in any shape seen in the wild → the OpenAI shape: the flat OTel form, OpenAI's own
 * `{type, function}` (OpenLLMetry), or Vercel's `inputSchema` / `input_schema`.
 */
export function toolFromDefinition(definition: Record<string, unknown>): Tool {
  if (isRecord(definition.function)) {
    return { ...definition, type: typeof definition.type === 'string' ? definition.type : 'function' } as Tool;
  }
  const { type, name, description, parameters, inputSchema, input_schema, ...rest } = definition;
  const kind = typeof type === 'string' ? type : 'function';
  if (kind !== 'function' && parameters === undefined && inputSchema === undefined && input_schema === undefined) {
    return { ...definition, type: kind } as Tool;
  }
  const fn: Record<string, unknown> = { name: typeof name === 'string' ? name : '' };
  if (description !== undefined) fn.description = description;
  const schema = parameters ?? inputSchema ?? input_schema;
  if (schema !== undefined) fn.parameters = schema;
  Object.assign(fn, rest);
  return { type: kind, function: fn } as Tool;
}
