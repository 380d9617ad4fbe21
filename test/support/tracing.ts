import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** A real SDK tracer provider registered globally (AsyncLocalStorage context) that keeps finished spans in memory. */
export function inMemoryTracing(): { exporter: InMemorySpanExporter; provider: NodeTracerProvider; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return { exporter, provider, spans: () => exporter.getFinishedSpans() };
}
