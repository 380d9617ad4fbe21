import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible fake provider on 127.0.0.1, for tests that need an LLM.
 * - POST /v1/chat/completions: streamed (SSE, `stream_options.include_usage` honoured) or not. With `tools` in the
 *   request and a user message last, it answers with a call to the first tool; otherwise with text.
 * - POST /v1/completions: the legacy completions API, streamed or not.
 * - POST /v1/responses: the Responses API, not streamed.
 * - Model `fail-model` gets HTTP 500 with an OpenAI error body (give clients `maxRetries: 0`).
 * - Model `unauthorized-model` gets HTTP 401 whose message echoes the key it was sent (bearer or `api-key` query),
 *   whole and as a masked tail, as some providers do.
 * - Model `echo-key-model` streams a chat answer that echoes the key it was sent, whole and as its tail, each split
 *   across two chunks, as a misbehaving proxy might.
 * - With `models`, any other model gets HTTP 404 `model_not_found`, as a provider that does not serve it would.
 * - With `rateLimitEvery: n`, every n-th request gets HTTP 429 with `Retry-After` (`retryAfterSeconds`, default 1).
 * Replies are deterministic: `Fake reply to: <last user text>`. Token counts are word counts.
 */

/** A chat message as a client sends it. */
export interface FakeChatMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
}

/** A request body as the fake reads it: the fields it answers by, and whatever else the client sent. */
export interface FakeRequestBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: FakeChatMessage[];
  prompt?: string | string[];
  input?: string | FakeChatMessage[];
  instructions?: string;
  [key: string]: unknown;
}

export interface FakeOpenAIRequest {
  path: string;
  /** The query, with its `?`, or ''. */
  search: string;
  body: FakeRequestBody;
  headers: IncomingMessage['headers'];
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1`, the `baseURL` an OpenAI client takes. */
  baseURL: string;
  requests: FakeOpenAIRequest[];
  /** Requests answered 429 so far. */
  readonly rateLimited: number;
  /** Requests being answered now (a streamed answer counts until its connection closes). */
  readonly inFlight: number;
  /** The most requests answered at once so far. */
  readonly peakInFlight: number;
  /** Resolves once no request is being answered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface FakeOpenAIOptions {
  /** Delay between streamed chunks, so time to first token and throughput are measurable. Default 5 ms. */
  chunkDelayMs?: number;
  /** Whether a stream ends with a usage chunk when `stream_options.include_usage` asks for one. Default true. */
  usage?: boolean;
  /** The models it serves; default any. */
  models?: readonly string[];
  /** Every n-th request is refused with 429 and `Retry-After`. */
  rateLimitEvery?: number;
  /** The `Retry-After` of those refusals, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Time before each answer starts, as a model's thinking time. Default 0. */
  latencyMs?: number;
}

export const FAIL_MODEL = 'fail-model';
export const UNAUTHORIZED_MODEL = 'unauthorized-model';
export const ECHO_KEY_MODEL = 'echo-key-model';
export const FAKE_TOOL_ARGUMENTS = '{"location":"Paris"}';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : '')).join(' ');
  }
  return '';
}

export function replyTo(prompt: string): string {
  return `Fake reply to: ${prompt.slice(0, 200)}`;
}

function usage(promptText: string, reply: string) {
  const prompt_tokens = Math.max(1, words(promptText).length);
  const completion_tokens = Math.max(1, words(reply).length);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

export async function readBody(req: IncomingMessage): Promise<FakeRequestBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function failure(res: ServerResponse): void {
  sendJson(res, 500, { error: { message: 'The fake model failed on purpose', type: 'server_error', param: null, code: 'fake_failure' } });
}

function unauthorized(res: ServerResponse, key: string): void {
  const message = `Incorrect API key provided: ${key}. Keys ending in ...${key.slice(-12)} are not valid here.`;
  sendJson(res, 401, { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
}

/** The key a request carries: `Authorization: Bearer`, or an Azure-style `api-key` query parameter. */
function keyOf(req: IncomingMessage, search: string): string {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return bearer ? bearer[1] : (new URLSearchParams(search).get('api-key') ?? '');
}

async function sse(res: ServerResponse, events: unknown[], delay: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  // Headers first and every event after the delay, as a real provider streams: a time to first token is never 0 ms.
  res.flushHeaders();
  for (const event of events) {
    if (delay > 0) await sleep(delay);
    res.write(`data: ${JSON.stringify(event)}\n\n`);
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

/** The content chunks of the echo model's answer: the key whole and its last 12 characters, each cut in two. */
function echoParts(key: string): string[] {
  const half = Math.floor(key.length / 2);
  return ['Your key is ', key.slice(0, half), key.slice(half), '; it ends in ...', key.slice(-12, -6), key.slice(-6), '.'];
}

async function chatCompletions(
  body: FakeRequestBody,
  res: ServerResponse,
  delay: number,
  withUsage: boolean,
  echoedKey?: string,
): Promise<void> {
  if (body.model === FAIL_MODEL) return failure(res);
  const messages: FakeChatMessage[] = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  const promptText = messages.map((m) => textOf(m?.content)).join(' ');
  const id = `chatcmpl-fake-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(body.model ?? 'fake-model');
  const tool = Array.isArray(body.tools) && body.tools.length > 0 && last?.role === 'user' ? body.tools[0] : undefined;
  const reply = tool ? '' : echoedKey !== undefined ? echoParts(echoedKey).join('') : replyTo(textOf(last?.content));
  const toolCall = tool
    ? { id: 'call_fake_1', type: 'function', function: { name: String(tool.function?.name ?? tool.name), arguments: FAKE_TOOL_ARGUMENTS } }
    : undefined;
  const finish_reason = toolCall ? 'tool_calls' : 'stop';
  const use = usage(promptText, toolCall ? FAKE_TOOL_ARGUMENTS : reply);

