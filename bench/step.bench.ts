import type { Context } from '@opentelemetry/api';
import { BasicTracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CompletionGeneration } from '../src/generation/index.js';
import { encodeGeneration } from '../src/semconv/encode.js';
import { step } from '../src/step/index.js';
import { compareSync, formatRate } from './support.js';

/** Ends spans without exporting them, so both sides pay for span creation and attributes only. */
class DiscardingProcessor implements SpanProcessor {
  onStart(_span: Span, _context: Context): void {}
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Issue 2: a `step()` with a ~1 KB-prompt CompletionGeneration against a bare `startActiveSpan` with as many attributes. */
export default async function (): Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new DiscardingProcessor()] });
  const tracer = provider.getTracer('bench');
  const prompt = 'Summarise the following support ticket in one sentence. '.repeat(18).slice(0, 1024);
  const input = {
    provider: 'openai',
    model: 'gpt-4o-mini',
    template: 'Summarise: {ticket}',
    variables: { ticket: prompt.slice(11) },
    settings: { temperature: 0.2, max_tokens: 256 },
    prompt,
    completion: 'The customer cannot log in after the password reset.',
    inputTokenCount: 230,
    outputTokenCount: 12,
    tokenCount: 242,
    duration: 0.8,
  };
  const generation = new CompletionGeneration(input);
  // The lower bound: exactly the attributes the encoder writes, computed once before timing.
  const precomputed = {
    ...encodeGeneration(generation, { captureContent: true }).attributes,
    'genspan.step.name': 'summarise',
    'genspan.step.type': 'llm',
  };
  const attributeCount = Object.keys(precomputed).length;

  const rates = compareSync(
    {
      'step() + new CompletionGeneration (1 KB prompt)': () => {
        step({ name: 'summarise', type: 'llm', tracer, captureContent: true }, (s) => {
          s.generation = new CompletionGeneration(input);
        });
      },
      // What a developer writes by hand: the same attributes, JSON-valued ones serialized in place.
      [`startActiveSpan + ${attributeCount} attributes set by hand`]: () => {
        tracer.startActiveSpan('text_completion gpt-4o-mini', (span) => {
          span.setAttribute('genspan.step.name', 'summarise');
          span.setAttribute('genspan.step.type', 'llm');
          span.setAttribute('gen_ai.operation.name', 'text_completion');
          span.setAttribute('genspan.generation.type', 'COMPLETION');
          span.setAttribute('gen_ai.provider.name', input.provider);
          span.setAttribute('gen_ai.request.model', input.model);
          span.setAttribute('gen_ai.request.temperature', input.settings.temperature);
          span.setAttribute('gen_ai.request.max_tokens', input.settings.max_tokens);
          span.setAttribute('genspan.settings', JSON.stringify(input.settings));
          span.setAttribute('gen_ai.usage.input_tokens', input.inputTokenCount);
          span.setAttribute('gen_ai.usage.output_tokens', input.outputTokenCount);
          span.setAttribute('genspan.usage.total_tokens', input.tokenCount);
          span.setAttribute('genspan.duration', input.duration);
          span.setAttribute('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: input.prompt }] }]));
          span.setAttribute(
            'gen_ai.output.messages',
            JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: input.completion }], finish_reason: 'stop' }]),
          );
          span.setAttribute('genspan.template', input.template);
          span.setAttribute('gen_ai.prompt.variable.ticket', input.variables.ticket);
          span.end();
        });
      },
      [`startActiveSpan + ${attributeCount} precomputed attributes (lower bound)`]: () => {
        tracer.startActiveSpan('text_completion gpt-4o-mini', (span) => {
          span.setAttributes(precomputed);
          span.end();
        });
      },
    },
    { iterations: 5_000, rounds: 9 },
  );
  const [stepRate, byHandRate, lowerBound] = Object.values(rates);
  for (const [name, value] of Object.entries(rates)) console.log(formatRate(name, value));
  console.log(`ratio step() / by hand (target <= 2.0): ${(stepRate.microsPerOp / byHandRate.microsPerOp).toFixed(2)}`);
  console.log(`ratio step() / precomputed lower bound: ${(stepRate.microsPerOp / lowerBound.microsPerOp).toFixed(2)}`);
  await provider.shutdown();
}
