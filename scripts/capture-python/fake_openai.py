"""An OpenAI-compatible fake provider on 127.0.0.1 for the capture: deterministic answers, fixed ids and times.

- POST /v1/chat/completions: streamed (SSE, `stream_options.include_usage` honoured) or not. With `tools` and a user
  message last, it answers with a call to the first tool; otherwise `Fake reply to: <last user text>`.
- POST /v1/responses: the Responses API, streamed or not, with the same rule for tools (a `function_call` item).
- Model `fail-model` gets HTTP 500 with an OpenAI error body.
Token counts are word counts, as in test/support/fake-openai.ts.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAIL_MODEL = "fail-model"
TOOL_ARGUMENTS = '{"location":"Paris"}'
CREATED = 1767225600
CHUNK_DELAY_SECONDS = 0.005


def text_of(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict) and isinstance(part.get("text"), str))
    return ""


def word_count(text):
    return max(1, len(text.split()))


def reply_to(prompt):
    return f"Fake reply to: {prompt[:200]}"


def tool_name(tool):
    return str((tool.get("function") or {}).get("name") or tool.get("name"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fail(self):
        error = {"message": "The fake model failed on purpose", "type": "server_error", "param": None, "code": "fake_failure"}
        self.send_json(500, {"error": error})

    def sse(self, events, named=False):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for event in events:
            prefix = f"event: {event['type']}\n" if named else ""
            self.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            time.sleep(CHUNK_DELAY_SECONDS)
        if not named:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length)
        path = self.path.split("?")[0]
        if path not in ("/v1/chat/completions", "/v1/responses"):
            return self.send_json(404, {"error": {"message": f"No fake route for POST {path}", "type": "invalid_request_error"}})
        body = json.loads(data or b"{}")
        if body.get("model") == FAIL_MODEL:
            return self.fail()
        if path == "/v1/chat/completions":
            return self.chat(body)
        if path == "/v1/responses":
            return self.responses_api(body)

    def chat(self, body):
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        prompt_text = " ".join(text_of(m.get("content")) for m in messages)
        tools = body.get("tools") or []
        tool = tools[0] if tools and last.get("role") == "user" else None
        reply = "" if tool else reply_to(text_of(last.get("content")))
        tool_call = {"id": "call_fake_1", "type": "function", "function": {"name": tool_name(tool), "arguments": TOOL_ARGUMENTS}} if tool else None
        finish = "tool_calls" if tool_call else "stop"
        completion_tokens = word_count(TOOL_ARGUMENTS if tool_call else reply)
        prompt_tokens = word_count(prompt_text)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
        model = str(body.get("model") or "fake-model")
        base = {"id": "chatcmpl-fake-1", "created": CREATED, "model": model, "system_fingerprint": "fp_fake"}
        if not body.get("stream"):
            message = {"role": "assistant", "content": None if tool_call else reply, "refusal": None}
            if tool_call:
                message["tool_calls"] = [tool_call]
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            return self.send_json(200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage})

        def chunk(delta, finish_reason=None):
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return {**base, "object": "chat.completion.chunk", "choices": [choice]}

        events = [chunk({"role": "assistant", "content": ""})]
        if tool_call:
            start = {"index": 0, "id": tool_call["id"], "type": "function", "function": {"name": tool_call["function"]["name"], "arguments": ""}}
            events.append(chunk({"tool_calls": [start]}))
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": TOOL_ARGUMENTS}}]}))
        else:
            words = reply.split(" ")
            events.extend(chunk({"content": word + (" " if i < len(words) - 1 else "")}) for i, word in enumerate(words))
        events.append(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        self.sse(events)

    def responses_api(self, body):
        items = body.get("input")
        items = [{"role": "user", "content": items}] if isinstance(items, str) else (items or [])
        last = items[-1] if items else {}
        tools = body.get("tools") or []
        tool = tools[0] if tools and last.get("role") == "user" else None
        prompt_text = " ".join(text_of(item.get("content")) for item in items)
        reply = "" if tool else reply_to(text_of(last.get("content")) or text_of(last.get("output")))
        if tool:
            item = {"type": "function_call", "id": "fc_fake_1", "call_id": "call_fake_1", "name": tool_name(tool),
                    "arguments": TOOL_ARGUMENTS, "status": "completed"}
        else:
            item = {"type": "message", "id": "msg_fake_1", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": [], "logprobs": []}]}
        input_tokens = word_count(f"{body.get('instructions') or ''} {prompt_text}")
        output_tokens = word_count(TOOL_ARGUMENTS if tool else reply)
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens,
                 "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}
        response = {"id": "resp_fake_1", "object": "response", "created_at": CREATED, "status": "completed",
                    "model": str(body.get("model") or "fake-model"), "instructions": body.get("instructions"), "output": [item],
                    "parallel_tool_calls": True, "tool_choice": "auto", "tools": tools, "usage": usage, "error": None,
                    "incomplete_details": None, "metadata": {}, "temperature": body.get("temperature"), "top_p": body.get("top_p")}
        if not body.get("stream"):
            return self.send_json(200, response)
        pending = {**response, "status": "in_progress", "output": [], "usage": None}
        events = [{"type": "response.created", "response": pending}, {"type": "response.in_progress", "response": pending}]
        if tool:
            events.append({"type": "response.output_item.added", "output_index": 0, "item": {**item, "arguments": "", "status": "in_progress"}})
            events.append({"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": 0, "delta": TOOL_ARGUMENTS})
            events.append({"type": "response.function_call_arguments.done", "item_id": item["id"], "output_index": 0, "arguments": TOOL_ARGUMENTS})
        else:
            empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            events.append({"type": "response.output_item.added", "output_index": 0, "item": {**item, "status": "in_progress", "content": []}})
            events.append({"type": "response.content_part.added", "item_id": item["id"], "output_index": 0, "content_index": 0, "part": empty_part})
            words = reply.split(" ")
            for i, word in enumerate(words):
                delta = word + (" " if i < len(words) - 1 else "")
                events.append({"type": "response.output_text.delta", "item_id": item["id"], "output_index": 0, "content_index": 0,
                               "delta": delta, "logprobs": []})
            events.append({"type": "response.output_text.done", "item_id": item["id"], "output_index": 0, "content_index": 0,
                           "text": reply, "logprobs": []})
            events.append({"type": "response.content_part.done", "item_id": item["id"], "output_index": 0, "content_index": 0,
                           "part": item["content"][0]})
        events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
        events.append({"type": "response.completed", "response": response})
        for number, event in enumerate(events):
            event["sequence_number"] = number
        self.sse(events, named=True)


def start_fake_openai(port):
    """Starts the fake on 127.0.0.1 (a fixed port keeps `server.port` and URLs in the fixtures stable); returns (server, base_url)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
