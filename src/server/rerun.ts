import { context, ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ChatGeneration,
  CompletionGeneration,
  type Generation,
  GenerationValidationError,
  generationFromJSON,
} from '../generation/generation.js';
import { RERUN_METADATA_KEY, type RerunOrigin } from '../generation/lineage.js';
import type { PriceTable } from '../generation/prices.js';
import type { GenerationRecord } from '../generation/record.js';
import type { OmittedSetting, RerunEvent, RerunPreview } from '../generation/rest.js';
import type { GenerationMessage, ToolCall } from '../generation/schema.js';
import { DEFAULT_TEMPLATE_FORMAT, formatMessages, formatTemplate } from '../generation/template.js';
import { GenerationIngest } from '../ingest/ingest.js';
import { recordId } from '../ingest/record.js';
import { Genspan, Otel, REDACTED } from '../semconv/keys.js';
import { step, TRACER_NAME } from '../step/step.js';
import { trackStream } from '../step/stream.js';
import type { PlaygroundStore } from '../store/types.js';
import { normalizeReadableSpan } from '../translate/normalize.js';
import { MAX_TEXT_CHARS } from '../translate/read.js';
import { ECHOED_TAIL, PROVIDER_ERROR_CHARS } from './defaults.js';
import { endpointUrl, type ProviderConfig, type Providers, providerSecrets, publicUrl } from './providers.js';
import { requestSettings, unansweredToolCalls } from './request-parameters.js';

/**
 * The playground's re-run: an edited generation is formatted, sent to an OpenAI-compatible provider with streaming,
 * traced as an `llm` step, and stored as a new generation that names the one it came from.
 */

/** The `service.name` of re-run spans, so they can be told apart (and filtered) in the list. */
export const RERUN_SERVICE_NAME = 'genspan-playground';
/** The step name of a re-run. */
export const RERUN_STEP_NAME = 'playground re-run';

/** A re-run cancelled by its caller, who asked for it not to be stored (`RunOptions.storeCancelled: false`). */
export class RerunCancelledError extends Error {
  override readonly name = 'RerunCancelledError';
}

/** An edited generation that cannot be re-run as it is (user input, answered with 400). */
export class RerunInputError extends Error {
  override readonly name = 'RerunInputError';
}

export interface ProviderRequest {
  api: 'chat' | 'completions';
  /** Path under the provider's base URL. */
  path: '/chat/completions' | '/completions';
  body: Record<string, unknown>;
}

export interface PreparedRerun {
  /** The new generation: the edit, formatted, with results and metrics cleared. */
  generation: Generation;
  request: ProviderRequest;
  /** Recorded settings the request leaves out, and why. */
  omitted: OmittedSetting[];
}

/** A prepared re-run and the provider it goes to. */
export interface RerunPlan extends PreparedRerun {
  provider: ProviderConfig;
}
/** Message keys the chat completions API accepts; genspan's `uuid` and `templated` stay behind. */
const OPENAI_MESSAGE_KEYS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'function_call'] as const;

