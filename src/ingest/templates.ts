import type { GenerationRecord } from '../generation/record.js';
import type { StepRecord } from '../generation/step-record.js';
import { detectTemplateFormat, formatTemplate, type TemplateFormat } from '../generation/template.js';
import { OpenInference } from '../semconv/keys.js';
import type { StepLink } from './contract.js';

/**
 * A prompt template traced as its own step feeds the model call after it (README, "LangChain"): LangChain.js's
 * `ChatPromptTemplate` is a span of its own under both instrumentations (OpenInference's `PROMPT` span, OpenLLMetry's
 * `workflow prompt`), whose input is the variables and whose output is the rendered `ChatPromptValue`. Pure.
 */

/** A rendered chat message of a LangChain prompt value. */
interface RenderedMessage {
  role: string;
  content: string;
}

/** What a template step says: the variables, the messages it rendered, and the template text when the span gave one. */
export interface TemplateStep {
  variables: Record<string, unknown>;
  rendered: RenderedMessage[];
  /** OpenInference's `llm.prompt_template.template`: the first message's template only, for a chat template. */
  text: string | null;
}

/** LangChain's message classes (the last part of a serialized message's `id`) as chat roles. */
const LANGCHAIN_ROLES: Readonly<Record<string, string>> = Object.freeze({
  SystemMessage: 'system',
  HumanMessage: 'user',
  AIMessage: 'assistant',
  ToolMessage: 'tool',
});

const CHAT_PROMPT_VALUE = 'ChatPromptValue';

/** The step types a template step has: OpenInference's `PROMPT` kind is `undefined`, OpenLLMetry's workflow a run. */
const TEMPLATE_STEP_TYPES: ReadonlySet<string> = new Set(['undefined', 'run']);

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The last part of a LangChain serialized object's `id` (its class name). */
function className(serialized: Record<string, unknown>): string | undefined {
  const id = serialized.id;
  const last = Array.isArray(id) ? id[id.length - 1] : undefined;
  return typeof last === 'string' ? last : undefined;
}

function renderedMessage(value: unknown): RenderedMessage | undefined {
  const serialized = objectOf(value);
  const kwargs = objectOf(serialized?.kwargs);
  if (!serialized || !kwargs || typeof kwargs.content !== 'string') return undefined;
  const name = className(serialized);
  const role = name === 'ChatMessage' ? kwargs.role : name ? LANGCHAIN_ROLES[name] : undefined;
  return typeof role === 'string' ? { role, content: kwargs.content } : undefined;
}

/**
 * A stored step as a chat prompt template: a step (not an LLM call) whose output is a serialized LangChain
 * `ChatPromptValue` of text messages and whose input is an object (the variables); undefined for any other step.
 */
export function readTemplateStep(step: Pick<StepRecord, 'type' | 'input' | 'output' | 'metadata'>): TemplateStep | undefined {
  if (!TEMPLATE_STEP_TYPES.has(step.type)) return undefined;
  const value = objectOf(parseJson(step.output));
  if (!value || className(value) !== CHAT_PROMPT_VALUE) return undefined;
  const variables = objectOf(parseJson(step.input));
  const messages = objectOf(value.kwargs)?.messages;
  if (!variables || !Array.isArray(messages)) return undefined;
  const rendered: RenderedMessage[] = [];
  for (const message of messages) {
    const read = renderedMessage(message);
    if (!read) return undefined;
    rendered.push(read);
  }
  const text = step.metadata[OpenInference.PROMPT_TEMPLATE];
  return { variables, rendered, text: typeof text === 'string' ? text : null };
}

/** The steps the template rule reads: a step's place, its time, and what it holds. */
export type TemplateRuleStep = Pick<StepRecord, 'spanId' | 'parentSpanId' | 'type' | 'startTime' | 'endTime' | 'generationId'> &
  Pick<StepRecord, 'input' | 'output' | 'metadata'>;

/** Milliseconds of a stored ISO-8601 time (steps keep millisecond times, whichever store wrote them). */
const ms = (time: string): number => Date.parse(time);

/** A template step and the LLM step it fed. */
export interface TemplateLink {
  template: TemplateStep;
  /** The LLM step's generation: its own, or the one its call was merged into. */
  generationId: string;
}

/**
 * Which template fed which model call. LangChain runs a chain's steps one after another under the chain's span (or,
 * under OpenLLMetry, under whatever span was active), so a template and the call it fed have the same parent, and
 * the template ends before the call starts. A template feeds the first LLM step after it among its siblings, and a
 * call is fed by the last template before it: they are linked when each is the other's nearest, so a second call
 * with no template of its own (fed by the first call's answer) gets none. Whether the rendered messages are the
 * messages the call sent is checked by `withTemplate`, when both are known.
 */
