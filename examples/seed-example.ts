/**
 * The seed example, in TypeScript: fake LLM steps (`src/cli/seed-steps.ts`) with a template, variables and settings,
 * recorded as OpenTelemetry spans with GenAI attributes and read back as generations. Run it with
 * `node dist/examples/seed-example.js` after `npm run build`. When OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, the spans go there over OTLP/HTTP too, so they show up in Jaeger
 * (through a Collector) and in `genspan serve`.
 */
import { pathToFileURL } from 'node:url';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { runSeedSteps } from '../src/cli/seed-steps.js';
import { toGeneration, translateSpan } from '../src/index.js';

async function main(): Promise<void> {
  const recorded = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(recorded)];
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'genspan-seed-example' }),
    spanProcessors: processors,
  });
  provider.register();

  await runSeedSteps();
  await provider.forceFlush();
  for (const span of recorded.getFinishedSpans()) {
    const result = translateSpan(span);
    if (result)
      console.log(
        JSON.stringify(
          { span: span.name, traceId: span.spanContext().traceId, generation: toGeneration(result.generation).toJSON() },
          null,
          2,
        ),
      );
  }
  if (endpoint) console.error(`Spans sent over OTLP/HTTP to ${endpoint}.`);
  await provider.shutdown();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`seed example failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
