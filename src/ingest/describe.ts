import type { StepType } from '../generation/step-record.js';
import { GenAI, Genspan, Langfuse, OpenInference, OpenLLMetry, VercelAI } from '../semconv/keys.js';
import { isGenerationSpan } from '../translate/translate.js';
import type { NormalizedSpan } from '../translate/types.js';

// PROVISIONAL (issue 11): a stand-in for the translator's `describeStep` (branch step-kinds), replaced by it at merge.

/** What ingestion needs to know of a span to make it a step. */
export interface StepDescription {
  /** Whether the span carries AI work (a genspan step, an LLM call, a convention's AI span). */
  ai: boolean;
  type: StepType;
  name: string;
  input: string | null;
  output: string | null;
  error: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  thread: { id: string; name: string | null } | null;
  userId: string | null;
}

const AI_MARKERS = [Genspan.STEP_TYPE, OpenInference.SPAN_KIND, GenAI.OPERATION_NAME, VercelAI.OPERATION_ID, Langfuse.OBSERVATION_TYPE];
const TRACELOOP_SPAN_KIND = 'traceloop.span.kind';
const STEP_TYPES = new Set<string>(['run', 'tool', 'llm', 'embedding', 'retrieval', 'rerank', 'undefined']);

/** Whether a span carries AI work, from a handful of keys: the cheap test run on every span an app ends. */
export function isAiSpan(span: NormalizedSpan): boolean {
  const attributes = span.attributes;
  for (const key of AI_MARKERS) if (attributes[key] !== undefined) return true;
  return attributes[TRACELOOP_SPAN_KIND] !== undefined || isGenerationSpan(span);
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function jsonObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function stepType(span: NormalizedSpan, llm: boolean): StepType {
  const declared = span.attributes[Genspan.STEP_TYPE];
  if (typeof declared === 'string' && STEP_TYPES.has(declared)) return declared as StepType;
  if (llm) return 'llm';
  const kind = span.attributes[OpenInference.SPAN_KIND];
  if (kind === 'TOOL' || span.attributes[GenAI.OPERATION_NAME] === 'execute_tool' || span.attributes[TRACELOOP_SPAN_KIND] === 'tool')
    return 'tool';
  if (kind === 'RETRIEVER') return 'retrieval';
  if (kind === 'EMBEDDING') return 'embedding';
  if (kind === 'RERANKER') return 'rerank';
  return 'run';
}

export function describeStep(span: NormalizedSpan): StepDescription {
  const attributes = span.attributes;
  const ai = isAiSpan(span);
  const llm = isGenerationSpan(span);
  const threadId = attributes[GenAI.CONVERSATION_ID] ?? attributes[OpenInference.SESSION_ID] ?? attributes[Langfuse.SESSION_ID];
  const userId = attributes[OpenInference.USER_ID];
  const tags = attributes[Genspan.STEP_TAGS];
  const name = attributes[Genspan.STEP_NAME];
  return {
    ai,
    type: ai ? stepType(span, llm) : 'undefined',
    name: typeof name === 'string' ? name : span.name,
    input: text(attributes[Genspan.STEP_INPUT] ?? attributes[OpenInference.INPUT_VALUE] ?? attributes[OpenLLMetry.ENTITY_INPUT]),
    output: text(attributes[Genspan.STEP_OUTPUT] ?? attributes[OpenInference.OUTPUT_VALUE] ?? attributes[OpenLLMetry.ENTITY_OUTPUT]),
    error: span.status.code === 2 ? (span.status.message ?? 'error') : null,
    tags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [],
    metadata: jsonObject(attributes[Genspan.STEP_METADATA]),
    thread: typeof threadId === 'string' && threadId !== '' ? { id: threadId, name: null } : null,
    userId: typeof userId === 'string' ? userId : null,
  };
}
