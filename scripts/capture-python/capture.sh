#!/bin/sh
# Captures what each Python instrumentation emits as OTLP JSON fixtures under test/translate/fixtures/python/.
# Usage: scripts/capture-python/capture.sh [WHEELS_DIR]   (default ../shared/python-wheels, relative to the repo)
# Makes one virtual environment per pinned set under ${CAPTURE_VENVS:-/tmp/genspan-capture-python} (reused when present).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
wheels=$(cd "${1:-$repo/../shared/python-wheels}" && pwd)
venvs=${CAPTURE_VENVS:-/tmp/genspan-capture-python}
out="$repo/test/translate/fixtures/python"

venv() {
  if [ ! -x "$venvs/$1/bin/python" ]; then
    python3 -m venv "$venvs/$1"
    "$venvs/$1/bin/pip" install -q --retries 0 --timeout 2 --no-deps --find-links "$wheels" -r "$wheels/sets/$1.txt"
  fi
  echo "$venvs/$1/bin/python"
}

run() { # SET INSTRUMENTATION LABEL [ENV=VALUE...]; with CAPTURE_ONLY=LABEL, only that one
  set_name=$1 instrumentation=$2 label=$3
  shift 3
  if [ -n "${CAPTURE_ONLY:-}" ] && [ "$CAPTURE_ONLY" != "$label" ]; then return; fi
  python=$(venv "$set_name")
  rm -rf "${out:?}/$label"
  (cd "$here" && env "$@" CAPTURE_LABEL="$label" "$python" capture.py "$instrumentation" "$out")
}

run otel-v2 otel-v2 otel-v2-events OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
run otel-v2 otel-v2 otel-v2-span OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental \
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY
run otel-v2 otel-v2 otel-v2-latest-events OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental \
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY
run openinference openinference openinference
run openllmetry openllmetry openllmetry
run openllmetry openllmetry openllmetry-events CAPTURE_OPENLLMETRY_EVENTS=1
run logfire logfire logfire
run openlit openlit openlit
run pydantic-ai pydantic-ai pydantic-ai
run langfuse langfuse langfuse
run openai-agents openai-agents openai-agents
