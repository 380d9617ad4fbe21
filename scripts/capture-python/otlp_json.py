"""Writes finished spans and log records as OTLP JSON (ExportTraceServiceRequest / ExportLogsServiceRequest).

The SDK's own protobuf encoders build the requests; protobuf's JSON mapping (enums as integers) then gives the OTLP
JSON encoding except for ids, which OTLP JSON writes as hex rather than base64. Ids are renumbered in order of
appearance. Times stay as captured: some attributes hold wall-clock times too (Langfuse's completion start time).
"""

import base64
import json

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common._internal._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import encode_spans

ID_FIELDS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


class Renumber:
    def __init__(self):
        self.ids = {}

    def id(self, field, value):
        raw = base64.b64decode(value).hex()
        key = (field == "traceId", raw)
        if key not in self.ids:
            self.ids[key] = f"{len(self.ids) + 1:0{ID_FIELDS[field] * 2}x}"
        return self.ids[key]

    def walk(self, node):
        if isinstance(node, list):
            return [self.walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in ID_FIELDS and isinstance(value, str) and value:
                out[key] = self.id(key, value)
            else:
                out[key] = self.walk(value)
        return out


def otlp_json(spans, logs):
    """`{"traces": ExportTraceServiceRequest, "logs": ExportLogsServiceRequest}` in OTLP JSON, spans in start order."""
    spans = sorted(spans, key=lambda span: span.start_time)
    renumber = Renumber()
    traces = renumber.walk(MessageToDict(encode_spans(spans), use_integers_for_enums=True)) if spans else {"resourceSpans": []}
    records = renumber.walk(MessageToDict(encode_logs(logs), use_integers_for_enums=True)) if logs else {"resourceLogs": []}
    return {"traces": traces, "logs": records}


def write_fixture(path, spans, logs):
    with open(path, "w") as file:
        json.dump(otlp_json(spans, logs), file, indent=1, sort_keys=False)
        file.write("\n")
