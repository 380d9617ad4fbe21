import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatGeneration } from '../../src/generation/index.js';
import { GenAI, Genspan } from '../../src/semconv/keys.js';
import { step, trackStream } from '../../src/step/index.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { inMemoryTracing } from '../support/tracing.js';

const tracing = inMemoryTracing();
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ chunkDelayMs: 10 });
});
afterAll(() => fake.close());
afterEach(() => tracing.exporter.reset());

async function* ticks(count: number, delayMs: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield `t${i} `;
  }
}

describe('trackStream', () => {
  // Time is what these tests check: the chunks come on a fake clock (timers and performance.now()) the test advances.
  describe('on a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Reads the whole stream while the clock runs through every pending timer. */
    async function consume<T>(stream: AsyncIterable<T>, onChunk: (chunk: T) => boolean | undefined = () => undefined): Promise<T[]> {
      const chunks: T[] = [];
      const reading = (async () => {
        for await (const chunk of stream) {
          chunks.push(chunk);
          if (onChunk(chunk)) break;
        }
      })();
      await vi.runAllTimersAsync();
      await reading;
      return chunks;
    }

    it('fills ttFirstToken (ms), duration (s) and throughput (tokens/s) from the times the chunks came', async () => {
      const generation = new ChatGeneration({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      const chunks = await consume(trackStream(ticks(10, 20), { generation }));
      expect(chunks).toHaveLength(10);
      expect(generation.ttFirstToken).toBe(20);
      expect(generation.duration).toBeCloseTo(0.2, 9);
      expect(generation.tokenThroughputInSeconds).toBeCloseTo(10 / generation.duration!, 6);
      expect(generation.ttFirstToken! / 1000).toBeLessThan(generation.duration!);
    });

    it('uses the provider-reported output token count for throughput when there is one', async () => {
      const generation = new ChatGeneration({ model: 'm', outputTokenCount: 100 });
      await consume(trackStream(ticks(3, 5), { generation }));
      expect(generation.duration).toBeCloseTo(0.015, 9);
      expect(generation.tokenThroughputInSeconds).toBeCloseTo(100 / generation.duration!, 6);
    });

    it('starts the clock when trackStream is called, not when the first chunk is asked for', async () => {
      const generation = new ChatGeneration({ model: 'm' });
      const stream = trackStream(ticks(2, 5), { generation });
      await vi.advanceTimersByTimeAsync(60);
      await consume(stream);
      expect(generation.ttFirstToken).toBe(65);
    });

    it('marks the first token at the first chunk that carries one, not at a role-only chunk', async () => {
      async function* chat(): AsyncGenerator<string> {
        yield '';
        await new Promise((resolve) => setTimeout(resolve, 50));
        yield 'Hello';
        yield ' there';
      }
      const generation = new ChatGeneration({ model: 'm' });
      await consume(trackStream(chat(), { generation, tokensIn: (chunk) => (chunk === '' ? 0 : 1) }));
      expect(generation.ttFirstToken).toBe(50);
      expect(generation.tokenThroughputInSeconds).toBeCloseTo(2 / generation.duration!, 6);
    });

    it('still records timing when the consumer stops early', async () => {
      const generation = new ChatGeneration({ model: 'm' });
      const chunks = await consume(trackStream(ticks(10, 5), { generation }), () => true);
      expect(chunks).toHaveLength(1);
      expect(generation.ttFirstToken).toBe(5);
      expect(generation.duration).toBeCloseTo(0.005, 9);
    });
  });

  it('times a real streamed chat completion from an OpenAI-compatible server inside an llm step', async () => {
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'test-key', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Tell me about streaming please' }];
    const text = await step({ name: 'stream-call', type: 'llm' }, async (s) => {
      const generation = new ChatGeneration({ provider: 'openai', model: 'gpt-4o-mini', messages, settings: { stream: true } });
      s.generation = generation;
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let answer = '';
      for await (const chunk of trackStream(stream, { generation })) {
        answer += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) {
          generation.inputTokenCount = chunk.usage.prompt_tokens;
          generation.outputTokenCount = chunk.usage.completion_tokens;
          generation.tokenCount = chunk.usage.total_tokens;
        }
      }
      generation.messageCompletion = { role: 'assistant', content: answer };
      return answer;
    });
    expect(text).toBe('Fake reply to: Tell me about streaming please');
    const [span] = tracing.spans();
    expect(span.attributes[Genspan.TT_FIRST_TOKEN]).toBeGreaterThan(0);
    expect(span.attributes[GenAI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeLessThan(span.attributes[Genspan.DURATION] as number);
    expect(span.attributes[GenAI.USAGE_OUTPUT_TOKENS]).toBe(8);
    expect(span.attributes[Genspan.TOKEN_THROUGHPUT]).toBeCloseTo(8 / (span.attributes[Genspan.DURATION] as number), 6);
    expect(JSON.parse(span.attributes[GenAI.OUTPUT_MESSAGES] as string)[0].parts[0].content).toBe(text);
  });
});
