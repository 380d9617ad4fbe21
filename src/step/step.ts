import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  diag,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Generation } from '../generation/generation.js';
import type { StepType } from '../generation/step-record.js';
import {
  captureContentFromEnv,
  type EncodeOptions,
  encodeGeneration,
  encodeGenerationUpdate,
  type SpanAttributes,
  truncationMarker,
} from '../semconv/encode.js';
import { GenAI, Genspan, OpenInference, Otel, StatusCode } from '../semconv/keys.js';
import { matchesSnapshot, type Snapshot, takeSnapshot } from './snapshot.js';

export type { StepType };

/** A conversation: its id, and optionally the name to show for it (else it is named by its first input). */
export interface StepThreadOptions {
  id: string;
  name?: string;
}

export interface StepOptions extends EncodeOptions {
  name: string;
  /** Default `undefined`, as in Chainlit. `llm` steps become CLIENT spans. */
  type?: StepType;
  tags?: string[];
  metadata?: Record<string, unknown>;
  input?: unknown;
  /** Defaults to the global tracer provider's `genspan` tracer. */
  tracer?: Tracer;
  /** Extra span attributes set at start. */
  attributes?: Attributes;
  /**
   * The thread (conversation) the run belongs to: its id, or `{ id, name }`. Written as `gen_ai.conversation.id` (and
   * `genspan.thread.name`); steps started inside this one inherit it, unless given their own.
   */
  thread?: string | StepThreadOptions;
  /** The user the run is for, written as `user.id`; inherited as `thread` is. */
  user?: string;
}

export const TRACER_NAME = 'genspan';

const STEP_KEY = createContextKey('genspan.step');
/** The thread and user of the enclosing steps, which a step started inside them inherits. */
const CONVERSATION_KEY = createContextKey('genspan.conversation');

