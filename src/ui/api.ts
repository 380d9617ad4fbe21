import type { Experiment, ExperimentRequest } from '../generation/experiment.js';
import type { ListFilter } from '../generation/filter.js';
import { type FacetField, listQueryString } from '../generation/list-query.js';
import type {
  ExperimentDetail,
  ExperimentList,
  FacetList,
  GenerationItem,
  GenerationList,
  OmittedSetting,
  PlaygroundConfig,
  ProviderInfo,
  RerunEvent,
  RerunPreview,
  ThreadDetail,
  ThreadList,
  ThreadSummary,
  ThreadTurn,
  TraceDetail,
  TraceList,
  TraceSummary,
} from '../generation/rest.js';
import type { GenerationMessage, Tool } from '../generation/schema.js';
import type { StepRecord } from '../generation/step-record.js';
import type { TemplateFormat } from '../generation/template.js';

/** The server's REST API, as the page uses it. */

export type {
  Experiment,
  ExperimentDetail,
  ExperimentRequest,
  FacetList,
  GenerationItem,
  GenerationList,
  OmittedSetting,
  PlaygroundConfig,
  ProviderInfo,
  RerunEvent,
  RerunPreview,
  StepRecord,
  ThreadDetail,
  ThreadSummary,
  ThreadTurn,
  TraceDetail,
  TraceSummary,
};

/** The wire JSON of a generation, read leniently: the page shows whatever is there. */
export interface WireGeneration {
  type: 'COMPLETION' | 'CHAT';
  id?: string | null;
  promptId?: string | null;
  provider?: string | null;
  model?: string | null;
  error?: string | null;
  settings?: Record<string, unknown> | null;
  variables?: Record<string, unknown> | null;
  tags?: string[] | null;
  metadata?: Record<string, unknown> | null;
  tools?: Tool[] | null;
  tokenCount?: number | null;
  inputTokenCount?: number | null;
  outputTokenCount?: number | null;
  ttFirstToken?: number | null;
  tokenThroughputInSeconds?: number | null;
  duration?: number | null;
  template?: string | GenerationMessage[] | null;
  templateFormat?: TemplateFormat | null;
  prompt?: string | null;
  completion?: string | null;
  messages?: GenerationMessage[] | null;
  messageCompletion?: GenerationMessage | null;
}

/** What the list is filtered by: the stores' filter, so the page can only ask for what the API reads. */
export type ListQuery = Omit<ListFilter, 'limit'>;

/** An answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'genspan.token';

/** The bearer token a `--token` server asks for, kept for this browser tab only. */
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function failure(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { message?: unknown; error?: unknown };
    const detail = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : null;
    if (detail) message = detail;
  } catch {
    // No JSON body: the status line says it.
  }
  return new ApiError(response.status, message);
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: headers({ accept: 'application/json' }) });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export function fetchConfig(): Promise<PlaygroundConfig> {
  return getJson<PlaygroundConfig>('/api/playground/config');
}

/** A page of the list; `limit` defaults to the API's page size. */
export function fetchList(query: ListQuery, limit?: number): Promise<GenerationList> {
  const search = listQueryString({ ...query, limit });
  return getJson<GenerationList>(`/api/generations${search ? `?${search}` : ''}`);
}

/** A field's values with their counts among the generations the other filters match, for suggestions. */
export function fetchFacets(field: FacetField, query: ListQuery): Promise<FacetList> {
  const search = listQueryString({ ...query, sort: undefined, cursor: undefined });
  return getJson<FacetList>(`/api/facets?field=${encodeURIComponent(field)}${search ? `&${search}` : ''}`);
}

export function fetchExperiments(): Promise<ExperimentList> {
  return getJson<ExperimentList>('/api/experiments');
}

export function fetchExperiment(id: string): Promise<ExperimentDetail> {
  return getJson<ExperimentDetail>(`/api/experiments/${encodeURIComponent(id)}`);
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** Creates an experiment and starts it on the server. */
export function startExperiment(request: ExperimentRequest): Promise<Experiment> {
  return postJson<Experiment>('/api/experiments', request);
}

export function cancelExperiment(id: string): Promise<Experiment> {
  return postJson<Experiment>(`/api/experiments/${encodeURIComponent(id)}/cancel`, {});
}

export function fetchGeneration(id: string): Promise<GenerationItem> {
  return getJson<GenerationItem>(`/api/generations/${encodeURIComponent(id)}`);
}

/** A page of traces, newest first; `cursor` continues from an earlier page. */
export function fetchTraces(cursor: string | null = null): Promise<TraceList> {
  const search = listQueryString({ cursor: cursor ?? undefined });
  return getJson<TraceList>(`/api/traces${search ? `?${search}` : ''}`);
}

export function fetchTrace(traceId: string): Promise<TraceDetail> {
  return getJson<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`);
}

/** A page of threads, most recently active first. */
export function fetchThreads(cursor: string | null = null): Promise<ThreadList> {
  return getJson<ThreadList>(`/api/threads${cursor ? `?${new URLSearchParams({ cursor })}` : ''}`);
}

export function fetchThread(id: string): Promise<ThreadDetail> {
  return getJson<ThreadDetail>(`/api/threads/${encodeURIComponent(id)}`);
}

/** The wire generation of an item, or a placeholder when the record holds none. */
export function wireOf(item: GenerationItem): WireGeneration {
  const generation = item.generation as unknown as WireGeneration | undefined;
  if (generation && (generation.type === 'COMPLETION' || generation.type === 'CHAT')) return generation;
  return { type: 'COMPLETION' };
}

/** The re-run endpoint of a generation, or one of its sub-paths, with the chosen provider. */
function rerunPath(id: string, provider: string, suffix = ''): string {
  return `/api/generations/${encodeURIComponent(id)}/rerun${suffix}?${new URLSearchParams({ provider })}`;
}

/** What a re-run of the edit would send to `provider`, and what would refuse it, without running it. */
export async function previewRerun(id: string, edited: WireGeneration, provider: string, signal?: AbortSignal): Promise<RerunPreview> {
  const response = await fetch(rerunPath(id, provider, '/preview'), {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(edited),
    signal,
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as RerunPreview;
}

/**
 * Posts an edited generation for a re-run with `provider` and reads the answer's events as they stream in (one JSON
 * object per line). Resolves when the stream ends.
 */
export async function rerun(
  id: string,
  edited: WireGeneration,
  provider: string,
  onEvent: (event: RerunEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = await fetch(rerunPath(id, provider), {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'application/x-ndjson' }),
    body: JSON.stringify(edited),
    signal,
  });
  if (!response.ok) throw await failure(response);
  if (!response.body) throw new ApiError(response.status, 'The server sent no answer.');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onEvent(JSON.parse(line) as RerunEvent);
    }
    if (done) break;
  }
  if (buffer.trim()) onEvent(JSON.parse(buffer) as RerunEvent);
}
