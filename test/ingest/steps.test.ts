import { describe, expect, it } from 'vitest';
import type { StepLink } from '../../src/ingest/contract.js';
import { type CallTiming, joinDetached, traceCalls } from '../../src/ingest/overlap.js';
import { recordId } from '../../src/ingest/record.js';
import { type DescribedSpan, decideKeep, toStepRecord, traceThreads } from '../../src/ingest/steps.js';
import type { StepDescription } from '../../src/translate/step-kind.js';
import type { NormalizedSpan } from '../../src/translate/types.js';
import { makeRecord, normalizedSpan, spanIdOf, traceIdOf } from '../store/fixtures.js';

function described(span: number, parent: number | null, description: Partial<StepDescription> = {}, trace = 1): DescribedSpan {
  const base = normalizedSpan({ trace, span });
  const value: NormalizedSpan = { ...base, parentSpanId: parent === null ? undefined : spanIdOf(parent) };
  return {
    span: value,
    description: {
      ai: false,
      type: 'undefined',
      name: `span-${span}`,
      input: null,
      output: null,
      error: null,
      tags: [],
      metadata: {},
      thread: null,
      userId: null,
      ...description,
    },
  };
}

const ai = (type: StepDescription['type']): Partial<StepDescription> => ({ ai: true, type });
const NONE = new Map<string, StepLink[]>();

function keptOf(decision: ReturnType<typeof decideKeep>): string[] {
  return decision.kept.map((kept) => `${kept.description.name}:${kept.type}`);
}

describe('decideKeep', () => {
  // An HTTP root (1) around a database query (2) and a run (3) holding an LLM call (4).
  const http = [described(1, null), described(2, 1), described(3, 1, ai('run')), described(4, 3, ai('llm'))];

  it("keeps AI spans and their ancestors (a non-AI ancestor as a run) with 'ai'; holds the rest", () => {
    const decision = decideKeep(http, NONE, 'ai');
    expect(keptOf(decision)).toEqual(['span-1:run', 'span-3:run', 'span-4:llm']);
    expect(decision.held.map((span) => span.spanId)).toEqual([spanIdOf(2)]);
  });

  it("keeps every span of a trace with AI work with 'all' (others undefined, a non-AI root a run)", () => {
    const decision = decideKeep(http, NONE, 'all');
    expect(keptOf(decision)).toEqual(['span-1:run', 'span-2:undefined', 'span-3:run', 'span-4:llm']);
    expect(decision.held).toEqual([]);
  });

  it('holds every span of a trace without AI work, whatever the policy', () => {
    const plain = [described(1, null), described(2, 1)];
    for (const policy of ['ai', 'all'] as const) {
      const decision = decideKeep(plain, NONE, policy);
      expect(decision.kept).toEqual([]);
      expect(decision.held).toHaveLength(2);
    }
  });

  it('keeps an ancestor arriving after its descendants: a stored step names it as parent, up through the batch', () => {
    const stored = new Map([
      [traceIdOf(1), [{ spanId: spanIdOf(4), parentSpanId: spanIdOf(3), type: 'llm', generationId: 'g' } as StepLink]],
    ]);
    const late = [described(1, null), described(2, 1), described(3, 1)];
    expect(keptOf(decideKeep(late, stored, 'ai'))).toEqual(['span-1:run', 'span-3:run']);
    expect(keptOf(decideKeep(late, stored, 'all'))).toEqual(['span-1:run', 'span-2:undefined', 'span-3:run']);
  });
});

describe('toStepRecord and traceThreads', () => {
  it('derives ids from the spans, as generation records do', () => {
    const [root, child] = [described(1, null, ai('run')), described(4, 1, ai('llm'))];
    const generation = makeRecord({ trace: 1, span: 4 });
    const step = toStepRecord({ ...child, type: 'llm' }, generation);
    expect(step).toMatchObject({
      id: recordId(traceIdOf(1), spanIdOf(4)),
      parentId: recordId(traceIdOf(1), spanIdOf(1)),
      parentSpanId: spanIdOf(1),
      type: 'llm',
      generationId: generation.id,
      startTime: generation.startTime,
      serviceName: 'checkout',
    });
    expect(toStepRecord({ ...root, type: 'run' })).toMatchObject({ parentId: null, parentSpanId: null, generationId: null });
  });

  it("keeps an LLM call's content once, in its generation, but a genspan step's own input and output on the step", () => {
    const content = { ...ai('llm'), input: '[{"role":"user"}]', output: '[{"role":"assistant"}]' };
    const call = described(4, 1, content);
    expect(toStepRecord({ ...call, type: 'llm' }, makeRecord({ trace: 1, span: 4 }))).toMatchObject({ input: null, output: null });
    expect(toStepRecord({ ...call, type: 'llm' })).toMatchObject({ input: content.input, output: content.output });
    const own = described(4, 1, { ...ai('llm'), input: 'the question', output: 'the answer' });
    own.span.attributes = { ...own.span.attributes, 'genspan.step.input': 'the question', 'genspan.step.output': 'the answer' };
    expect(toStepRecord({ ...own, type: 'llm' }, makeRecord({ trace: 1, span: 4 }))).toMatchObject({
      input: 'the question',
      output: 'the answer',
    });
  });

  it('gives one thread entry per trace that names one, with its name and user from any of its spans', () => {
    const spans = [
      described(1, null, { ...ai('run'), userId: 'ada' }),
      described(2, 1, { ...ai('llm'), thread: { id: 'thread-1', name: null } }),
      described(3, 1, { ...ai('tool'), thread: { id: 'thread-1', name: 'Trip planning' } }),
      described(5, null, ai('run'), 2),
    ];
    expect(traceThreads(spans)).toEqual([{ traceId: traceIdOf(1), threadId: 'thread-1', threadName: 'Trip planning', userId: 'ada' }]);
  });
});

