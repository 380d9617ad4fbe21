import { type Attributes, type Context, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface SpanSpec {
  name: string;
  kind?: SpanKind;
  attributes?: Attributes;
  /** [seconds, nanoseconds] */
  startTime?: [number, number];
  endTime?: [number, number];
  error?: string;
  event?: { name: string; attributes?: Attributes };
  child?: SpanSpec;
}

/** Real SDK spans (a parent and its optional child per spec), ended and collected in memory. */
export async function makeSpans(specs: SpanSpec[], serviceName = 'otlp-test'): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('otlp-test-scope', '1.2.3');
  const start = (spec: SpanSpec, parent: Context): void => {
    const span = tracer.startSpan(
      spec.name,
      { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes, startTime: spec.startTime },
      parent,
    );
    if (spec.event) span.addEvent(spec.event.name, spec.event.attributes, spec.startTime);
    if (spec.error) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
    if (spec.child) start(spec.child, trace.setSpan(parent, span));
    span.end(spec.endTime);
  };
  for (const spec of specs) start(spec, context.active());
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}