interface Conversation {
  thread?: { id: string; name?: string };
  user?: string;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The `thread` option as given, or undefined (with a diagnostic) when it is not one. */
function threadOption(thread: StepOptions['thread']): Conversation['thread'] {
  if (thread === undefined) return undefined;
  if (nonEmptyString(thread)) return { id: thread };
  if (typeof thread === 'object' && thread !== null && nonEmptyString(thread.id)) {
    return nonEmptyString(thread.name) ? { id: thread.id, name: thread.name } : { id: thread.id };
  }
  diag.warn('genspan: step option `thread` must be a non-empty string id or { id, name }; the step is traced without it');
  return undefined;
}

function userOption(user: StepOptions['user']): string | undefined {
  if (user === undefined || nonEmptyString(user)) return user;
  diag.warn('genspan: step option `user` must be a non-empty string; the step is traced without it');
  return undefined;
}

/** The enclosing steps' thread and user, and a step's own when it has some (else none is made: most steps have none). */
function conversationOf(options: StepOptions, parent: Context): { conversation?: Conversation; own: boolean } {
  const inherited = parent.getValue(CONVERSATION_KEY) as Conversation | undefined;
  if (options.thread === undefined && options.user === undefined) return { conversation: inherited, own: false };
  const conversation = { thread: threadOption(options.thread) ?? inherited?.thread, user: userOption(options.user) ?? inherited?.user };
  return { conversation, own: true };
}

/** Steps record input and output as strings; objects become JSON, as Chainlit's setters do. */
function stepText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function errorType(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || Otel.ERROR_TYPE_OTHER;
  return Otel.ERROR_TYPE_OTHER;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function writtenKeys(encodings: readonly SpanAttributes[]): Set<string> {
  const keys = new Set<string>();
  for (const attributes of encodings) for (const key in attributes) keys.add(key);
  return keys;
}

/** One unit of work (an LLM call, a tool call, a retrieval...), recorded as an OpenTelemetry span. */
export class Step {
  readonly name: string;
  readonly type: StepType;
  readonly span: Span;
  private readonly options: StepOptions;
  private currentGeneration: Generation | undefined;
  private encodedSnapshot: Snapshot;
  /** The attributes each generation encoding wrote onto the span, so a later encoding can supersede their keys. */
  private readonly encodings: SpanAttributes[] = [];
  private inputValue: unknown;
  private outputValue: unknown;
  private ended = false;
  private failureType: string | undefined;

  /** @internal Use `step()`. */
  constructor(span: Span, options: StepOptions) {
    this.span = span;
    this.options = options;
    this.name = options.name;
    this.type = options.type ?? 'undefined';
    if (options.input !== undefined) this.input = options.input;
  }

  get input(): unknown {
    return this.inputValue;
  }

  set input(value: unknown) {
    this.inputValue = value;
    this.setContent(Genspan.STEP_INPUT, value);
  }

  get output(): unknown {
    return this.outputValue;
  }

  set output(value: unknown) {
    this.outputValue = value;
    this.setContent(Genspan.STEP_OUTPUT, value);
  }

  get generation(): Generation | undefined {
    return this.currentGeneration;
  }

  /** Attaching a generation writes it onto the span at once; it is written again on end if it changed meanwhile. */
  set generation(generation: Generation | undefined) {
    this.currentGeneration = generation;
    this.encodedSnapshot = undefined;
    if (generation) this.encode(generation);
  }

  /** The span's trace context, for links to Jaeger or the playground. */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  /** @internal Records a failure: status ERROR, an `exception` event, `error.type`, and `generation.error`. */
  fail(error: unknown): void {
    try {
      const message = errorMessage(error);
      if (error instanceof Error) this.span.recordException(error);
      else this.span.recordException(message);
      this.span.setStatus({ code: StatusCode.ERROR, message });
      this.failureType = errorType(error);
      this.span.setAttribute(Otel.ERROR_TYPE, this.failureType);
      if (this.currentGeneration && !this.currentGeneration.error) this.currentGeneration.error = message;
    } catch (failure) {
      diag.error('genspan: could not record a step error', failure);
    }
  }

  /** @internal As Chainlit does, a step's output defaults to what it returned, when that is plain data. */
  recordResult(value: unknown): void {
    if (this.outputValue !== undefined || value === undefined || value === null) return;
    const plain =
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      Array.isArray(value) ||
      (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype);
    if (plain) this.output = value;
  }

  /** @internal Ends the span, re-encoding the generation if it was changed after it was attached. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const generation = this.currentGeneration;
    if (generation && !matchesSnapshot(generation, this.encodedSnapshot)) this.encode(generation);
    if (generation?.error) {
      // The generation's own error marks the span as failed even when no exception reached the step.
      this.span.setStatus({ code: StatusCode.ERROR, message: generation.error });
    }
    this.span.end();
  }

  private encode(generation: Generation): void {
    try {
      const { name, attributes } =
        this.encodings.length === 0
          ? encodeGeneration(generation, this.options)
          : encodeGenerationUpdate(generation, this.options, writtenKeys(this.encodings));
      this.span.setAttributes(attributes);
      this.encodings.push(attributes);
      // The exception's class is a better `error.type` than the encoder's generic fallback.
      if (this.failureType) this.span.setAttribute(Otel.ERROR_TYPE, this.failureType);
      this.span.updateName(name);
      this.encodedSnapshot = takeSnapshot(generation);
    } catch (error) {
      diag.error('genspan: could not encode the generation onto the span', error);
    }
  }

  private setContent(key: string, value: unknown): void {
    if (!(this.options.captureContent ?? captureContentFromEnv())) return;
    let text = stepText(value);
    if (text === undefined) return;
    const limit = this.options.maxContentLength;
    if (limit !== undefined && text.length > limit) {
      text = text.slice(0, limit) + truncationMarker(text.length);
      this.span.setAttribute(Genspan.CONTENT_TRUNCATED, true);
    }
    this.span.setAttribute(key, text);
  }
}

/** The innermost running step in the current context, or `undefined`. */
export function currentStep(): Step | undefined {
  return context.active().getValue(STEP_KEY) as Step | undefined;
}

/**
 * Runs `fn(step)` inside an active span. Sync or async: the return value and any thrown error pass through unchanged.
 * Only a native Promise (what an async function returns) is awaited to end the span; any other thenable, such as a
 * lazy query builder whose `then` starts its work, is returned untouched and the span ends at once.
 * Nesting follows the OpenTelemetry context (AsyncLocalStorage once a context manager is registered), so parallel
 * async steps never see each other as parent.
 */
export function step<T>(nameOrOptions: string | StepOptions, fn: (step: Step) => T): T {
  const options: StepOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
  let current: Step;
  let stepContext: Context;
  try {
    const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
    const type = options.type ?? 'undefined';
    const attributes: Attributes = { [Genspan.STEP_NAME]: options.name, [Genspan.STEP_TYPE]: type, ...options.attributes };
    if (options.tags && options.tags.length > 0) attributes[Genspan.STEP_TAGS] = [...options.tags];
    if (options.metadata) attributes[Genspan.STEP_METADATA] = stepText(options.metadata);
    const parent = context.active();
    const { conversation, own } = conversationOf(options, parent);
    if (conversation?.thread) {
      attributes[GenAI.CONVERSATION_ID] = conversation.thread.id;
      if (conversation.thread.name) attributes[Genspan.THREAD_NAME] = conversation.thread.name;
    }
    // `user.id`: the general OpenTelemetry key, which OpenInference and Langfuse read too.
    if (conversation?.user) attributes[OpenInference.USER_ID] = conversation.user;
    const span = tracer.startSpan(options.name, { kind: type === 'llm' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, parent);
    current = new Step(span, options);
    stepContext = trace.setSpan(parent, span).setValue(STEP_KEY, current);
    if (own) stepContext = stepContext.setValue(CONVERSATION_KEY, conversation);
  } catch (error) {
    diag.error('genspan: could not start a step; running it untraced', error);
    return fn(new Step(trace.wrapSpanContext(INVALID_SPAN_CONTEXT), options));
  }

  let result: T;
  try {
    result = context.with(stepContext, fn, undefined, current);
  } catch (error) {
    current.fail(error);
    current.end();
    throw error;
  }
  // Calling `then` on a thenable that is not a Promise could start work the caller never asked for.
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        current.recordResult(value);
        current.end();
        return value;
      },
      (error: unknown) => {
        current.fail(error);
        current.end();
        throw error;
      },
    ) as T;
  }
  current.recordResult(result);
  current.end();
  return result;
}