function link(span: number, parent: number | null, type: StepLink['type'], generation = type === 'llm'): StepLink {
  return {
    spanId: spanIdOf(span),
    parentSpanId: parent === null ? null : spanIdOf(parent),
    type,
    generationId: generation ? `g${span}` : null,
  };
}

describe('traceCalls', () => {
  it('finds a call under a call, through wrappers, innermost first', () => {
    // run 1 > llm step 2 > ai.generateText 3 (run) > doGenerate 4
    const { chains, detached } = traceCalls([link(1, null, 'run'), link(2, 1, 'llm'), link(3, 2, 'run'), link(4, 3, 'llm')]);
    expect(chains).toEqual([{ calls: [spanIdOf(4), spanIdOf(2)], path: [spanIdOf(4), spanIdOf(3), spanIdOf(2)] }]);
    expect(detached).toEqual([]);
  });

  it('gives each of several inner calls its own chain, and follows three layers', () => {
    const { chains } = traceCalls([link(1, null, 'llm'), link(2, 1, 'llm'), link(3, 1, 'llm'), link(4, 3, 'llm')]);
    expect(chains.map((chain) => chain.calls)).toEqual([
      [spanIdOf(2), spanIdOf(1)],
      [spanIdOf(4), spanIdOf(3), spanIdOf(1)],
    ]);
  });

  it('keeps calls apart across a tool step, and an llm step without a generation is a wrapper', () => {
    const apart = traceCalls([link(1, null, 'llm'), link(2, 1, 'tool'), link(3, 2, 'llm')]);
    expect(apart.chains).toEqual([]);
    expect(apart.detached).toEqual([spanIdOf(1), spanIdOf(3)]);
    const wrapped = traceCalls([link(1, null, 'llm'), link(2, 1, 'llm', false), link(3, 2, 'llm')]);
    expect(wrapped.chains.map((chain) => chain.calls)).toEqual([[spanIdOf(3), spanIdOf(1)]]);
  });
});

describe('joinDetached', () => {
  // agent 1 > chain 2 > framework LLM span 3; the client's span 4 is the agent's child (LangChain's callbacks).
  const links = [link(1, null, 'run'), link(2, 1, 'run'), link(3, 2, 'llm'), link(4, 1, 'llm'), link(5, 1, 'llm')];
  const timing = (scope: string, start: number, end: number): CallTiming => ({
    scope,
    startTime: new Date(start).toISOString(),
    endTime: new Date(end).toISOString(),
  });

  it("joins a client call to the framework's call whose time holds it, below the client call's parent", () => {
    const timings = new Map([
      [spanIdOf(3), timing('langchain', 100, 900)],
      [spanIdOf(4), timing('openai', 200, 800)],
      [spanIdOf(5), timing('openai', 1000, 1200)],
    ]);
    expect(joinDetached(links, traceCalls(links), timings)).toEqual([
      { calls: [spanIdOf(4), spanIdOf(3)], path: [spanIdOf(4), spanIdOf(3), spanIdOf(2), spanIdOf(1)] },
    ]);
  });

  it('joins nothing of one instrumentation, or outside the time, or outside the parent', () => {
    const same = new Map([
      [spanIdOf(3), timing('openai', 100, 900)],
      [spanIdOf(4), timing('openai', 200, 800)],
    ]);
    expect(joinDetached(links, traceCalls(links), same)).toEqual([]);
    const outside = new Map([
      [spanIdOf(3), timing('langchain', 100, 500)],
      [spanIdOf(4), timing('openai', 200, 800)],
    ]);
    expect(joinDetached(links, traceCalls(links), outside)).toEqual([]);
    const elsewhere = [link(1, null, 'run'), link(2, null, 'run'), link(3, 2, 'llm'), link(4, 1, 'llm')];
    const timings = new Map([
      [spanIdOf(3), timing('langchain', 100, 900)],
      [spanIdOf(4), timing('openai', 200, 800)],
    ]);
    expect(joinDetached(elsewhere, traceCalls(elsewhere), timings)).toEqual([]);
  });
});
