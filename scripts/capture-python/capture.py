"""Runs one Python instrumentation's scenarios against the fake OpenAI server and writes what it emitted as OTLP JSON.

Usage: python capture.py INSTRUMENTATION OUT_DIR   (run by capture.sh, each in the virtual environment of its set)
Each scenario becomes OUT_DIR/INSTRUMENTATION/SCENARIO.json: `{"traces": ..., "logs": ...}`.
"""

import asyncio
import os
import sys
import tempfile

from fake_openai import FAIL_MODEL, start_fake_openai
from opentelemetry import _logs, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_json import write_fixture

PORT = int(os.environ.get("CAPTURE_PORT", "18765"))
API_KEY = "test"
SYSTEM = "You are terse."
GREETING = "Say hello to Ada"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a location",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}
TOOL_RESULT_MESSAGES = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
]


class Capture:
    def __init__(self):
        resource = Resource.create({"service.name": "capture-python", "service.instance.id": "capture"})
        self.spans = InMemorySpanExporter()
        self.logs = InMemoryLogRecordExporter()
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        trace.set_tracer_provider(self.tracer_provider)
        self.logger_provider = LoggerProvider(resource=resource)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        _logs.set_logger_provider(self.logger_provider)
        self.span_processor = SimpleSpanProcessor(self.spans)
        # One loop for every async scenario: clients made once keep connections bound to it.
        self.loop = asyncio.new_event_loop()

    def run(self, out_dir, scenarios):
        os.makedirs(out_dir, exist_ok=True)
        for name, scenario in scenarios.items():
            self.spans.clear()
            self.logs.clear()
            try:
                result = scenario()
                if asyncio.iscoroutine(result):
                    self.loop.run_until_complete(result)
            except Exception as error:  # a failing call is a scenario; its span says what failed
                print(f"  {name}: raised {type(error).__name__}: {str(error)[:120]}", file=sys.stderr)
            self.tracer_provider.force_flush()
            self.logger_provider.force_flush()
            spans, logs = self.spans.get_finished_spans(), self.logs.get_finished_logs()
            write_fixture(os.path.join(out_dir, f"{name}.json"), spans, logs)
            print(f"  {name}: {len(spans)} span(s), {len(logs)} log record(s)", file=sys.stderr)


def chat_scenarios(client, responses=False):
    """The scenarios every Chat Completions instrumentation runs."""
    scenarios = {
        "chat": lambda: client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": GREETING}],
            temperature=0.2, max_tokens=64, top_p=0.9, seed=7,
        ),
        "stream": lambda: list(client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Stream a greeting"}],
            stream=True, stream_options={"include_usage": True},
        )),
        "tools": lambda: client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER_TOOL],
        ),
        "tool-result": lambda: client.chat.completions.create(
            model="gpt-4o-mini", messages=TOOL_RESULT_MESSAGES, tools=[WEATHER_TOOL],
        ),
        "fail": lambda: client.chat.completions.create(
            model=FAIL_MODEL, messages=[{"role": "user", "content": "This call fails"}], temperature=0.5,
        ),
    }
    if responses:
        scenarios["responses"] = lambda: client.responses.create(
            model="gpt-4o-mini", instructions=SYSTEM, input="Say hello to Ada", temperature=0.2,
        )
    return scenarios


def openai_client(base_url):
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)


def otel_v2(capture, base_url):
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=capture.tracer_provider, logger_provider=capture.logger_provider)
    return chat_scenarios(openai_client(base_url))


def openinference(capture, base_url):
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=capture.tracer_provider)
    return chat_scenarios(openai_client(base_url), responses=True)


def openllmetry(capture, base_url):
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    # The default puts content on the span; `use_attributes=False` sends it as log events instead.
    on_span = os.environ.get("CAPTURE_OPENLLMETRY_EVENTS") != "1"
    OpenAIInstrumentor(use_attributes=on_span).instrument(tracer_provider=capture.tracer_provider,
                                                          logger_provider=capture.logger_provider)
    return chat_scenarios(openai_client(base_url), responses=True)