function providerMessage(message: GenerationMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of OPENAI_MESSAGE_KEYS) {
    const value = message[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  out.role ??= 'user';
  // Only a tool result answers a call; providers reject the key on any other role.
  if (out.role !== 'tool') delete out.tool_call_id;
  if (!('content' in out) && !('tool_calls' in out)) out.content = '';
  return out;
}

/**
 * Builds the new generation and the provider request from an edited generation (its wire JSON, as the page posts it).
 * A template, when present, is formatted with the variables; otherwise the prompt or messages are sent as edited.
 * Pure; throws `RerunInputError` (or `GenerationValidationError`) for input that cannot be run.
 */
export function prepareRerun(editedJSON: unknown, origin: RerunOrigin, providerName: string): PreparedRerun {
  const edited = generationFromJSON(editedJSON);
  const model = edited.model || (typeof edited.settings.model === 'string' ? edited.settings.model : '');
  if (!model.trim()) throw new RerunInputError('The generation has no model: set one before running it again.');
  const common = {
    provider: providerName,
    model,
    promptId: edited.promptId ?? null,
    settings: { ...edited.settings },
    variables: { ...edited.variables },
    tags: [...edited.tags],
    metadata: { ...edited.metadata, [RERUN_METADATA_KEY]: { ...origin } },
    tools: edited.tools && edited.tools.length > 0 ? edited.tools : null,
  };
  const stream = { stream: true, stream_options: { include_usage: true } };
  const templateFormat = edited.template != null ? (edited.templateFormat ?? null) : null;
  const format = templateFormat ?? DEFAULT_TEMPLATE_FORMAT;
  if (edited.type === 'COMPLETION') {
    const prompt = edited.template != null ? formatTemplate(edited.template, edited.variables, format).text : (edited.prompt ?? '');
    const generation = new CompletionGeneration({ ...common, template: edited.template ?? null, templateFormat, prompt });
    const { sent, omitted } = requestSettings(edited.settings, 'completions', false);
    return { generation, request: { api: 'completions', path: '/completions', body: { ...sent, model, prompt, ...stream } }, omitted };
  }
  const messages = edited.template != null ? formatMessages(edited.template, edited.variables, format).messages : edited.messages;
  if (messages.length === 0) throw new RerunInputError('The chat has no messages to send.');
  const unanswered = unansweredToolCalls(messages);
  if (unanswered.length > 0) {
    const calls = unanswered.join(', ');
    throw new RerunInputError(
      `Tool call ${calls} has no tool result in the messages: add a tool message answering ${calls}, or remove the call.`,
    );
  }
  const generation = new ChatGeneration({ ...common, template: edited.template ?? null, templateFormat, messages });
  const { sent, omitted } = requestSettings(edited.settings, 'chat', common.tools !== null);
  const body: Record<string, unknown> = { ...sent, model, messages: messages.map(providerMessage) };
  if (common.tools) body.tools = common.tools;
  return { generation, request: { api: 'chat', path: '/chat/completions', body: { ...body, ...stream } }, omitted };
}

/**
 * What `prepareRerun` would send, without sending it: the settings (sent and left out) even when something else
 * would refuse the edit, and that refusal's message as `problem`. Pure.
 */
export function previewRerun(editedJSON: unknown, providerName: string): RerunPreview {
  const origin = { id: '', traceId: '', spanId: '' };
  let problem: string | null = null;
  try {
    prepareRerun(editedJSON, origin, providerName);
  } catch (error) {
    if (!(error instanceof RerunInputError || error instanceof GenerationValidationError)) throw error;
    problem = error.message;
  }
  const edited = (typeof editedJSON === 'object' && editedJSON !== null ? editedJSON : {}) as {
    type?: unknown;
    settings?: unknown;
    tools?: unknown;
  };
  const api = edited.type === 'COMPLETION' ? 'completions' : 'chat';
  const settings = typeof edited.settings === 'object' && edited.settings !== null ? (edited.settings as Record<string, unknown>) : {};
  const hasTools = api === 'chat' && Array.isArray(edited.tools) && edited.tools.length > 0;
  const { sent, omitted } = requestSettings(settings, api, hasTools);
  return { provider: providerName, api, settings: sent, omitted, problem };
}

/** A provider's stream that outgrew the content cap: the call is stopped, and what came is kept, cut. */
export class ProviderStreamLimitError extends Error {
  override readonly name = 'ProviderStreamLimitError';
}

/**
 * The `data:` payloads of a server-sent-events body, up to `[DONE]`. Throws `ProviderStreamLimitError` when a line or
 * an event passes `maxChars` (a stream without newlines would otherwise grow the buffer without end).
 */
export async function* sseData(body: ReadableStream<Uint8Array>, maxChars = MAX_TEXT_CHARS): AsyncGenerator<string, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let dataChars = 0;
  const tooLarge = () =>
    new ProviderStreamLimitError(`The provider sent an event of more than ${maxChars} characters: the call was stopped.`);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (let newline = buffer.search(/\r?\n/); newline !== -1; newline = buffer.search(/\r?\n/)) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
        if (line === '') {
          if (data.length > 0) {
            const payload = data.join('\n');
            data = [];
            dataChars = 0;
            if (payload.trim() === '[DONE]') return;
            yield payload;
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
          dataChars += line.length;
          if (dataChars > maxChars) throw tooLarge();
        }
      }
      if (buffer.length > maxChars) throw tooLarge();
      if (done) break;
    }
    if (data.length > 0 && data.join('\n').trim() !== '[DONE]') yield data.join('\n');
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

