import type { Tracer } from '@opentelemetry/api';
import { ChatGeneration, CompletionGeneration } from '../generation/generation.js';
import { step } from '../step/step.js';
import { trackStream } from '../step/stream.js';

/**
 * The seed example's steps: a run holding one completion-style and one chat-style fake LLM call, with a template,
 * variables, settings and streamed tokens. `genspan demo` sends them to a server; `examples/seed-example.ts` records
 * them in process.
 */

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

/** Runs the steps under `tracer` (default: the global provider's `genspan` tracer). */
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