def logfire_scenarios(capture, base_url):
    import logfire

    logfire.configure(send_to_logfire=False, console=False, additional_span_processors=[capture.span_processor],
                      service_name="capture-python")
    client = openai_client(base_url)
    logfire.instrument_openai(client)
    return chat_scenarios(client)


def openlit_scenarios(capture, base_url):
    import openlit

    prices = os.path.join(tempfile.mkdtemp(), "pricing.json")
    with open(prices, "w") as file:
        file.write('{"chat": {"gpt-4o-mini": {"promptPrice": 0.00015, "completionPrice": 0.0006}}}')
    openlit.init(application_name="capture-python", disable_metrics=True, pricing_json=prices, disable_batch=True)
    return chat_scenarios(openai_client(base_url))


def pydantic_ai(capture, base_url):
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    Agent.instrument_all()
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=base_url, api_key=API_KEY))
    failing = OpenAIChatModel(FAIL_MODEL, provider=OpenAIProvider(base_url=base_url, api_key=API_KEY))
    settings = {"temperature": 0.2, "max_tokens": 64}
    agent = Agent(model, system_prompt=SYSTEM, model_settings=settings)
    tool_agent = Agent(model)

    @tool_agent.tool_plain
    def get_weather(location: str) -> str:
        """Current weather for a location"""
        return "Sunny, 21 C"

    async def stream():
        async with Agent(model).run_stream("Stream a greeting") as result:
            await result.get_output()

    return {
        "chat": lambda: agent.run(GREETING),
        "stream": stream,
        "tools": lambda: tool_agent.run("Weather in Paris?"),
        "fail": lambda: Agent(failing).run("This call fails"),
    }


def langfuse_scenarios(capture, base_url):
    from langfuse import Langfuse

    # Langfuse's own exporter posts to the fake, which refuses it (404): only the capture's processor keeps spans.
    Langfuse(public_key="pk-lf-test", secret_key="sk-lf-test", base_url=base_url.removesuffix("/v1"),
             tracer_provider=capture.tracer_provider)
    from langfuse.openai import OpenAI

    return chat_scenarios(OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0))


def openai_agents(capture, base_url):
    from agents import Agent, ModelSettings, Runner, function_tool, set_default_openai_api, set_default_openai_client
    from openai import AsyncOpenAI
    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    OpenAIAgentsInstrumentor().instrument(tracer_provider=capture.tracer_provider)
    set_default_openai_client(AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0), use_for_tracing=False)
    set_default_openai_api("responses")

    @function_tool
    def get_weather(location: str) -> str:
        """Current weather for a location"""
        return "Sunny, 21 C"

    agent = Agent(name="Assistant", instructions=SYSTEM, model="gpt-4o-mini", model_settings=ModelSettings(temperature=0.2))
    tool_agent = Agent(name="Weather", instructions=SYSTEM, model="gpt-4o-mini", tools=[get_weather])
    failing = Agent(name="Failing", model=FAIL_MODEL)

    async def streamed():
        result = Runner.run_streamed(agent, GREETING)
        async for _ in result.stream_events():
            pass

    return {
        "run": lambda: Runner.run(agent, GREETING),
        "streamed": streamed,
        "tools": lambda: Runner.run(tool_agent, "Weather in Paris?"),
        "fail": lambda: Runner.run(failing, "This call fails"),
    }


INSTRUMENTATIONS = {
    "otel-v2": otel_v2,
    "openinference": openinference,
    "openllmetry": openllmetry,
    "logfire": logfire_scenarios,
    "openlit": openlit_scenarios,
    "pydantic-ai": pydantic_ai,
    "langfuse": langfuse_scenarios,
    "openai-agents": openai_agents,
}


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    label = os.environ.get("CAPTURE_LABEL", name)
    server, base_url = start_fake_openai(PORT)
    capture = Capture()
    print(f"{label}:", file=sys.stderr)
    capture.run(os.path.join(out_dir, label), INSTRUMENTATIONS[name](capture, base_url))
    server.shutdown()


if __name__ == "__main__":
    main()
