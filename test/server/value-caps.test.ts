import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STORED_VALUE_CHARS } from '../../src/ingest/stored-values.js';
import { truncationMarker } from '../../src/semconv/encode.js';
import type { GenerationItem, GenerationList } from '../../src/server/index.js';
import { LIST_ITEM_MAX_CHARS } from '../../src/server/list-summary.js';
import { MAX_TEXT_CHARS } from '../../src/translate/read.js';
import { type CliServer, startCliServer, tempDir } from '../support/cli.js';

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = tempDir();
  server = await startCliServer(['--db', join(dir, 'caps.db')]);
});

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

const hex = (value: number, length: number) => value.toString(16).padStart(length, '0');

/** POSTs one LLM span as OTLP/JSON, with `attributes` beside a model and an operation. */
async function sendSpan(options: { trace: number; model: string; attributes: Record<string, string>; statusMessage?: string }) {
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'caps-app' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: hex(options.trace, 32),
                spanId: hex(options.trace, 16),
                name: `chat ${options.model}`,
                startTimeUnixNano: String(1_767_225_600_000_000_000n + BigInt(options.trace) * 1_000_000n),
                endTimeUnixNano: String(1_767_225_601_000_000_000n + BigInt(options.trace) * 1_000_000n),
                attributes: Object.entries({
                  'gen_ai.operation.name': 'chat',
                  'gen_ai.request.model': options.model,
                  ...options.attributes,
                }).map(([key, value]) => ({ key, value: { stringValue: value } })),
                status: options.statusMessage === undefined ? {} : { code: 2, message: options.statusMessage },
              },
            ],
          },
        ],
      },
    ],
  });
  const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
  return hex(options.trace, 32);
}

/** Long strings as their length, start and end, so a failed comparison prints a readable diff. */
function shape(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 10)}…(${value.length} chars)…${value.slice(-80)}` : value;
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shape(item)]));
  return value;
}

describe('genspan serve bounds what it stores and what a list answers', () => {
  it('caps a huge setting, variable, tag, metadata value, tool definition and error, each with the marker and its length', async () => {
    const FIVE_MB = 5_000_000;
    const traceId = await sendSpan({
      trace: 1,
      model: 'huge-values',
      attributes: {
        'gen_ai.request.logit_bias': 'b'.repeat(FIVE_MB),
        'gen_ai.prompt.variable.document': 'd'.repeat(FIVE_MB),
        'tag.tags': JSON.stringify(['t'.repeat(100_000), 'short']),
        metadata: JSON.stringify({ note: 'n'.repeat(100_000), nested: { deep: ['x'.repeat(100_000)] } }),
        'gen_ai.tool.definitions': JSON.stringify([{ type: 'function', name: 'lookup', description: 'l'.repeat(100_000) }]),
      },
      statusMessage: 'e'.repeat(1_000_000),
    });
    const list = (await (await fetch(`${server.url}/api/generations?traceId=${traceId}`)).json()) as GenerationList;
    expect(list.items).toHaveLength(1);
    const response = await fetch(`${server.url}/api/generations/${list.items[0].id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { generation, status, warnings } = (await response.json()) as GenerationItem;

    const capped = (char: string, length: number, cap = MAX_STORED_VALUE_CHARS) => char.repeat(cap) + truncationMarker(length);
    expect(shape(generation.settings)).toMatchObject({ logit_bias: shape(capped('b', FIVE_MB)) });
    // Variables are content, as in the prompt that holds them: capped as content is.
    expect(shape(generation.variables)).toEqual(shape({ document: capped('d', FIVE_MB, MAX_TEXT_CHARS) }));
    expect(shape(generation.tags)).toEqual(shape([capped('t', 100_000), 'short']));
    expect(shape(generation.metadata)).toEqual(shape({ note: capped('n', 100_000), nested: { deep: [capped('x', 100_000)] } }));
    expect(shape(generation.tools)).toEqual([
      { type: 'function', function: expect.objectContaining({ name: 'lookup', description: shape(capped('l', 100_000)) }) },
    ]);
    expect(shape(generation.error)).toBe(shape(capped('e', 1_000_000)));
    expect(shape(status.message)).toBe(shape(capped('e', 1_000_000)));
    expect(warnings.join('\n')).toMatch(/stored values were too long and cut/);
  });

  it('answers a list of records holding large values with summaries of bounded size, and each whole record by its id', async () => {
    const COUNT = 12;
    const ONE_MB = 1_000_000;
    for (let trace = 100; trace < 100 + COUNT; trace++) {
      await sendSpan({
        trace,
        model: 'large-values',
        attributes: {
          'gen_ai.request.logit_bias': 'b'.repeat(ONE_MB),
          'gen_ai.prompt.variable.document': 'd'.repeat(ONE_MB),
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: `question ${trace} ${'q'.repeat(ONE_MB)}` }] },
          ]),
        },
      });
    }
    const response = await fetch(`${server.url}/api/generations?model=large-values&limit=500`);
    expect(response.status).toBe(200);
    const text = await response.text();
    // Each stored record is over 2 MB; its summary stays near the list's per-item size.
    expect(text.length).toBeLessThan(COUNT * 2 * LIST_ITEM_MAX_CHARS);
    const list = JSON.parse(text) as GenerationList;
    expect(list.items).toHaveLength(COUNT);
    for (const item of list.items) {
      expect(item).toMatchObject({ truncated: true, serviceName: 'caps-app', generation: { type: 'CHAT', model: 'large-values' } });
      // What the page's list shows survives: the user message's text, cut.
      const [message] = item.generation.messages as { role: string; content: string }[];
      expect(message.role).toBe('user');
      expect(message.content).toMatch(/^question \d+ q+…\[truncated by genspan, original length 1000013 chars\]$/);
    }

    const whole = (await (await fetch(`${server.url}/api/generations/${list.items[0].id}`)).json()) as GenerationItem;
    expect('truncated' in whole).toBe(false);
    expect(whole.id).toBe(list.items[0].id);
    expect((whole.generation.variables as { document: string }).document === 'd'.repeat(ONE_MB)).toBe(true);
    expect(JSON.stringify(whole).length).toBeGreaterThan(2 * ONE_MB);
  });
});
