import type { GenerationMessage } from '../../generation/schema.js';
import { GenAI, GenAIEvent, GenAIExtra, GenerationMetadata } from '../../semconv/keys.js';
import { hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { instructionsFrom, mergeOutput, messageFrom, messagesFromParts } from '../messages.js';
import { type Attributes, clean, isRecord, jsonOrText, jsonValue, MAX_ITEMS } from '../read.js';
import { toolDefinitionsFrom } from './genai.js';

/**
 * Message content carried by events, as span events or as log records joined to the span by trace and span id
 * (span-conventions.md §1.3, §2): the v1.28–v1.36 per-message events and `gen_ai.choice`, the v1.37+
 * `gen_ai.client.inference.operation.details` event, and the v1.26/v1.27 `gen_ai.content.prompt|completion` events.
 */

interface EventItem {
  name: string;
  attributes: Attributes;
  /** Log-record body; span events have none and carry the body's fields as attributes. */
  body: unknown;
}

const MESSAGE_EVENT_ROLES: ReadonlyMap<string, string> = new Map([
  [GenAIEvent.SYSTEM_MESSAGE, 'system'],
  [GenAIEvent.USER_MESSAGE, 'user'],
  [GenAIEvent.ASSISTANT_MESSAGE, 'assistant'],
  [GenAIEvent.TOOL_MESSAGE, 'tool'],
]);

function isContentEvent(name: string): boolean {
  return (
    MESSAGE_EVENT_ROLES.has(name) ||
    name === GenAIEvent.CHOICE ||
    name === GenAIEvent.OPERATION_DETAILS ||
    name === GenAIEvent.CONTENT_PROMPT ||
    name === GenAIEvent.CONTENT_COMPLETION
  );
}

function collect(context: TranslationContext): EventItem[] {
  const { span, records } = context;
  const items: EventItem[] = [];
  for (const event of span.events) {
    if (items.length >= MAX_ITEMS) break;
    if (typeof event.name === 'string' && isContentEvent(event.name))
      items.push({ name: event.name, attributes: event.attributes ?? {}, body: undefined });
  }
  for (const record of records) {
    if (items.length >= MAX_ITEMS) break;
    // The caller passes the span's records; a record naming another span is still not mixed in.
    if ((record.spanId && record.spanId !== span.spanId) || (record.traceId && record.traceId !== span.traceId)) continue;
    const attributes = record.attributes ?? {};
    const named = record.eventName ?? attributes[GenAIEvent.EVENT_NAME_ATTRIBUTE];
    if (typeof named === 'string' && isContentEvent(named)) items.push({ name: named, attributes, body: record.body });
  }
  return items;
}

function bodyOf(item: EventItem, warnings: string[]): Record<string, unknown> | undefined {
  const label = `${item.name} body`;
  if (item.body !== undefined && item.body !== null) {
    const value = jsonOrText(item.body, label, warnings);
    if (isRecord(value)) return value;
    return typeof value === 'string' ? { content: value } : undefined;
  }
  const attributes = item.attributes;
  const json = (field: string): unknown => {
    const value = attributes[field];
    return typeof value === 'string'
      ? jsonValue(value, `${item.name} ${field}`, warnings)
      : clean(value, `${item.name} ${field}`, warnings);
  };
  return {
    content: clean(attributes.content, `${item.name} content`, warnings),
    role: attributes.role,
    id: attributes.id,
    index: attributes.index,
    finish_reason: attributes.finish_reason,
    tool_calls: attributes.tool_calls === undefined ? undefined : json('tool_calls'),
    message: attributes.message === undefined ? undefined : json('message'),
  };
}

/** `operation.details` keeps its fields as attributes; some emitters put them in the body instead. */
function detailsField(item: EventItem, key: string, warnings: string[]): unknown {
  const own = item.attributes[key];
  if (own !== undefined) return jsonValue(own, `${item.name} ${key}`, warnings);
  const body = isRecord(item.body) ? item.body : undefined;
  return body ? jsonValue(body[key], `${item.name} ${key}`, warnings) : undefined;
}

function choiceMessage(body: Record<string, unknown>, warnings: string[]): GenerationMessage | undefined {
  return messageFrom(isRecord(body.message) ? body.message : {}, 'assistant', GenAIEvent.CHOICE, warnings, body.tool_calls);
}

/** Reads content from events; returns true when the input or the output came from them. */
export function readGenAIEvents(context: TranslationContext): boolean {
  const items = collect(context);
  if (items.length === 0) return false;
  const { warnings, draft } = context;

  let detailsInput: GenerationMessage[] | undefined;
  const detailsOutput: GenerationMessage[] = [];
  const perMessage: GenerationMessage[] = [];
  let choice: { index: number; message: GenerationMessage; finishReason: unknown } | undefined;
  let promptValue: unknown;
  let completionValue: unknown;

  for (const item of items) {
    if (item.name === GenAIEvent.OPERATION_DETAILS) {
      const input = messagesFromParts(detailsField(item, GenAI.INPUT_MESSAGES, warnings), GenAI.INPUT_MESSAGES, warnings);
      if (input && detailsInput === undefined) detailsInput = input;
      const output = messagesFromParts(detailsField(item, GenAI.OUTPUT_MESSAGES, warnings), GenAI.OUTPUT_MESSAGES, warnings, 'assistant');
      if (output?.[0]) detailsOutput.push(output[0]);
      draft.instructions ??= instructionsFrom(detailsField(item, GenAI.SYSTEM_INSTRUCTIONS, warnings), GenAI.SYSTEM_INSTRUCTIONS, warnings);
      // openlit sends the tool definitions only here, as a structured value.
      const definitions = detailsField(item, GenAI.TOOL_DEFINITIONS, warnings);
      if (definitions !== undefined) draft.tools ??= toolDefinitionsFrom(definitions, warnings);
      continue;
    }
    if (item.name === GenAIEvent.CONTENT_PROMPT) {
      promptValue ??= jsonOrText(item.attributes[GenAIExtra.PROMPT], GenAIExtra.PROMPT, warnings);
      continue;
    }
    if (item.name === GenAIEvent.CONTENT_COMPLETION) {
      completionValue ??= jsonOrText(item.attributes[GenAIExtra.COMPLETION], GenAIExtra.COMPLETION, warnings);
      continue;
    }
    const body = bodyOf(item, warnings);
    if (!body) {
      warnings.push(`${item.name}: body is not a message`);
      continue;
    }
    if (item.name === GenAIEvent.CHOICE) {
      const index = typeof body.index === 'number' ? body.index : 0;
      const message = choiceMessage(body, warnings);
      if (message && (choice === undefined || index < choice.index)) choice = { index, message, finishReason: body.finish_reason };
      continue;
    }
    const message = messageFrom(body, MESSAGE_EVENT_ROLES.get(item.name) ?? 'user', item.name, warnings);
    if (message) perMessage.push(message);
  }

  let used = false;
  if (!hasInput(draft)) {
    if (detailsInput) draft.messages ??= detailsInput;
    else if (perMessage.length > 0) draft.messages ??= perMessage;
    else if (typeof promptValue === 'string') draft.prompt ??= promptValue;
    else if (promptValue !== undefined) draft.messages ??= messagesFromParts(promptValue, GenAIExtra.PROMPT, warnings);
    used = hasInput(draft);
  }
  if (!hasOutput(draft)) {
    if (detailsOutput.length > 0) draft.messageCompletion ??= mergeOutput(detailsOutput);
    else if (choice) {
      draft.messageCompletion ??= choice.message;
      if (typeof choice.finishReason === 'string') put(draft.metadata, GenerationMetadata.FINISH_REASON, choice.finishReason);
    } else if (typeof completionValue === 'string') draft.completion ??= completionValue;
    else if (completionValue !== undefined) {
      const list = Array.isArray(completionValue) ? completionValue : [completionValue];
      draft.messageCompletion ??= messagesFromParts(list, GenAIExtra.COMPLETION, warnings, 'assistant')?.[0];
    }
    used ||= hasOutput(draft);
  }
  return used;
}