interface StreamChunk {
  choices?: { text?: unknown; delta?: { content?: unknown; tool_calls?: unknown } }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } | null;
  error?: { message?: unknown } | string;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * Accumulates streamed chunks into the answer: text, tool calls and token counts. The text and the tool calls' strings
 * together stop at `maxChars`: past it `full` is set and the rest is dropped.
 */
class AnswerBuilder {
  text = '';
  full = false;
  private chars = 0;
  readonly toolCalls: ToolCall[] = [];
  inputTokens: number | null = null;
  outputTokens: number | null = null;
  totalTokens: number | null = null;
  error: string | null = null;

  constructor(private readonly maxChars: number) {}

  /** As much of `piece` as the cap leaves room for; sets `full` when that is not all of it. */
  private fit(piece: string): string {
    const room = Math.max(0, this.maxChars - this.chars);
    const kept = piece.length > room ? piece.slice(0, room) : piece;
    if (kept.length < piece.length) this.full = true;
    this.chars += kept.length;
    return kept;
  }

  /**
   * Adds a chunk; returns the text it carried ('' for a tool-call delta), or null when it carried no output: the
   * role-only first chunk, the finish chunk and the usage chunk are not tokens.
   */
  add(chunk: StreamChunk): string | null {
    if (chunk.error) {
      this.error = typeof chunk.error === 'string' ? chunk.error : String(chunk.error.message ?? 'The provider reported an error');
    }
    if (chunk.usage) {
      if (isCount(chunk.usage.prompt_tokens)) this.inputTokens = chunk.usage.prompt_tokens;
      if (isCount(chunk.usage.completion_tokens)) this.outputTokens = chunk.usage.completion_tokens;
      if (isCount(chunk.usage.total_tokens)) this.totalTokens = chunk.usage.total_tokens;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return null;
    let text = '';
    if (typeof choice.text === 'string') text = choice.text;
    if (typeof choice.delta?.content === 'string') text = choice.delta.content;
    text = this.fit(text);
    const toolCalls = Array.isArray(choice.delta?.tool_calls) ? (choice.delta.tool_calls as Record<string, unknown>[]) : [];
    for (const part of toolCalls) this.addToolCall(part);
    this.text += text;
    return text || toolCalls.length > 0 ? text : null;
  }

  private addToolCall(part: Record<string, unknown>): void {
    const index = typeof part.index === 'number' ? part.index : this.toolCalls.length;
    this.toolCalls[index] ??= { type: 'function', function: { name: '', arguments: '' } };
    const call = this.toolCalls[index];
    if (typeof part.id === 'string') call.id = this.fit(part.id);
    if (typeof part.type === 'string') call.type = this.fit(part.type);
    const fn = part.function as { name?: unknown; arguments?: unknown } | undefined;
    if (call.function && fn) {
      if (typeof fn.name === 'string') call.function.name += this.fit(fn.name);
      if (typeof fn.arguments === 'string') call.function.arguments = (call.function.arguments ?? '') + this.fit(fn.arguments);
    }
  }
}

/** Where each echo of `secret` in `text` lies: the secret whole, or any run of its last `ECHOED_TAIL` or more characters. */
function echoesOf(text: string, secret: string): [start: number, end: number][] {
  const ranges: [number, number][] = [];
  if (secret.length <= ECHOED_TAIL) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + secret.length)) ranges.push([at, at + secret.length]);
    return ranges;
  }
  const tail = secret.slice(-ECHOED_TAIL);
  let from = 0;
  for (let at = text.indexOf(tail, from); at !== -1; at = text.indexOf(tail, from)) {
    let start = at;
    for (let k = secret.length - ECHOED_TAIL - 1; k >= 0 && start > from && text[start - 1] === secret[k]; k--) start--;
    ranges.push([start, at + ECHOED_TAIL]);
    from = at + ECHOED_TAIL;
  }
  return ranges;
}

