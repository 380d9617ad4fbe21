import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { DemoArgs } from './args.js';
import { authHeaders, checkServer, errorDetail } from './remote.js';
import { runSeedSteps } from './seed-steps.js';
import type { CliIO } from './serve.js';
import { CliError } from './stores.js';

export const DEMO_SERVICE_NAME = 'genspan-demo';

/** Remembers the last failed export, which the SDK's processors would only log. */
class CheckedExporter implements SpanExporter {
  failure: Error | undefined;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.failure = result.error ?? new Error('export failed');
      resultCallback(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** `genspan demo`: the example's steps, exported with the OTLP/HTTP exporter to a running server. */
export async function demo(args: DemoArgs, io: CliIO): Promise<number> {
  await checkServer(args.endpoint, args.token);
  const exporter = new CheckedExporter(new OTLPTraceExporter({ url: `${args.endpoint}/v1/traces`, headers: authHeaders(args.token) }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': DEMO_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  let traceId: string;
  try {
    ({ traceId } = await runSeedSteps());
    await provider.forceFlush();
  } finally {
    await provider.shutdown();
  }
  if (exporter.failure) throw new CliError(`genspan at ${args.endpoint} did not accept the spans: ${exporter.failure.message}`);

  const listUrl = `${args.endpoint}/api/generations?traceId=${traceId}`;
  const response = await fetch(listUrl, { headers: authHeaders(args.token) });
  if (!response.ok) {
    throw new CliError(
      `genspan at ${args.endpoint} accepted the spans but listing the stored generations failed ` +
        `(HTTP ${response.status}${await errorDetail(response)})`,
    );
  }
  const page = (await response.json()) as { items?: { generation?: { type?: string; model?: string } }[] };
  const items = page.items ?? [];
  io.out(`sent the demo's spans (trace ${traceId}) to ${args.endpoint}; genspan stored ${items.length} generations:`);
  for (const item of items) io.out(`  ${item.generation?.type ?? '?'} ${item.generation?.model ?? ''}`);
  io.out(`see them at ${listUrl} or in the playground at ${args.endpoint}/`);
  return items.length > 0 ? 0 : 1;
}
