/**
 * The seed example, in TypeScript: a fake LLM step with a template, variables and settings, recorded as an
 * OpenTelemetry span with GenAI attributes. Run it with `node dist/examples/seed-example.js` after `npm run build`.
 * When OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, the spans go there over
 * OTLP/HTTP too, so they show up in Jaeger (through a Collector) and in `genspan serve`.
 */
import { pathToFileURL } from 'node:url';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ChatGeneration, CompletionGeneration, step, toGeneration, trackStream, translateSpan } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stands in for a streaming LLM API: yields the answer word by word. */
async function* fakeTokenStream(answer: string): AsyncGenerator<string> {
  await sleep(40);
  for (const word of answer.split(/(?<= )/)) {
    await sleep(5);
    yield word;
  }
}

const template = 'Hello, {name}! Write a haiku about {topic}.';
const variables = { name: 'John', topic: 'observability' };
const settings = { model: 'gpt-4o-mini', temperature: 0.7, max_tokens: 64, top_p: 1 };

/** The example's steps: a run holding one completion-style and one chat-style fake LLM call. `genspan demo` runs them too. */
export async function runSeedSteps(tracer?: Tracer): Promise<{ traceId: string; answer: string }> {
  return step({ name: 'on_message', type: 'run', tracer, input: variables }, async (run) => {
    const haiku = await step({ name: 'fake_llm', type: 'llm', tracer, tags: ['seed'] }, async (current) => {
      const generation = new CompletionGeneration({
        provider: 'openai',
        model: settings.model,
        template,
        variables,
        settings,
        prompt: template.replace(/\{(\w+)\}/g, (_, key: keyof typeof variables) => variables[key]),
        tags: ['seed', 'haiku'],
      });
      current.generation = generation;
      let completion = '';
      for await (const token of trackStream(fakeTokenStream('Spans drift like leaves / each step a quiet lantern / traces light the way'), {
        generation,
      })) {
        completion += token;
      }
      generation.completion = completion;
      generation.inputTokenCount = 14;
      generation.outputTokenCount = 16;
      generation.tokenCount = 30;
      return completion;
    });

    const answer = await step({ name: 'fake_chat', type: 'llm', tracer, tags: ['seed'] }, async (current) => {
      const generation = new ChatGeneration({
        provider: 'openai',
        model: settings.model,
        settings: { temperature: 0 },
        messages: [
          { role: 'system', content: 'You rate haikus from 1 to 10.' },
          { role: 'user', content: haiku },
        ],
      });
      current.generation = generation;
      let answer = '';
      for await (const token of trackStream(fakeTokenStream('9/10: vivid and on topic.'), { generation })) answer += token;
      generation.messageCompletion = { role: 'assistant', content: answer };
      generation.inputTokenCount = 24;
      generation.outputTokenCount = 7;
      generation.tokenCount = 31;
      return answer;
    });
    return { traceId: run.traceId, answer };
  });
}

async function main(): Promise<void> {
  const recorded = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(recorded)];
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'genspan-seed-example' }),
    spanProcessors: processors,
  });
  provider.register();

  await runSeedSteps();
  await provider.forceFlush();
  for (const span of recorded.getFinishedSpans()) {
    const result = translateSpan(span);
    if (result)
      console.log(
        JSON.stringify(
          { span: span.name, traceId: span.spanContext().traceId, generation: toGeneration(result.generation).toJSON() },
          null,
          2,
        ),
      );
  }
  if (endpoint) console.error(`Spans sent over OTLP/HTTP to ${endpoint}.`);
  await provider.shutdown();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`seed example failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