/** Replaces each secret, and any run of its last 8 or more characters (how providers echo a key), with `[REDACTED]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    let kept = '';
    let from = 0;
    for (const [start, end] of echoesOf(out, secret)) {
      kept += out.slice(from, start) + REDACTED;
      from = end;
    }
    out = kept + out.slice(from);
  }
  return out;
}

/**
 * Scrubs secrets from text that arrives in pieces, where a key may be split across two. It holds back the last
 * characters that could still begin an echo (one less than the longest secret), and never releases part of an echo.
 */
export class SecretScrubber {
  private held = '';
  private readonly hold: number;

  constructor(private readonly secrets: readonly string[]) {
    this.hold = Math.max(0, ...secrets.map((secret) => secret.length - 1));
  }

  /** Adds a piece; returns the scrubbed text that can be released now ('' while it is all held). */
  push(text: string): string {
    const pending = this.held + text;
    let cut = Math.max(0, pending.length - this.hold);
    for (let moved = true; moved && cut > 0; ) {
      moved = false;
      for (const secret of this.secrets) {
        if (!secret) continue;
        for (const [start, end] of echoesOf(pending, secret)) {
          if (start < cut && end > cut) {
            cut = start;
            moved = true;
          }
        }
      }
    }
    this.held = pending.slice(cut);
    return scrubSecrets(pending.slice(0, cut), this.secrets);
  }

  /** Releases what is still held, scrubbed. */
  flush(): string {
    const rest = scrubSecrets(this.held, this.secrets);
    this.held = '';
    return rest;
  }
}

async function providerError(response: Response, redact: (text: string) => string): Promise<string> {
  const text = await response.text().catch(() => '');
  let detail = text.trim();
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') detail = message;
  } catch {
    // Not JSON: the body's text is the detail.
  }
  // Redacted before it is cut, so a key at the cut cannot leave a fragment.
  detail = redact(detail).slice(0, PROVIDER_ERROR_CHARS);
  return `The provider answered ${response.status}${detail ? `: ${detail}` : ''}`;
}

function failureMessage(
  error: unknown,
  endpoint: string,
  signal: AbortSignal,
  clientSignal: AbortSignal,
  redact: (text: string) => string,
): string {
  if (clientSignal.aborted) return 'The re-run was cancelled: the page closed the connection.';
  if (signal.aborted) return 'The provider did not finish in time.';
  const cause = (error as { cause?: { message?: unknown } }).cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  return `Could not reach the provider at ${endpoint}: ${redact(typeof cause === 'string' ? cause : message)}`;
}

/** Keeps the spans the playground's own tracer ends, until the re-run that made each one takes it. */
class EndedSpans implements SpanProcessor {
  private readonly spans = new Map<string, ReadableSpan>();
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.set(span.spanContext().spanId, span);
  }
  take(spanId: string): ReadableSpan | undefined {
    const span = this.spans.get(spanId);
    this.spans.delete(spanId);
    return span;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.spans.clear();
    return Promise.resolve();
  }
}

/** How `RerunRunner.run` sends and stores, for callers other than the page (an experiment). */
export interface RunOptions {
  /** Sends the request; an experiment's wraps `fetch` with its retries. Default `fetch`. */
  send?: typeof fetch;
  /** Whether a call the caller cancelled is stored (a re-run the page left is); an experiment runs it again instead. */
  storeCancelled?: boolean;
}

export interface RerunRunnerOptions {
  store: PlaygroundStore;
  providers: Providers;
  /** Defaults to a `GenerationIngest` over `store`, pricing with `prices`. */
  ingest?: GenerationIngest;
  /** Prices for the default ingest (genspan's own when absent); unused with `ingest`. */
  prices?: PriceTable;
  /**
   * Characters of a provider's answer (text and tool calls), and of one event of its stream, past which the call is
   * stopped and the re-run stored with what came, cut, and an error saying so. Default `MAX_TEXT_CHARS`, the content cap.
   */
  maxAnswerChars?: number;
}

