import { GenerationMetadata, Langfuse } from '../../semconv/keys.js';
import { gather, hasInput, hasOutput, put, type TranslationContext } from '../draft.js';
import { mergeOutput, messageFrom, messagesFrom, messagesFromParts, toolsFrom } from '../messages.js';
import {
  clean,
  countValue,
  isRecord,
  jsonOrText,
  jsonValue,
  numberValue,
  prefixed,
  readString,
  readStringList,
  stringify,
} from '../read.js';

/**
 * Langfuse SDK attributes, `langfuse.observation.*` (span-conventions.md §6.3). Model, settings and usage come
 * first in the priority order of §9; input and output come last (`readLangfuseContent`), after every other
 * convention's content keys.
 */

const NANOS_PER_MS = 1_000_000n;

/** `completion_start_time` is an ISO time, JSON-quoted by the JS SDK; returns milliseconds after the span start. */
function msAfterStart(context: TranslationContext): number | undefined {
  const { attributes, warnings, span } = context;
  const raw = readString(attributes, Langfuse.COMPLETION_START_TIME, warnings);
  if (raw === undefined) return undefined;
  const text = raw.startsWith('"') ? jsonValue(raw, Langfuse.COMPLETION_START_TIME, warnings) : raw;
  const time = typeof text === 'string' && text.length < 64 ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    warnings.push(`${Langfuse.COMPLETION_START_TIME}: not an ISO time`);
    return undefined;
  }
  const startMs = Number(span.startTimeUnixNano / NANOS_PER_MS) + Number(span.startTimeUnixNano % NANOS_PER_MS) / 1e6;
  const ms = time - startMs;
  if (ms < 0) {
    warnings.push(`${Langfuse.COMPLETION_START_TIME}: before the span start`);
    return undefined;
  }
  return ms;
}

/** `usage_details`: Langfuse's `{input, output, total}` or the OpenAI usage shape. */
function readUsage(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const usage = jsonValue(attributes[Langfuse.USAGE_DETAILS], Langfuse.USAGE_DETAILS, warnings);
  if (usage === undefined) return;
  if (!isRecord(usage)) {
    warnings.push(`${Langfuse.USAGE_DETAILS}: expected a JSON object`);
    return;
  }
  const count = (...names: string[]): number | undefined => {
    for (const name of names) {
      const value = countValue(usage[name], `${Langfuse.USAGE_DETAILS}.${name}`, warnings);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  draft.inputTokens ??= count('input', 'prompt_tokens', 'input_tokens');
  draft.outputTokens ??= count('output', 'completion_tokens', 'output_tokens');
  draft.totalTokens ??= count('total', 'total_tokens');
}

/**
 * `cost_details`: USD by usage type, as `usage_details` counts tokens. Langfuse's own total is `total`, else the sum of
 * every entry; the input's part sums the `input*` and `cache*` entries (cached input), the output's the `output*` ones.
 */
function readCost(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  const details = jsonValue(attributes[Langfuse.COST_DETAILS], Langfuse.COST_DETAILS, warnings);
  if (details === undefined) return;
  if (!isRecord(details)) {
    warnings.push(`${Langfuse.COST_DETAILS}: expected a JSON object`);
    return;
  }
  let input: number | undefined;
  let output: number | undefined;
  let sum: number | undefined;
  let total: number | undefined;
  for (const name of Object.keys(details)) {
    const value = numberValue(details[name], `${Langfuse.COST_DETAILS}.${name}`, warnings);
    if (value === undefined) continue;
    if (name === 'total') {
      total = value;
      continue;
    }
    sum = (sum ?? 0) + value;
    if (name.startsWith('input') || name.startsWith('cache')) input = (input ?? 0) + value;
    else if (name.startsWith('output')) output = (output ?? 0) + value;
  }
  const cost = draft.cost;
  cost.total ??= total ?? sum;
  cost.input ??= input;
  cost.output ??= output;
}

export function readLangfuse(context: TranslationContext): void {
  const { attributes, keys, warnings, draft } = context;
  draft.model ??= readString(attributes, Langfuse.MODEL_NAME, warnings);

  const parameters = jsonValue(attributes[Langfuse.MODEL_PARAMETERS], Langfuse.MODEL_PARAMETERS, warnings);
  if (isRecord(parameters)) gather(draft.settings, parameters, Langfuse.MODEL_PARAMETERS, warnings);
  else if (parameters !== undefined) warnings.push(`${Langfuse.MODEL_PARAMETERS}: expected a JSON object`);

  readUsage(context);
  readCost(context);
  draft.ttFirstToken ??= msAfterStart(context);
  if (attributes[Langfuse.LEVEL] === Langfuse.LEVEL_ERROR) {
    draft.error ??= readString(attributes, Langfuse.STATUS_MESSAGE, warnings) ?? Langfuse.LEVEL_ERROR;
  }
  draft.promptId ??= readString(attributes, Langfuse.PROMPT_NAME, warnings);
  draft.tags ??= readStringList(attributes, Langfuse.TRACE_TAGS, warnings) ?? readStringList(attributes, Langfuse.TAGS, warnings);

  const metadata = draft.metadata;
  put(metadata, GenerationMetadata.PROMPT_VERSION, clean(attributes[Langfuse.PROMPT_VERSION], Langfuse.PROMPT_VERSION, warnings));
  put(metadata, GenerationMetadata.SESSION_ID, readString(attributes, Langfuse.SESSION_ID, warnings));
  const given = prefixed(attributes, keys.langfuse, Langfuse.METADATA_PREFIX, warnings);
  if (given) {
    // Non-string metadata values were written as JSON.
    for (const name of Object.keys(given)) {
      const value = given[name];
      if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('[')))
        given[name] = jsonOrText(value, Langfuse.METADATA_PREFIX + name, warnings);
    }
    gather(metadata, given, Langfuse.METADATA_PREFIX, warnings);
  }
}

