import type { ServerResponse } from 'node:http';
import { FAIL_MODEL, FAKE_TOOL_ARGUMENTS, readBody, replyTo, sendJson, sleep, textOf, words } from './fake-openai.js';
import { serveOnLoopback } from './loopback.js';

/**
 * An Anthropic Messages API fake on 127.0.0.1 (`POST /v1/messages`), streamed as Anthropic's SSE events or not.
 * With `tools` in the request and a user message last, it answers with a `tool_use` block calling the first tool
 * (input `FAKE_TOOL_ARGUMENTS`); otherwise with text, `Fake reply to: <last user text>`. Model `fail-model` gets HTTP
 * 500 with Anthropic's error body (give clients `maxRetries: 0`). Token counts are word counts.
 */

export const FAKE_TOOL_USE_ID = 'toolu_fake_1';

export interface FakeAnthropic {
  /** The origin, the `baseURL` an Anthropic client takes. */
  baseURL: string;
  close(): Promise<void>;
}

interface AnthropicRequest {
  model?: string;
  stream?: boolean;
  system?: unknown;
  messages?: { role?: string; content?: unknown }[];
  tools?: { name?: string }[];
}

function sse(res: ServerResponse, events: readonly Record<string, unknown>[], delay: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake_stream' });
  // The headers go out now, as a real provider's do, so the client has its stream before the first event.
  res.flushHeaders();
  return (async () => {
    // Each event, the first included, comes after the delay, so a stream's time to first token is never 0 ms.
    for (const event of events) {
      if (delay > 0) await sleep(delay);
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    res.end();
  })();
}

/** The text of a message's content; a tool result's content counts as its text. */
function lastText(content: unknown): string {
  if (!Array.isArray(content)) return textOf(content);
  return content.map((block) => (block?.type === 'tool_result' ? textOf(block.content) : textOf([block]))).join(' ');
}

async function messages(body: AnthropicRequest, res: ServerResponse, delay: number): Promise<void> {
  const model = String(body.model ?? 'claude-fake');
  if (model === FAIL_MODEL) {
    return sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: 'The fake model failed on purpose' } });
  }
  const history = Array.isArray(body.messages) ? body.messages : [];
  const last = history[history.length - 1];
  const tool = Array.isArray(body.tools) && body.tools.length > 0 && last?.role === 'user' && typeof last.content === 'string';
  const reply = replyTo(lastText(last?.content));
  const promptWords = words([textOf(body.system), ...history.map((message) => textOf(message.content))].join(' ')).length;
  const input_tokens = Math.max(1, promptWords);
  const output_tokens = Math.max(1, words(tool ? FAKE_TOOL_ARGUMENTS : reply).length);
  const id = `msg_fake_${Date.now()}`;
  const toolName = String(body.tools?.[0]?.name);
  const block = tool
    ? { type: 'tool_use', id: FAKE_TOOL_USE_ID, name: toolName, input: JSON.parse(FAKE_TOOL_ARGUMENTS) }
    : { type: 'text', text: reply };
  const stop_reason = tool ? 'tool_use' : 'end_turn';
  if (!body.stream) {
    const usage = { input_tokens, output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    return sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content: [block], stop_reason, stop_sequence: null, usage });
  }
  const start = tool ? { type: 'tool_use', id: FAKE_TOOL_USE_ID, name: toolName, input: {} } : { type: 'text', text: '' };
  const deltas = tool
    ? [
        { type: 'input_json_delta', partial_json: FAKE_TOOL_ARGUMENTS.slice(0, 8) },
        { type: 'input_json_delta', partial_json: FAKE_TOOL_ARGUMENTS.slice(8) },
      ]
    : reply.split(/(?<= )/).map((text) => ({ type: 'text_delta', text }));
  return sse(
    res,
    [
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens, output_tokens: 1 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: start },
      { type: 'ping' },
      ...deltas.map((delta) => ({ type: 'content_block_delta', index: 0, delta })),
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens } },
      { type: 'message_stop' },
    ],
    delay,
  );
}

export async function startFakeAnthropic(options: { chunkDelayMs?: number } = {}): Promise<FakeAnthropic> {
  const delay = options.chunkDelayMs ?? 5;
  const server = await serveOnLoopback(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'POST' && path === '/v1/messages') return messages((await readBody(req)) as AnthropicRequest, res, delay);
    sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `No fake route for ${req.method} ${path}` } });
  });
  return { baseURL: server.origin, close: server.close };
}