/**
 * Runs re-runs. Each one is an `llm` step on a tracer of the runner's own (not the global one, so the server's
 * re-runs never mix with an app's traces); its ended span goes through the same ingest path as received spans.
 */
export class RerunRunner {
  private readonly ended = new EndedSpans();
  private readonly tracerProvider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly ingest: GenerationIngest;

  constructor(private readonly options: RerunRunnerOptions) {
    this.tracerProvider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [Otel.SERVICE_NAME]: RERUN_SERVICE_NAME }),
      sampler: new AlwaysOnSampler(),
      spanProcessors: [this.ended],
    });
    this.tracer = this.tracerProvider.getTracer(TRACER_NAME);
    this.ingest = options.ingest ?? new GenerationIngest(options.store, { prices: options.prices });
  }

  /**
   * Chooses the provider (the one named, else the original's recorded provider when configured, else the first),
   * then validates and formats the edit before anything is streamed. Throws `UnknownProviderError`, or
   * `RerunInputError` (or `GenerationValidationError`) for input that cannot run.
   */
  prepare(original: GenerationRecord, editedJSON: unknown, providerName?: string): RerunPlan {
    const provider = this.providerFor(original, providerName);
    const origin = { id: original.id, traceId: original.traceId, spanId: original.spanId };
    return { ...prepareRerun(editedJSON, origin, provider.name), provider };
  }

  /** The provider named, else the original's recorded provider when configured, else the first. */
  private providerFor(original: GenerationRecord, providerName: string | undefined): ProviderConfig {
    const recorded = original.generation.provider;
    return this.options.providers.resolve(providerName, typeof recorded === 'string' ? recorded : null);
  }

  /**
   * What a re-run of the edit would send to the provider chosen as `prepare` chooses it, without sending it: the
   * settings sent, those left out, and the problem that would refuse it. Throws `UnknownProviderError`.
   */
  preview(original: GenerationRecord, editedJSON: unknown, providerName?: string): RerunPreview {
    const provider = this.providerFor(original, providerName);
    return previewRerun(editedJSON, provider.name);
  }

  /**
   * Sends the request, reports tokens as they arrive, and stores the traced result. Provider failures become the
   * new generation's `error` (and are stored: a failed call is a generation too); only a store failure throws.
   * Resolves with the new record's id; rejects with `RerunCancelledError` for a cancelled call that
   * `options.storeCancelled: false` left unstored.
   */
  async run(
    original: GenerationRecord,
    plan: RerunPlan,
    emit: (event: RerunEvent) => void,
    clientSignal: AbortSignal,
    options: RunOptions = {},
  ): Promise<string> {
    const send = options.send ?? fetch;
    const { generation, request, provider, omitted } = plan;
    emit({ type: 'start', rerunOf: original.id, model: generation.model ?? '', api: request.api, provider: provider.name, omitted });
    const endpoint = endpointUrl(provider.url, request.path);
    const secrets = providerSecrets(provider);
    const redact = (text: string) => scrubSecrets(text, secrets);
    // A provider or proxy may echo the key in its answer: neither the page nor the store may get it.
    const scrubber = new SecretScrubber(secrets);
    const signal = AbortSignal.any([clientSignal, AbortSignal.timeout(provider.timeoutMs)]);
    const maxChars = this.options.maxAnswerChars ?? MAX_TEXT_CHARS;

    let spanId = '';
    await context.with(ROOT_CONTEXT, () =>
      step(
        {
          name: RERUN_STEP_NAME,
          type: 'llm',
          tracer: this.tracer,
          captureContent: true,
          attributes: { [Genspan.RERUN_OF]: original.spanId },
        },
        async (s) => {
          spanId = s.spanId;
          s.generation = generation;
          const answer = new AnswerBuilder(maxChars);
          const startedAt = performance.now();
          try {
            const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
            if (provider.apiKey) headers.authorization = `Bearer ${provider.apiKey}`;
            const response = await send(endpoint, { method: 'POST', headers, body: JSON.stringify(request.body), signal });
            if (!response.ok || !response.body) {
              generation.error = response.ok ? 'The provider sent no body.' : await providerError(response, redact);
            } else {
              const chunks = parseChunks(sseData(response.body, maxChars));
              // Each chunk's output, null for the role-only, finish and usage chunks: trackStream counts those as no
              // token, so the first token is the first content (or tool call), and they add nothing to throughput.
              const outputs = async function* () {
                for await (const chunk of chunks) {
                  const text = answer.add(chunk);
                  if (answer.outputTokens !== null) generation.outputTokenCount = answer.outputTokens;
                  yield text;
                  if (answer.full) {
                    throw new ProviderStreamLimitError(
                      `The provider's answer passed ${maxChars} characters: the call was stopped and the answer cut there.`,
                    );
                  }
                }
              };
              const tokensIn = (text: string | null) => (text === null ? 0 : 1);
              for await (const text of trackStream(outputs(), { generation, startedAt, tokensIn })) {
                const released = text ? scrubber.push(text) : '';
                if (released) emit({ type: 'delta', text: released });
              }
              if (answer.error) generation.error = redact(answer.error);
            }
          } catch (error) {
            // Leaving the stream (sseData's `finally`) cancels the body, which closes the provider's connection.
            generation.error =
              error instanceof ProviderStreamLimitError
                ? error.message
                : failureMessage(error, publicUrl(endpoint.href), signal, clientSignal, redact);
          }
          const rest = scrubber.flush();
          if (rest) emit({ type: 'delta', text: rest });
          fillAnswer(generation, answer, redact);
        },
      ),
    );

    const span = this.ended.take(spanId);
    if (!span) throw new Error('The re-run span was not recorded.');
    if (clientSignal.aborted && options.storeCancelled === false) throw new RerunCancelledError('The re-run was cancelled and not stored.');
    const normalized = normalizeReadableSpan(span);
    const result = await this.ingest.ingestSpans([normalized]);
    if (result.stored + result.duplicates === 0) throw new Error('The re-run could not be stored as a generation.');
    const id = recordId(normalized.traceId, normalized.spanId);
    const stored = await this.options.store.get(id);
    emit({ type: 'done', id, error: generation.error ?? null, generation: stored?.generation ?? generation.toJSON() });
    return id;
  }

  async shutdown(): Promise<void> {
    await this.tracerProvider.shutdown();
  }
}