  if (!body.stream) {
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: toolCall ? null : reply, refusal: null, ...(toolCall ? { tool_calls: [toolCall] } : {}) },
          logprobs: null,
          finish_reason,
        },
      ],
      usage: use,
    });
  }
  const chunk = (delta: unknown, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null)];
  if (toolCall) {
    events.push(
      chunk(
        { tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] },
        null,
      ),
    );
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: FAKE_TOOL_ARGUMENTS } }] }, null));
  } else {
    const parts = echoedKey !== undefined ? echoParts(echoedKey) : reply.split(/(?<= )/);
    for (const part of parts) events.push(chunk({ content: part }, null));
  }
  events.push(chunk({}, finish_reason));
  if (body.stream_options?.include_usage && withUsage) {
    events.push({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage: use });
  }
  return sse(res, events, delay);
}

async function completions(body: FakeRequestBody, res: ServerResponse, delay: number, withUsage: boolean): Promise<void> {
  if (body.model === FAIL_MODEL) return failure(res);
  const prompt = Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt ?? '');
  const reply = replyTo(prompt);
  const id = `cmpl-fake-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(body.model ?? 'fake-instruct');
  const use = usage(prompt, reply);
  if (!body.stream) {
    return sendJson(res, 200, {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ text: reply, index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: use,
    });
  }
  const chunk = (text: string, finish: string | null) => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });
  const events: unknown[] = reply.split(/(?<= )/).map((part) => chunk(part, null));
  events.push(chunk('', 'stop'));
  if (body.stream_options?.include_usage && withUsage)
    events.push({ id, object: 'text_completion', created, model, choices: [], usage: use });
  return sse(res, events, delay);
}

function responses(body: FakeRequestBody, res: ServerResponse): void {
  if (body.model === FAIL_MODEL) {
    failure(res);
    return;
  }
  const input =
    typeof body.input === 'string' ? body.input : Array.isArray(body.input) ? body.input.map((m) => textOf(m?.content)).join(' ') : '';
  const reply = replyTo(input);
  const use = usage(`${body.instructions ?? ''} ${input}`, reply);
  sendJson(res, 200, {
    id: `resp_fake_${Date.now()}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: String(body.model ?? 'fake-model'),
    instructions: body.instructions ?? null,
    output: [
      {
        type: 'message',
        id: 'msg_fake_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: reply, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: use.prompt_tokens,
      output_tokens: use.completion_tokens,
      total_tokens: use.total_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
  });
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const delay = options.chunkDelayMs ?? 5;
  const withUsage = options.usage ?? true;
  const requests: FakeOpenAIRequest[] = [];
  let rateLimited = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const idleWaiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    });
    void (async () => {
      try {
        const body = req.method === 'POST' ? await readBody(req) : {};
        const url = new URL(req.url ?? '/', 'http://fake');
        const path = url.pathname;
        requests.push({ path, search: url.search, body, headers: req.headers });
        if (options.latencyMs) await sleep(options.latencyMs);
        if (options.rateLimitEvery && requests.length % options.rateLimitEvery === 0) {
          rateLimited++;
          res.setHeader('retry-after', String(options.retryAfterSeconds ?? 1));
          return sendJson(res, 429, { error: { message: 'Rate limit reached, slow down', type: 'requests', code: 'rate_limit_exceeded' } });
        }
        if (req.method === 'POST' && body.model === UNAUTHORIZED_MODEL) return unauthorized(res, keyOf(req, url.search));
        if (req.method === 'POST' && options.models && !options.models.includes(String(body.model))) {
          const message = `The model ${String(body.model)} does not exist here`;
          return sendJson(res, 404, { error: { message, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
        }
        if (req.method === 'POST' && path === '/v1/chat/completions') {
          const echoed = body.model === ECHO_KEY_MODEL ? keyOf(req, url.search) : undefined;
          return await chatCompletions(body, res, delay, withUsage, echoed);
        }
        if (req.method === 'POST' && path === '/v1/completions') return await completions(body, res, delay, withUsage);
        if (req.method === 'POST' && path === '/v1/responses') return responses(body, res);
        sendJson(res, 404, { error: { message: `No fake route for ${req.method} ${path}`, type: 'invalid_request_error' } });
      } catch (error) {
        if (!res.headersSent) sendJson(res, 400, { error: { message: String(error), type: 'invalid_request_error' } });
        else res.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get rateLimited() {
      return rateLimited;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
