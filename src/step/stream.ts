import type { Generation } from '../generation/generation.js';

export interface TrackStreamOptions<T> {
  /** The generation whose timing fields are filled; defaults to none (the result is still returned by `onDone`). */
  generation?: Generation;
  /**
   * When the request was sent, in `performance.now()` milliseconds; defaults to when `trackStream` is called. Pass
   * it when the stream is created before `trackStream` (as `trackStream(await client.create(...))` does: the
   * response headers have arrived by then), so time to first token includes the wait for them.
   */
  startedAt?: number;
  /**
   * Tokens a chunk carries; defaults to 1, as Chainlit counts one token per streamed chunk. The first chunk with
   * tokens marks the time to first token, so a role-only or usage-only chunk counted as 0 does not.
   */
  tokensIn?: (chunk: T) => number;
  /** Called once the stream ends (normally or not) with what was observed. */
  onDone?: (timing: StreamTiming) => void;
}

/** What a stream showed, in the generation model's units. */
export interface StreamTiming {
  /** Milliseconds from the start to the first chunk; undefined when no chunk came. */
  ttFirstToken?: number;
  /** Seconds from the start to the end of the stream. */
  duration: number;
  /** Tokens counted from the chunks. */
  tokens: number;
  /** Tokens per second over the whole duration. */
  tokenThroughputInSeconds?: number;
}

/**
 * Wraps an async iterable of chunks (tokens) and fills `ttFirstToken`, `duration` and `tokenThroughputInSeconds`
 * of the generation from what it observed, so streaming LLM calls get timing fields without measuring by hand.
 * Throughput uses `generation.outputTokenCount` when the provider reported it by the end, the chunk count otherwise.
 */
export function trackStream<T>(source: AsyncIterable<T>, options: TrackStreamOptions<T> = {}): AsyncGenerator<T, void, undefined> {
  // Taken here, not in the generator, whose body only starts at the first `next()`.
  return tracked(source, options, options.startedAt ?? performance.now());
}

async function* tracked<T>(
  source: AsyncIterable<T>,
  options: TrackStreamOptions<T>,
  startedAt: number,
): AsyncGenerator<T, void, undefined> {
  let firstAt: number | undefined;
  let tokens = 0;
  try {
    for await (const chunk of source) {
      const count = options.tokensIn ? options.tokensIn(chunk) : 1;
      if (firstAt === undefined && count > 0) firstAt = performance.now();
      tokens += count;
      yield chunk;
    }
  } finally {
    const duration = (performance.now() - startedAt) / 1000;
    const timing: StreamTiming = { duration, tokens };
    if (firstAt !== undefined) timing.ttFirstToken = firstAt - startedAt;
    const generation = options.generation;
    const counted = generation?.outputTokenCount ?? tokens;
    if (duration > 0 && counted > 0) timing.tokenThroughputInSeconds = counted / duration;
    if (generation) {
      if (timing.ttFirstToken !== undefined) generation.ttFirstToken = timing.ttFirstToken;
      generation.duration = duration;
      if (timing.tokenThroughputInSeconds !== undefined) generation.tokenThroughputInSeconds = timing.tokenThroughputInSeconds;
    }
    options.onDone?.(timing);
  }
}