/** True when a Langfuse generation's input is plain text, which makes it a completion-style call. */
export function isLangfuseCompletion(input: unknown): boolean {
  if (typeof input !== 'string') return false;
  const first = input.trimStart().charAt(0);
  return first !== '[' && first !== '{';
}

export function readLangfuseContent(context: TranslationContext): void {
  const { attributes, warnings, draft } = context;
  if (!hasInput(draft)) {
    const input = jsonOrText(attributes[Langfuse.INPUT], Langfuse.INPUT, warnings);
    if (typeof input === 'string') draft.prompt ??= input;
    else if (Array.isArray(input)) draft.messages ??= messagesFromParts(input, Langfuse.INPUT, warnings);
    else if (isRecord(input) && Array.isArray(input.messages)) {
      // A whole request body: its tools are the call's tools too.
      draft.messages ??= messagesFrom(input.messages, Langfuse.INPUT, warnings);
      draft.tools ??= toolsFrom(input.tools, (text) => jsonValue(text, Langfuse.INPUT, warnings));
    } else if (input !== undefined) draft.prompt ??= stringify(input);
  }
  if (!hasOutput(draft)) {
    const output = jsonOrText(attributes[Langfuse.OUTPUT], Langfuse.OUTPUT, warnings);
    const choice = isRecord(output) && Array.isArray(output.choices) && isRecord(output.choices[0]) ? output.choices[0] : undefined;
    if (typeof output === 'string') draft.completion ??= output;
    else if (choice && isRecord(choice.message))
      draft.messageCompletion ??= messageFrom(choice.message, 'assistant', Langfuse.OUTPUT, warnings);
    else if (isRecord(output) && ('role' in output || 'content' in output))
      draft.messageCompletion ??= messageFrom(output, 'assistant', Langfuse.OUTPUT, warnings);
    else if (Array.isArray(output))
      draft.messageCompletion ??= mergeOutput(messagesFromParts(output, Langfuse.OUTPUT, warnings, 'assistant') ?? []);
    else if (output !== undefined) draft.completion ??= stringify(output);
  }
}