async function* parseChunks(data: AsyncIterable<string>): AsyncGenerator<StreamChunk, void, undefined> {
  for await (const payload of data) {
    try {
      yield JSON.parse(payload) as StreamChunk;
    } catch {
      // A keep-alive or comment line some providers send; it carries no tokens.
    }
  }
}

function fillAnswer(generation: Generation, answer: AnswerBuilder, redact: (text: string) => string): void {
  if (answer.inputTokens !== null) generation.inputTokenCount = answer.inputTokens;
  if (answer.outputTokens !== null) generation.outputTokenCount = answer.outputTokens;
  if (answer.totalTokens !== null) generation.tokenCount = answer.totalTokens;
  else if (answer.inputTokens !== null && answer.outputTokens !== null) generation.tokenCount = answer.inputTokens + answer.outputTokens;
  const text = redact(answer.text);
  if (generation.type === 'COMPLETION') {
    if (text || !generation.error) generation.completion = text;
    return;
  }
  if (!text && answer.toolCalls.length === 0 && generation.error) return;
  const completion: GenerationMessage = { role: 'assistant', content: text || (answer.toolCalls.length > 0 ? null : '') };
  const calls = answer.toolCalls.filter(Boolean).map((call) => redactToolCall(call, redact));
  if (calls.length > 0) completion.tool_calls = calls;
  generation.messageCompletion = completion;
}

/** A streamed tool call with secrets scrubbed from every string in it (id, type, name, arguments): a provider may echo a key into any. */
function redactToolCall(call: ToolCall, redact: (text: string) => string): ToolCall {
  return redactStrings(call, redact) as ToolCall;
}

function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item, redact)]));
  }
  return value;
}
