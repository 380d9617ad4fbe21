import { z } from 'zod';

/** Chainlit's step types (`TrueStepType`): what a step did. */
export const STEP_TYPES = ['run', 'tool', 'llm', 'embedding', 'retrieval', 'rerank', 'undefined'] as const;

export const StepTypeSchema = z.enum(STEP_TYPES);

export type StepType = z.infer<typeof StepTypeSchema>;

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not an ISO-8601 time');
const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `${length} hex characters`);

/**
 * A step: one span that carries AI work (a genspan `step()`, an LLM call, a tool call, a retrieval, an agent run...),
 * or an ancestor kept so its trace's tree is whole. Chainlit's and Literal AI's Step, keyed by its span.
 */
export const StepRecordSchema = z.object({
  /** A UUID derived from (traceId, spanId) as generation record ids are: an `llm` step's own generation has its id. */
  id: z.string().min(1),
  traceId: hex(32),
  spanId: hex(16),
  /** The parent step's id (derived from the parent span the same way); null for the trace's root. */
  parentId: z.string().min(1).nullable(),
  parentSpanId: hex(16).nullable(),
  name: z.string(),
  type: StepTypeSchema,
  /** As Chainlit records them: text, objects as JSON. */
  input: z.string().nullable(),
  output: z.string().nullable(),
  /** ISO-8601 UTC. */
  startTime: isoTime,
  endTime: isoTime,
  /** The failure's message when the span failed, else null. */
  error: z.string().nullable(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  /** The generation record of an `llm` step: its own, or the one its call was merged into (see the README). */
  generationId: z.string().min(1).nullable(),
  serviceName: z.string().nullable(),
});

export type StepRecord = z.infer<typeof StepRecordSchema>;

/** What a trace's spans say of its conversation: the thread it belongs to, the thread's given name, and its user. */
export const TraceThreadSchema = z.object({
  traceId: hex(32),
  threadId: z.string().min(1),
  /** A name given by the app (Literal's thread name...); else the thread is named by its first user input. */
  threadName: z.string().nullable(),
  userId: z.string().nullable(),
});

export type TraceThread = z.infer<typeof TraceThreadSchema>;