export function linkTemplates(steps: readonly TemplateRuleStep[]): TemplateLink[] {
  const siblings = new Map<string | null, TemplateRuleStep[]>();
  for (const step of steps) {
    const group = siblings.get(step.parentSpanId);
    if (group) group.push(step);
    else siblings.set(step.parentSpanId, [step]);
  }
  const links: TemplateLink[] = [];
  for (const group of siblings.values()) {
    const calls = group.filter((step) => step.type === 'llm' && step.generationId !== null);
    if (calls.length === 0) continue;
    const templates = group.flatMap((step) => {
      const template = readTemplateStep(step);
      return template ? [{ step, template }] : [];
    });
    for (const { step, template } of templates) {
      const after = calls.filter((call) => ms(call.startTime) >= ms(step.endTime));
      const call = after.reduce<TemplateRuleStep | undefined>(
        (best, next) => (!best || ms(next.startTime) < ms(best.startTime) ? next : best),
        undefined,
      );
      if (!call) continue;
      const before = templates.filter((other) => ms(other.step.endTime) <= ms(call.startTime));
      const nearest = before.reduce((best, next) => (ms(next.step.endTime) > ms(best.step.endTime) ? next : best));
      if (nearest.step === step) links.push({ template, generationId: call.generationId as string });
    }
  }
  return links;
}

/**
 * Whether a trace's stored steps may hold a template next to a model call (an LLM step with a sibling of a type a
 * template step has): only then does the ingest read the trace's steps for `linkTemplates`, so an agent's loop of
 * model and tool calls costs no read.
 */
export function mayHoldTemplates(links: readonly StepLink[]): boolean {
  const callParents = new Set<string | null>();
  for (const link of links) if (link.type === 'llm' && link.generationId !== null) callParents.add(link.parentSpanId);
  return links.some((link) => TEMPLATE_STEP_TYPES.has(link.type) && callParents.has(link.parentSpanId));
}

/** Literal braces of f-string text written as the format escapes them. */
function escapeFString(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

/**
 * The template of rendered messages: the span's template text for the first message when it renders to it (OpenInference
 * gives the first message's only), else each variable's value put back as its placeholder. Undefined when that is
 * ambiguous (a value that is not text, empty, found more than once, or inside another value) or does not render
 * back to the messages.
 */
export function templateOf(template: TemplateStep): { messages: RenderedMessage[]; format: TemplateFormat } | undefined {
  const { variables, rendered, text } = template;
  const format: TemplateFormat = text !== null && detectTemplateFormat(text, variables) === 'mustache' ? 'mustache' : 'f-string';
  const render = (content: string) => formatTemplate(content, variables, format);
  const first = text !== null && rendered.length > 0 && render(text).text === rendered[0].content ? text : undefined;
  const derived = first === undefined ? rendered : rendered.slice(1);
  const values = Object.entries(variables);
  if (values.some(([, value]) => typeof value !== 'string' || value === '')) return undefined;
  const texts = values.map(([, value]) => value as string);
  if (texts.some((value, index) => texts.some((other, at) => at !== index && other.includes(value)))) return undefined;
  const occurrences = (value: string) => derived.reduce((count, message) => count + message.content.split(value).length - 1, 0);
  if (texts.some((value) => occurrences(value) > 1)) return undefined;
  const placeholder = (name: string) => (format === 'mustache' ? `{{${name}}}` : `{${name}}`);
  const put = (content: string) =>
    values.reduce(
      (done, [name, value]) =>
        done.split(format === 'mustache' ? (value as string) : escapeFString(value as string)).join(placeholder(name)),
      format === 'mustache' ? content : escapeFString(content),
    );
  const messages = rendered.map((message, index) => ({
    role: message.role,
    content: index === 0 && first !== undefined ? first : put(message.content),
  }));
  if (messages.some((message, index) => render(message.content).text !== rendered[index].content)) return undefined;
  return { messages, format };
}

function sameMessages(sent: unknown, rendered: readonly RenderedMessage[]): boolean {
  if (!Array.isArray(sent) || sent.length !== rendered.length) return false;
  return sent.every((message, index) => {
    const read = objectOf(message);
    return read?.role === rendered[index].role && read?.content === rendered[index].content;
  });
}

/**
 * The record of a chat generation a template fed, with the template (when it can be told, see `templateOf`) and its
 * variables; the messages stay what was sent. A template or variables the generation has already (the app's own)
 * win. Undefined when nothing changes, or when the messages sent are not the ones the template rendered (the
 * template fed another call). Idempotent.
 */
export function withTemplate(record: GenerationRecord, template: TemplateStep): GenerationRecord | undefined {
  const generation = record.generation;
  if (generation.type !== 'CHAT') return undefined;
  const sent = generation.messages;
  if (Array.isArray(sent) && sent.length > 0 && !sameMessages(sent, template.rendered)) return undefined;
  const next: Record<string, unknown> = { ...generation, variables: { ...template.variables, ...objectOf(generation.variables) } };
  if (!Array.isArray(generation.template) || generation.template.length === 0) {
    const found = templateOf(template);
    if (found) {
      next.template = found.messages;
      next.templateFormat = found.format;
    }
  }
  return JSON.stringify(next) === JSON.stringify(generation) ? undefined : { ...record, generation: next };
}
