import type { ServerResponse } from 'node:http';
import { FAIL_MODEL, FAKE_TOOL_ARGUMENTS, readBody, replyTo, sendJson, sleep, words } from './fake-openai.js';
import { serveOnLoopback } from './loopback.js';

/**
 * A Gemini API fake on 127.0.0.1: `POST /v1beta/models/<model>:generateContent` and `:streamGenerateContent?alt=sse`
 * (Server-Sent Events, one `GenerateContentResponse` per event). With `tools` in the request and a user turn last, it
 * answers with a `functionCall` of the first declared function (args `FAKE_TOOL_ARGUMENTS`); otherwise with text,
 * `Fake reply to: <last user text>`. Model `fail-model` gets HTTP 500 with Google's error body. Token counts are word
 * counts.
 */

export interface FakeGemini {
  /** The origin, the `httpOptions.baseUrl` a `GoogleGenAI` client takes. */
  baseURL: string;
  close(): Promise<void>;
}

interface Part {
  text?: string;
  functionResponse?: { response?: unknown };
}

interface GeminiRequest {
  contents?: { role?: string; parts?: Part[] }[];
  systemInstruction?: { parts?: Part[] };
  tools?: { functionDeclarations?: { name?: string }[] }[];
}

function partsText(parts: Part[] | undefined): string {
  return (parts ?? []).map((part) => part.text ?? (part.functionResponse ? JSON.stringify(part.functionResponse.response) : '')).join(' ');
}

async function generate(model: string, stream: boolean, body: GeminiRequest, res: ServerResponse, delay: number): Promise<void> {
  if (model === FAIL_MODEL) {
    return sendJson(res, 500, { error: { code: 500, message: 'The fake model failed on purpose', status: 'INTERNAL' } });
  }
  const contents = Array.isArray(body.contents) ? body.contents : [];
  const last = contents[contents.length - 1];
  const declaration = body.tools?.flatMap((tool) => tool.functionDeclarations ?? [])[0];
  const call = declaration !== undefined && last?.role === 'user' && last.parts?.every((part) => part.text !== undefined);
  const reply = replyTo(partsText(last?.parts));
  const promptTokenCount = Math.max(
    1,
    words([partsText(body.systemInstruction?.parts), ...contents.map((c) => partsText(c.parts))].join(' ')).length,
  );
  const candidatesTokenCount = Math.max(1, words(call ? FAKE_TOOL_ARGUMENTS : reply).length);
  const usageMetadata = { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
  const response = (parts: unknown[], finishReason?: string) => ({
    candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    modelVersion: model,
    responseId: 'fake-response-1',
  });
  const functionCall = { name: String(declaration?.name), args: JSON.parse(FAKE_TOOL_ARGUMENTS) };
  if (!stream) return sendJson(res, 200, { ...response([call ? { functionCall } : { text: reply }], 'STOP'), usageMetadata });
  const chunks = call ? [[{ functionCall }]] : reply.split(/(?<= )/).map((text) => [{ text }]);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // Headers first and every chunk after the delay, as a real provider streams: a time to first token is never 0 ms.
  res.flushHeaders();
  for (const [index, parts] of chunks.entries()) {
    if (delay > 0) await sleep(delay);
    const final = index === chunks.length - 1;
    res.write(`data: ${JSON.stringify({ ...response(parts, final ? 'STOP' : undefined), ...(final ? { usageMetadata } : {}) })}\r\n\r\n`);
  }
  res.end();
}

export async function startFakeGemini(options: { chunkDelayMs?: number } = {}): Promise<FakeGemini> {
  const delay = options.chunkDelayMs ?? 5;
  const server = await serveOnLoopback(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const route = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
    if (req.method === 'POST' && route) {
      return generate(
        decodeURIComponent(route[1]),
        route[2] === 'streamGenerateContent',
        (await readBody(req)) as GeminiRequest,
        res,
        delay,
      );
    }
    sendJson(res, 404, { error: { code: 404, message: `No fake route for ${req.method} ${path}`, status: 'NOT_FOUND' } });
  });
  return { baseURL: server.origin, close: server.close };
}
