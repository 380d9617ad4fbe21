import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GenerationRecordSchema } from '../../src/generation/record.js';
import { StepRecordSchema, TraceThreadSchema } from '../../src/generation/step-record.js';
import {
  derivedSpanId,
  derivedTraceId,
  FOREIGN_STEP_TYPE_METADATA_KEY,
  ForeignDataError,
  foreignKind,
  fromChainlitStep,
  fromLiteralStep,
  fromLiteralThread,
  type ImportedSteps,
  importForeignSteps,
  OTEL_IDS_METADATA_KEY,
  toLiteral,
} from '../../src/ingest/literal.js';
import { recordId } from '../../src/ingest/record.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/literal/${name}`, import.meta.url), 'utf8');
const literalThreads = (): unknown[] => JSON.parse(fixture('literal-threads.json'));
const literalSteps = (): unknown[] =>
  fixture('literal-steps.jsonl')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
const chainlitSteps = (): unknown[] => JSON.parse(fixture('chainlit-steps.json'));

function importThreads(values: unknown[]): ImportedSteps {
  const read = values.map((value) => fromLiteralThread(value));
  return importForeignSteps(
    read.flatMap((r) => r.steps),
    read.map((r) => r.thread),
  );
}

/** Every line is what genspan's own schemas accept (the import validates nothing less). */
function expectValid(imported: ImportedSteps): void {
  for (const record of imported.records) expect(GenerationRecordSchema.safeParse(record).success, record.id).toBe(true);
  for (const step of imported.steps) expect(StepRecordSchema.parse(step)).toEqual(step);
  for (const thread of imported.threads) expect(TraceThreadSchema.parse(thread)).toEqual(thread);
}

