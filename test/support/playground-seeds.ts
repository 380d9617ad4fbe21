import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ChatGeneration, CompletionGeneration, type Generation } from '../../src/generation/index.js';
import { encodeGeneration } from '../../src/semconv/encode.js';
import { captureExportBody } from './otlp-bodies.js';
import { makeSpans } from './sdk-spans.js';

/** Generations the playground tests seed, with their start times (seconds since the epoch). */

export const XSS_SCRIPT = '<script>window.__xss = 1</script>';
export const XSS_IMG = '<img src=x onerror="window.__xss = 2">';

export function tempDir(prefix = 'genspan-ui-'): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function haikuCompletion(model = 'fake-instruct'): CompletionGeneration {
  return new CompletionGeneration({
    provider: 'openai',
    model,
    template: 'Write a {tone} haiku about {topic}. Answer as JSON: {{"haiku": "..."}}',
    variables: { tone: 'calm', topic: 'autumn rain' },
    prompt: 'Write a calm haiku about autumn rain. Answer as JSON: {"haiku": "..."}',
    completion: '{"haiku": "Soft rain on the roof / the kettle hums to itself / maple leaves let go"}',
    settings: { temperature: 0.7, max_tokens: 128 },
    tags: ['haiku', 'demo'],
    inputTokenCount: 21,
    outputTokenCount: 17,
    tokenCount: 38,
    ttFirstToken: 312.5,
    tokenThroughputInSeconds: 41.2,
    duration: 0.71,
  });
}

export function weatherChat(model = 'fake-chat'): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model,
    messages: [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: `What is the weather in Paris? ${XSS_SCRIPT}` },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c": 18, "sky": "clear"}' },
    ],
    messageCompletion: { role: 'assistant', content: `It is 18 °C and clear in Paris. ${XSS_IMG}` },
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
        },
      },
    ],
    settings: { temperature: 0 },
    tags: ['weather'],
    inputTokenCount: 52,
    outputTokenCount: 14,
    tokenCount: 66,
    duration: 1.25,
  });
}

/** A chat recorded from template messages: `template` holds the placeholders, `messages` the formatted text. */
export function templatedChat(): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: 'fake-translate',
    template: [
      { role: 'system', content: 'You translate into {language}.' },
      { role: 'user', content: '{text}' },
    ],
    variables: { language: 'French', text: 'Good morning' },
    messages: [
      { role: 'system', content: 'You translate into French.' },
      { role: 'user', content: 'Good morning' },
    ],
    messageCompletion: { role: 'assistant', content: 'Bonjour' },
    tags: ['translate'],
  });
}

export function failedChat(): ChatGeneration {
  return new ChatGeneration({
    provider: 'anthropic',
    model: 'claude-test',
    messages: [{ role: 'user', content: 'Summarise the report' }],
    error: 'Rate limit exceeded',
    tags: ['batch'],
  });
}

/** A completion whose template, variable values and completion hold markup that must stay text. */
export function markupCompletion(): CompletionGeneration {
  return new CompletionGeneration({
    provider: 'openai',
    model: 'markup-model',
    template: `Echo {payload} and ${XSS_IMG}`,
    variables: { payload: XSS_SCRIPT },
    prompt: `Echo ${XSS_SCRIPT} and ${XSS_IMG}`,
    completion: `${XSS_SCRIPT}${XSS_IMG}`,
    tags: ['markup'],
  });
}

/** A variable of about 50 KB (a whole document pasted into the prompt), as a long-context app records it. */
export const LONG_VARIABLE = 'The committee met on Tuesday and reviewed the quarterly figures line by line. '.repeat(650);

export function longVariableCompletion(): CompletionGeneration {
  return new CompletionGeneration({
    provider: 'openai',
    model: 'long-variable-model',
    template: 'Summarise this document in one sentence:\n{document}',
    variables: { document: LONG_VARIABLE, audience: 'the board' },
    prompt: `Summarise this document in one sentence:\n${LONG_VARIABLE}`,
    completion: 'The committee reviewed the quarterly figures.',
    tags: ['long'],
  });
}

/** Right-to-left text: an Arabic question, a Hebrew answer, and an Arabic variable and tag. */
export const ARABIC_QUESTION = 'ما هو الطقس في القاهرة اليوم؟';
export const ARABIC_CITY = 'القاهرة';
export const HEBREW_ANSWER = 'מזג האוויר בקהיר שמשי וחם היום.';

