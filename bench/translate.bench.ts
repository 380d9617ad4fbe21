/**
 * Issue 3, the translator: spans per second over a mixed corpus (spans captured from the real instrumentations by
 * test/translate, saved in bench/fixtures; the hand-written fixtures; non-LLM spans), and, side by side on the
 * GenAI-convention spans of that corpus, `translateSpan` against `@arizeai/openinference-genai`'s
 * `convertGenAISpanAttributesToOpenInferenceSpanAttributes` (target: ours at least 2x its throughput).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { convertGenAISpanAttributesToOpenInferenceSpanAttributes } from '@arizeai/openinference-genai';
import type { Attributes } from '@opentelemetry/api';
import { translateSpan } from '../src/translate/translate.js';
import type { NormalizedLogRecord, NormalizedSpan } from '../src/translate/types.js';
import { HANDWRITTEN, notGenerations } from '../test/translate/fixtures/handwritten.js';
import { type CapturedScenarioJson, reviveLog, reviveSpan } from '../test/translate/revive.js';
import { compareSync, formatRate } from './support.js';

interface CorpusItem {
  span: NormalizedSpan;
  logs: NormalizedLogRecord[];
}

/** bench/fixtures beside the source, also when running from dist/bench. */
function fixturesDirectory(): string {
  const beside = fileURLToPath(new URL('./fixtures/', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../bench/fixtures/', import.meta.url));
}

/** Reads the captures test/translate/support.ts saved back into normalized spans, each with its log records. */
function capturedCorpus(): CorpusItem[] {
  const directory = fixturesDirectory();
  const items: CorpusItem[] = [];
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const scenarios = JSON.parse(readFileSync(directory + file, 'utf8')) as Record<string, CapturedScenarioJson>;
    for (const scenario of Object.values(scenarios)) {
      const logs = scenario.logs.map(reviveLog);
      for (const span of scenario.spans) items.push({ span: reviveSpan(span), logs: logs.filter((log) => log.spanId === span.spanId) });
    }
  }
  return items;
}

const OTHER_NAMESPACES = ['ai.', 'llm.', 'langfuse.', 'openinference.', 'genspan.', 'traceloop.'];

/** Spans written in the OTel GenAI conventions only: what the converter is built for. */
function isGenAIOnly(span: NormalizedSpan): boolean {
  const keys = Object.keys(span.attributes);
  return keys.some((key) => key.startsWith('gen_ai.')) && !keys.some((key) => OTHER_NAMESPACES.some((prefix) => key.startsWith(prefix)));
}

export default async function (): Promise<void> {
  const corpus: CorpusItem[] = [
    ...capturedCorpus(),
    ...Object.values(HANDWRITTEN).map((fixture) => ({ span: fixture.span, logs: fixture.logs ?? [] })),
    ...Object.values(notGenerations).map((span) => ({ span, logs: [] })),
  ];
  const generations = corpus.filter((item) => translateSpan(item.span, item.logs) !== null).length;
  const genai = corpus.filter((item) => isGenAIOnly(item.span)).map((item) => item.span);
  const genaiAttributes = genai.map((span) => span.attributes as Attributes);

  let sink = 0;
  const mixed = compareSync(
    {
      mixed: () => {
        for (const item of corpus) if (translateSpan(item.span, item.logs)) sink++;
      },
    },
    { iterations: 200, rounds: 5, warmup: 100 },
  );
  const perCorpus = mixed.mixed;
  const spansPerSecond = perCorpus.perSecond * corpus.length;
  console.log(
    `mixed corpus: ${corpus.length} spans (${generations} LLM calls, ${corpus.length - generations} other spans, ` +
      `${genai.length} GenAI-only)`,
  );
  console.log(`${'translateSpan, mixed corpus'.padEnd(52)} ${spansPerSecond.toFixed(0).padStart(10)} spans/s`);

  const side = compareSync(
    {
      'genspan translateSpan': () => {
        for (const span of genai) if (translateSpan(span)) sink++;
      },
      '@arizeai/openinference-genai convert': () => {
        for (const attributes of genaiAttributes) if (convertGenAISpanAttributesToOpenInferenceSpanAttributes(attributes)) sink++;
      },
    },
    { iterations: 300, rounds: 7, warmup: 150 },
  );
  const ours = side['genspan translateSpan'].perSecond * genai.length;
  const theirs = side['@arizeai/openinference-genai convert'].perSecond * genai.length;
  console.log(`GenAI-convention spans of the corpus: ${genai.length}`);
  console.log(`${'genspan translateSpan'.padEnd(52)} ${ours.toFixed(0).padStart(10)} spans/s`);
  console.log(`${'@arizeai/openinference-genai convert'.padEnd(52)} ${theirs.toFixed(0).padStart(10)} spans/s`);
  console.log(`ratio translateSpan / openinference-genai: ${(ours / theirs).toFixed(2)}x (target >= 2x)`);
  for (const [name, rate] of Object.entries(side)) console.log(formatRate(`  per pass over the GenAI spans: ${name}`, rate));
  if (sink < 0) console.log(sink);
}
