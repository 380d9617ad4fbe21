import { Logfire, REQUEST_BODY_CONTENT_KEYS, StatusCode } from '../../semconv/keys.js';
import { hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { instructionsFrom, messageFrom, messagesFrom, messagesFromResponseItems, toolsFrom, withInstructions } from '../messages.js';
import { type Attributes, capText, clean, countValue, isRecord, isSafeKey, jsonValue, readNumber } from '../read.js';
import type { NormalizedSpan } from '../types.js';

/**
 * Pydantic Logfire's default span format (keys.ts `Logfire`): the OpenAI request body in `request_data`, the answer
 * (`{message, usage}`) in `response_data`. The GenAI keys Logfire writes beside them (model, usage, tool definitions)
 * are read by the GenAI reader; this one adds the messages, the answer, the settings and, on the log-type span that
 * ends a stream, the stream's duration.
 */

const NOT_SETTINGS: ReadonlySet<string> = new Set(REQUEST_BODY_CONTENT_KEYS);

function requestOf(attributes: Attributes, warnings: string[]): Record<string, unknown> | undefined {
  const request = jsonValue(attributes[Logfire.REQUEST_DATA], Logfire.REQUEST_DATA, warnings);
  return isRecord(request) ? request : undefined;
}

/**
 * The request span of a streamed call that did not fail: its answer comes on a separate log-type span, in another
 * trace, which holds the request too and is the call's generation. Only spans without `response_data` are parsed.
 */
export function isLogfireStreamRequest(attributes: Attributes, status: NormalizedSpan['status'] | undefined): boolean {
  if (attributes[Logfire.SPAN_TYPE] !== Logfire.SPAN_TYPE_SPAN || attributes[Logfire.RESPONSE_DATA] !== undefined) return false;
  if (status?.code === StatusCode.ERROR) return false;
  return requestOf(attributes, [])?.stream === true;
}

export function readLogfire(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const request = requestOf(attributes, warnings);
  if (request) {
    if (typeof request.model === 'string') draft.model ??= request.model;
    if (!hasInput(draft)) {
      if (Array.isArray(request.messages)) draft.messages ??= messagesFrom(request.messages, Logfire.REQUEST_DATA, warnings);
      else if (request.input !== undefined) {
        const items = messagesFromResponseItems(request.input, Logfire.REQUEST_DATA, warnings);
        if (items) draft.messages ??= withInstructions(items, instructionsFrom(request.instructions, Logfire.REQUEST_DATA, warnings));
      } else if (typeof request.prompt === 'string') draft.prompt ??= capText(request.prompt, Logfire.REQUEST_DATA, warnings);
    }
    draft.tools ??= toolsFrom(request.tools, (text) => jsonValue(text, Logfire.REQUEST_DATA, warnings));
    for (const key of Object.keys(request)) {
      if (!NOT_SETTINGS.has(key) && isSafeKey(key, Logfire.REQUEST_DATA, warnings))
        put(draft.settings, key, clean(request[key], Logfire.REQUEST_DATA, warnings));
    }
  }
  const response = jsonValue(attributes[Logfire.RESPONSE_DATA], Logfire.RESPONSE_DATA, warnings);
  if (isRecord(response)) {
    if (!hasOutput(draft) && isRecord(response.message))
      draft.messageCompletion ??= messageFrom(response.message, 'assistant', Logfire.RESPONSE_DATA, warnings);
    const usage = isRecord(response.usage) ? response.usage : undefined;
    if (usage) {
      const label = `${Logfire.RESPONSE_DATA} usage`;
      draft.inputTokens ??= countValue(usage.prompt_tokens ?? usage.input_tokens, label, warnings);
      draft.outputTokens ??= countValue(usage.completion_tokens ?? usage.output_tokens, label, warnings);
      draft.totalTokens ??= countValue(usage.total_tokens, label, warnings);
    }
  }
  if (attributes[Logfire.SPAN_TYPE] === Logfire.SPAN_TYPE_LOG) draft.duration ??= readNumber(attributes, Logfire.DURATION, warnings);
}