export function rightToLeftChat(): ChatGeneration {
  return new ChatGeneration({
    provider: 'openai',
    model: 'rtl-model',
    template: [
      { role: 'system', content: 'Answer in Hebrew.' },
      { role: 'user', content: 'ما هو الطقس في {city} اليوم؟' },
    ],
    variables: { city: ARABIC_CITY },
    messages: [
      { role: 'system', content: 'Answer in Hebrew.' },
      { role: 'user', content: ARABIC_QUESTION },
    ],
    messageCompletion: { role: 'assistant', content: HEBREW_ANSWER },
    tags: ['طقس'],
  });
}

export interface Seed {
  generation: Generation;
  /** Seconds since the epoch. */
  startSeconds: number;
  serviceName: string;
  /** How long the span lasts, in seconds (default 1): the generation's duration. */
  durationSeconds?: number;
}

const TABLE_MODELS = ['gpt-4o', 'claude-3-5-sonnet', 'mistral-large', 'gpt-4o-mini'] as const;
const TABLE_PROVIDERS = { 'gpt-4o': 'openai', 'claude-3-5-sonnet': 'anthropic', 'mistral-large': 'mistral', 'gpt-4o-mini': 'openai' };

/**
 * `count` generations for the list's table, a minute apart from `firstSecond`: four models of three providers, two
 * services and two tags repeating; durations (1.5 to 9.5 s) and token counts that do not follow time; every 5th
 * without token counts, every 7th failed.
 */
export function tableSeeds(count: number, firstSecond: number): Seed[] {
  return Array.from({ length: count }, (_, index) => {
    const model = TABLE_MODELS[index % TABLE_MODELS.length];
    const tokens = index % 5 === 4 ? {} : { inputTokenCount: 10 + ((index * 37) % 100), outputTokenCount: 5 + ((index * 11) % 50) };
    return {
      generation: new ChatGeneration({
        provider: TABLE_PROVIDERS[model],
        model,
        messages: [{ role: 'user', content: `table question ${index}` }],
        messageCompletion: { role: 'assistant', content: `table answer ${index}` },
        tags: [index % 2 === 0 ? 'team-red' : 'team-blue'],
        ttFirstToken: 100 + index,
        error: index % 7 === 6 ? 'rate limited' : undefined,
        ...tokens,
      }),
      startSeconds: firstSecond + index * 60,
      durationSeconds: 1.5 + ((index * 5) % 9),
      serviceName: index % 2 === 0 ? 'chat-app' : 'search-app',
    };
  });
}

/** OTLP/JSON request bodies, exactly as the official exporter sends them: one per service, one span per generation. */
export async function otlpJsonBodies(seeds: readonly Seed[]): Promise<Buffer[]> {
  const byService = new Map<string, Seed[]>();
  for (const seed of seeds) byService.set(seed.serviceName, [...(byService.get(seed.serviceName) ?? []), seed]);
  const bodies: Buffer[] = [];
  for (const [serviceName, group] of byService) {
    const specs = group.map((seed) => {
      const encoded = encodeGeneration(seed.generation, { captureContent: true });
      return {
        name: encoded.name,
        kind: SpanKind.CLIENT,
        attributes: encoded.attributes,
        startTime: [seed.startSeconds, 0] as [number, number],
        endTime: [seed.startSeconds + Math.floor(seed.durationSeconds ?? 1), ((seed.durationSeconds ?? 1) % 1) * 1e9] as [number, number],
        error: seed.generation.error ?? undefined,
      };
    });
    bodies.push(await captureExportBody(await makeSpans(specs, serviceName), 'json'));
  }
  return bodies;
}

/** Posts the seeds to a server's OTLP receiver. */
export async function seedServer(baseUrl: string, seeds: readonly Seed[], headers: Record<string, string> = {}): Promise<void> {
  for (const body of await otlpJsonBodies(seeds)) {
    const response = await fetch(`${baseUrl}/v1/traces`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: new Uint8Array(body),
    });
    if (response.status !== 200) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
}

/** Reads an NDJSON response body into its events. */
export async function ndjson(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