const byId = <T extends { id: string }>(items: readonly T[], id: string): T => {
  const found = items.find((item) => item.id === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
};

describe('Literal AI thread and step dictionaries → genspan', () => {
  it('keeps step ids, derives trace and span ids from them, and nests each turn under its root step', () => {
    const imported = importThreads(literalThreads());
    expectValid(imported);
    expect(imported.steps).toHaveLength(7);
    const userMessage = byId(imported.steps, '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01');
    const run = byId(imported.steps, '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a02');
    const llm = byId(imported.steps, '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a03');
    // The whole turn is one trace, named by its root: the user message the run is parented to.
    const traceId = derivedTraceId(userMessage.id);
    for (const step of [userMessage, run, llm]) expect(step.traceId).toBe(traceId);
    expect(userMessage.spanId).toBe(derivedSpanId(userMessage.id));
    expect(run).toMatchObject({ parentId: userMessage.id, parentSpanId: userMessage.spanId, type: 'run', tags: ['agent'] });
    expect(llm).toMatchObject({ parentId: run.id, parentSpanId: run.spanId, generationId: llm.id, type: 'llm' });
    // Message types genspan has not become `undefined` steps that remember theirs.
    expect(userMessage).toMatchObject({ type: 'undefined', metadata: { [FOREIGN_STEP_TYPE_METADATA_KEY]: 'user_message' } });
    expect(userMessage.output).toBe('I want a refund for order 1234');
    // `{content}` with text gives the text; other content, its JSON.
    expect(run.input).toBe('I want a refund for order 1234');
    expect(JSON.parse(llm.input ?? '')).toEqual({ content: expect.any(Array) });
    expect(byId(imported.steps, '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a04')).toMatchObject({ metadata: {}, tags: [] });
    // Times normalized to ISO milliseconds (Python writes microseconds and +00:00).
    expect(run.startTime).toBe('2025-03-04T10:00:00.120Z');
  });

  it('reads null collections as empty, object tool-call arguments and typeless tools into the OpenAI shape', () => {
    const imported = importThreads(literalThreads());
    const record = byId(imported.records, '0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a03');
    expect(record).toMatchObject({ source: 'literal', traceId: derivedTraceId('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01') });
    expect(record.generation).toMatchObject({
      settings: {},
      tags: [],
      metadata: {},
      variables: { company: 'ACME' },
      promptId: 'c1d2e3f4-0000-4000-8000-00000000a001',
      tools: [
        {
          type: 'function',
          function: {
            name: 'refund_order',
            description: 'Refund an order',
            parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
          },
        },
      ],
      messageCompletion: { tool_calls: [{ id: 'toolu_01', function: { name: 'refund_order', arguments: '{"order_id":"1234"}' } }] },
    });
    expect((record.generation.messages as unknown[])[0]).toMatchObject({ uuid: '9a9a0000-0000-4000-8000-000000000001', templated: true });
  });

  it('gives each trace its thread with the thread name and participant, and records a failed call as an error', () => {
    const imported = importThreads(literalThreads());
    expect(imported.threads).toEqual([
      {
        traceId: derivedTraceId('0e1a6a55-0a0e-4d0e-8f53-1a1b6c0b2a01'),
        threadId: '5b6f0a38-51e4-4b7e-9f2b-0c6b1e7c7a01',
        threadName: 'Refund for order 1234',
        userId: 'ada@example.com',
      },
      {
        traceId: derivedTraceId('1f2b7b66-1b1f-4e1f-9a64-2b2c7d1c3b01'),
        threadId: '5b6f0a38-51e4-4b7e-9f2b-0c6b1e7c7a02',
        threadName: null,
        userId: null,
      },
    ]);
    const failed = byId(imported.records, '1f2b7b66-1b1f-4e1f-9a64-2b2c7d1c3b02');
    expect(failed.status).toEqual({ code: 2, message: 'Rate limit exceeded' });
    expect(failed.generation).toMatchObject({ type: 'COMPLETION', variables: {}, error: 'Rate limit exceeded' });
    expect(byId(imported.steps, failed.id).error).toBe('Rate limit exceeded');
  });

  it('reads step lines without a thread, and detects a Mustache template', () => {
    const imported = importForeignSteps(literalSteps().map((value) => fromLiteralStep(value)));
    expectValid(imported);
    expect(imported.threads).toEqual([]);
    expect(imported.records).toHaveLength(1);
    expect(imported.records[0].generation).toMatchObject({ template: 'Translate to English: {{word}}', templateFormat: 'mustache' });
  });

  it('refuses a step without times, or with a generation that is not wire JSON, naming the step', () => {
    const base = literalSteps()[1] as Record<string, unknown>;
    const noTimes = fromLiteralStep({ ...base, startTime: null, endTime: null });
    expect(() => importForeignSteps([noTimes])).toThrow(/Literal step 2a3c8c77-.*4c02: no startTime/);
    const badGeneration = fromLiteralStep({ ...base, generation: { type: 'EMBEDDING' } });
    expect(() => importForeignSteps([badGeneration])).toThrow(ForeignDataError);
    expect(() => fromLiteralStep({ name: 'no id' })).toThrow(/Literal step: id/);
  });
});

describe('Chainlit Step.to_dict() dictionaries → genspan', () => {
  it('reads string input and output, start and end, isError and the generation', () => {
    const imported = importForeignSteps(chainlitSteps().map((value) => fromChainlitStep(value)));
    expectValid(imported);
    const [user, run, llm, tool] = ['01', '02', '03', '04'].map((n) => byId(imported.steps, `3b4d9d88-3d3b-4a3b-9c86-4d4e9f3e5d${n}`));
    expect(user).toMatchObject({ input: null, output: 'What is the weather in Paris?', type: 'undefined' });
    expect(run).toMatchObject({
      parentId: user.id,
      traceId: user.traceId,
      startTime: '2025-02-10T09:00:00.050Z',
      endTime: '2025-02-10T09:00:02.800Z',
    });
    expect(run.input).toContain('"message"');
    expect(tool).toMatchObject({ error: 'TimeoutError: weather service did not answer', type: 'tool' });
    expect(llm).toMatchObject({ generationId: llm.id, tags: ['weather'], metadata: { icon: 'openai' } });
    const record = byId(imported.records, llm.id);
    expect(record).toMatchObject({ source: 'chainlit', status: { code: 0 }, startTime: '2025-02-10T09:00:00.100Z' });
    expect(record.generation).toMatchObject({ type: 'CHAT', ttFirstToken: 380.2, duration: 1.2, model: 'gpt-4o' });
    expect(imported.threads).toEqual([
      { traceId: user.traceId, threadId: '6c7a1b49-62f5-4c8f-a03c-1d7c2f8d8b01', threadName: null, userId: null },
    ]);
  });
});

describe('telling the dictionaries apart', () => {
  it('names threads, Literal steps and Chainlit steps, and nothing else', () => {
    expect(foreignKind(literalThreads()[0])).toBe('literal-thread');
    expect(foreignKind(literalSteps()[0])).toBe('literal-step');
    for (const step of chainlitSteps()) expect(foreignKind(step)).toBe('chainlit-step');
    expect(foreignKind({ id: 'x', traceId: 'a', spanId: 'b', generation: {} })).toBeNull();
    expect(foreignKind({ kind: 'step', id: 'x', parentId: null })).toBeNull();
    expect(foreignKind({ kind: 'step' })).toBeNull();
    expect(foreignKind([])).toBeNull();
    expect(foreignKind('text')).toBeNull();
  });
});

describe('round trips', () => {
  it('Literal fixture → genspan → Literal gives the same dictionaries on the fields both models have', () => {
    const original = literalThreads() as { id: string; name: string | null; steps: LiteralStepFixture[] }[];
    const imported = importThreads(original);
    const exported = toLiteral(imported);
    const again = importForeignSteps(
      exported.flatMap((item) => ('steps' in item ? fromLiteralThread(item).steps : [fromLiteralStep(item)])),
      exported.flatMap((item) => ('steps' in item ? [fromLiteralThread(item).thread] : [])),
    );
    expect(again).toEqual(imported);
    // The dictionaries themselves: the same steps, types (message types too), parents, threads and generations.
    const exportedSteps = exported.flatMap((item) => ('steps' in item ? item.steps.map((s) => ({ ...s, threadId: item.id })) : [item]));
    for (const step of original.flatMap((thread) => thread.steps.map((s) => ({ ...s, threadId: thread.id })))) {
      const out = byId(exportedSteps, step.id);
      expect(out).toMatchObject({ type: step.type, parentId: step.parentId, threadId: step.threadId, name: step.name });
      expect(out.metadata).not.toHaveProperty(OTEL_IDS_METADATA_KEY);
      if (step.generation) expect(out.generation).toMatchObject({ type: step.generation.type });
      expect(new Date(out.startTime).getTime()).toBe(new Date(step.startTime).getTime());
    }
    const thread = exported.find((item) => 'steps' in item && item.id === original[0].id);
    expect(thread).toMatchObject({ name: 'Refund for order 1234', participant: { identifier: 'ada@example.com' } });
  });

  it('genspan → Literal → genspan keeps steps, records and threads, OpenTelemetry ids included', () => {
    const traceId = 'ab'.repeat(16);
    const rootSpan = '1'.repeat(16);
    const llmSpan = '2'.repeat(16);
    const rootId = recordId(traceId, rootSpan);
    const llmId = recordId(traceId, llmSpan);
    const common = { traceId, serviceName: null, tags: [], metadata: {}, error: null };
    const steps = [
      {
        ...common,
        id: rootId,
        spanId: rootSpan,
        parentId: null,
        parentSpanId: null,
        name: 'answer',
        type: 'run' as const,
        input: 'question',
        output: 'answer',
        startTime: '2026-01-01T00:00:00.000Z',
        endTime: '2026-01-01T00:00:02.000Z',
        generationId: null,
      },
      {
        ...common,
        id: llmId,
        spanId: llmSpan,
        parentId: rootId,
        parentSpanId: rootSpan,
        name: 'chat gpt-4o',
        type: 'llm' as const,
        input: null,
        output: null,
        startTime: '2026-01-01T00:00:00.500Z',
        endTime: '2026-01-01T00:00:01.500Z',
        tags: ['t'],
        metadata: { k: 1 },
        generationId: llmId,
      },
    ];
    const generation = {
      promptId: null,
      provider: 'openai',
      model: 'gpt-4o',
      error: null,
      settings: { temperature: 0 },
      variables: { x: 'X' },
      tags: ['t'],
      metadata: {},
      tools: null,
      tokenCount: 3,
      inputTokenCount: 2,
      outputTokenCount: 1,
      ttFirstToken: 10,
      tokenThroughputInSeconds: 1,
      duration: 1,
      messages: [{ role: 'user', content: 'Hi X' }],
      messageCompletion: { role: 'assistant', content: 'Hello' },
      template: [{ role: 'user', content: 'Hi {x}' }],
      templateFormat: 'f-string',
      type: 'CHAT',
    };
    const records = [
      {
        id: llmId,
        traceId,
        spanId: llmSpan,
        parentSpanId: rootSpan,
        serviceName: 'app',
        scope: { name: 'genspan', version: '1' },
        source: 'genspan' as const,
        startTime: steps[1].startTime,
        endTime: steps[1].endTime,
        status: { code: 1, message: null },
        cost: null,
        warnings: [],
        generation,
      },
    ];
    const threads = [{ traceId, threadId: 'thread-1', threadName: 'Support', userId: 'u1' }];
    const exported = toLiteral({ records, steps, threads });
    expect(exported).toEqual([
      { id: 'thread-1', name: 'Support', metadata: {}, tags: [], createdAt: null, participant: { identifier: 'u1' }, steps: [] },
      expect.objectContaining({ id: rootId, threadId: 'thread-1', rootRunId: rootId, generation: null, input: { content: 'question' } }),
      expect.objectContaining({
        id: llmId,
        threadId: 'thread-1',
        rootRunId: rootId,
        generation,
        metadata: { k: 1, otel: { traceId, spanId: llmSpan } },
      }),
    ]);
    const lines = exported.map((item) => JSON.parse(JSON.stringify(item)));
    const back = importForeignSteps(
      lines.slice(1).map((line) => fromLiteralStep(line)),
      [fromLiteralThread(lines[0]).thread],
    );
    expect(back.steps).toEqual(steps);
    expect(back.threads).toEqual(threads);
    // Literal has no status, service, scope, source or cost: the rest of the record comes back as it was.
    const { serviceName: _s, scope: _c, source: _o, status: _t, ...shared } = records[0];
    expect(back.records[0]).toMatchObject(shared);
  });

  it('exports a record stored without a step as an llm step of its own', () => {
    const imported = importForeignSteps(literalSteps().map((value) => fromLiteralStep(value)));
    const exported = toLiteral({ records: imported.records, steps: [], threads: [] });
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      id: imported.records[0].id,
      type: 'llm',
      name: 'gpt-4o-mini',
      generation: imported.records[0].generation,
    });
  });
});

interface LiteralStepFixture {
  id: string;
  type: string;
  name: string;
  parentId: string | null;
  threadId: string | null;
  startTime: string;
  generation: { type: string } | null;
}
