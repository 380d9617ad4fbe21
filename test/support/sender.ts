import { resolve } from 'node:path';
import type { GenerationItem, GenerationList } from '../../src/generation/rest.js';
import { requireBuild, runNode } from './cli.js';

export const SENDER_PATH = resolve('dist/test/support/send-spans.js');

export interface SendResult {
  traceId: string;
  spanCount: number;
  logCount: number;
  failures: string[];
}

/** Runs the sender process (official OTLP exporters) against a server and returns what it reports. */
export async function sendSpans(options: {
  endpoint: string;
  protocol: 'json' | 'protobuf';
  scenario: 'steps' | 'openai';
  token?: string;
  times?: number;
  label?: string;
  /** A gRPC receiver that gets the same spans and log records too, from the official OTLP/gRPC exporters. */
  grpcEndpoint?: string;
}): Promise<SendResult> {
  const args = [
    '--endpoint',
    options.endpoint,
    '--protocol',
    options.protocol,
    '--scenario',
    options.scenario,
    '--times',
    String(options.times ?? 1),
  ];
  if (options.token) args.push('--token', options.token);
  if (options.label) args.push('--label', options.label);
  if (options.grpcEndpoint) args.push('--grpc-endpoint', options.grpcEndpoint);
  const result = await runNode(requireBuild(SENDER_PATH), args);
  if (result.code !== 0) throw new Error(`sender failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as SendResult;
}

export async function getJson<T = unknown>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as T };
}

/** The generations a server's REST API lists for one trace; the request must succeed. */
export async function generationsOfTrace(serverUrl: string, traceId: string): Promise<GenerationItem[]> {
  const { status, body } = await getJson<GenerationList>(`${serverUrl}/api/generations?traceId=${traceId}`);
  if (status !== 200) throw new Error(`GET /api/generations answered ${status}`);
  return body.items;
}
