import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import {
  type Experiment,
  type ExperimentDefinition,
  type ExperimentRequest,
  ExperimentRequestSchema,
  MAX_EXPERIMENT_SOURCES,
  SETTLED_STATUSES,
  variantEdit,
} from '../generation/experiment.js';
import { GenerationValidationError } from '../generation/generation.js';
import { EXPERIMENT_METADATA_KEY, rerunOriginOf } from '../generation/lineage.js';
import { LIST_PAGE_SIZE } from '../generation/list-query.js';
import type { GenerationRecord } from '../generation/record.js';
import type { PlaygroundStore } from '../store/types.js';
import { DEFAULT_EXPERIMENT_CONCURRENCY, DEFAULT_EXPERIMENT_RETRY } from './defaults.js';
import { errorDetail } from './log.js';
import { type Providers, UnknownProviderError } from './providers.js';
import { RerunCancelledError, RerunInputError, type RerunRunner } from './rerun.js';

/**
 * The server's experiment runner: runs each source of an experiment through each variant as a re-run (stored through
 * the normal ingest path, linked to its source and its experiment), a few calls per provider at once, retrying what a
 * provider refuses for now (429, 5xx). Results are stored once per (experiment, source, variant), so an experiment
 * interrupted by a restart resumes with what is missing.
 */

/** An experiment that cannot be created as asked (user input, answered with 400). */
export class ExperimentInputError extends Error {
  override readonly name = 'ExperimentInputError';
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The wait after the first refusal without `Retry-After`; doubled after each further one. */
  baseDelayMs: number;
  /** The longest wait, whatever `Retry-After` asks. */
  maxDelayMs: number;
}

/** Whether a provider's answer is worth asking again: rate limited, or failed on its side. */
export function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * How long to wait before attempt `attempt + 1`: a `Retry-After` in seconds or as an HTTP date, else the base delay
 * doubled per attempt; never more than `maxDelayMs`. Pure.
 */
export function retryDelayMs(retryAfter: string | null, attempt: number, policy: RetryPolicy, nowMs: number): number {
  let wait = policy.baseDelayMs * 2 ** (attempt - 1);
  const header = retryAfter?.trim();
  if (header) {
    const seconds = Number(header);
    const at = Date.parse(header);
    if (/^\d+(\.\d+)?$/.test(header)) wait = seconds * 1000;
    else if (!Number.isNaN(at)) wait = Math.max(0, at - nowMs);
  }
  return Math.min(wait, policy.maxDelayMs);
}

/** `fetch` that asks again after a 429 or 5xx, as `policy` says, and stops waiting when the request's signal aborts. */
export function retryingFetch(policy: RetryPolicy): typeof fetch {
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(input, init);
      if (!isRetryable(response.status) || attempt >= policy.attempts) return response;
      await response.body?.cancel().catch(() => undefined);
      await delay(retryDelayMs(response.headers.get('retry-after'), attempt, policy, Date.now()), undefined, {
        signal: init?.signal ?? undefined,
      });
    }
  };
}

/** Lets `limit` holders run at once; the others wait in order. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves with the release once there is room; rejects when `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.running >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          this.waiting.splice(this.waiting.indexOf(wake), 1);
          reject(signal.reason);
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', abort, { once: true });
      });
    }
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }
}

export interface ExperimentRunnerOptions {
  store: PlaygroundStore;
  /** The server's re-runs; without one (no provider configured), experiments cannot be created or resumed. */
  rerun: RerunRunner | undefined;
  providers: Providers;
  log: FastifyBaseLogger;
  /** Calls one provider gets at once, all experiments together. Default 4. */
  concurrency?: number;
  retry?: RetryPolicy;
}

interface Execution {
  controller: AbortController;
  done: Promise<void>;
}

/** Why an execution was aborted: a cancel settles the experiment, a shutdown leaves it running for the next start. */
const CANCELLED = 'cancelled';
const SHUTDOWN = 'shutdown';

export class ExperimentRunner {
  private readonly executions = new Map<string, Execution>();
  private readonly limiters = new Map<string, Limiter>();
  private readonly concurrency: number;
  private readonly send: typeof fetch;
  private closed = false;

  constructor(private readonly options: ExperimentRunnerOptions) {
    this.concurrency = options.concurrency ?? DEFAULT_EXPERIMENT_CONCURRENCY;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1)
      throw new ExperimentInputError(`The experiment concurrency must be a whole positive number, got ${this.concurrency}`);
    this.send = retryingFetch(options.retry ?? DEFAULT_EXPERIMENT_RETRY);
  }

  /** Whether experiments can run: a provider is configured. */
  get enabled(): boolean {
    return this.options.rerun !== undefined;
  }

  /**
   * Validates the request, finds its sources, stores the experiment and starts it. Throws `ExperimentInputError` for a
   * request that cannot run (an unknown provider, no source found...).
   */
  async create(body: unknown): Promise<Experiment> {
    const parsed = ExperimentRequestSchema.safeParse(body);
    if (!parsed.success) throw new ExperimentInputError(requestProblem(parsed.error));
    const request = parsed.data;
    request.variants.forEach((variant, index) => {
      try {
        this.options.providers.resolve(variant.provider);
      } catch (error) {
        if (error instanceof UnknownProviderError) throw new ExperimentInputError(`Variant ${index + 1}: ${error.message}`);
        throw error;
      }
    });
    const sourceIds = await this.sourceIds(request.source);
    const createdTime = new Date().toISOString();
    const definition: ExperimentDefinition = {
      id: crypto.randomUUID(),
      name: request.name || `Experiment of ${createdTime}`,
      createdTime,
      source: request.source,
      sourceIds,
      variants: request.variants,
      concurrency: request.concurrency,
    };
    await this.options.store.createExperiment(definition, 'running');
    this.start(definition);
    return (await this.options.store.getExperiment(definition.id)) as Experiment;
  }

  /**
   * The ids a selection finds, newest first: the ids given (each stored), or the filter's matches that are not
   * themselves re-runs, so replaying a slice twice does not replay the first run's results.
   */
  private async sourceIds(source: ExperimentRequest['source']): Promise<string[]> {
    const { store } = this.options;
    if ('ids' in source) {
      const ids = [...new Set(source.ids)];
      const found = await store.getMany(ids);
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0) throw new ExperimentInputError(`No generation with id ${missing.slice(0, 5).join(', ')}`);
      return ids;
    }
    const { limit, ...filter } = source.filter;
    const wanted = limit ?? MAX_EXPERIMENT_SOURCES;
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ ...filter, limit: LIST_PAGE_SIZE.max, cursor });
      // Production calls only: re-runs and earlier experiments' results are not sources (ids can still name them).
      for (const item of page.items) if (rerunOriginOf(item.generation.metadata as Record<string, unknown>) === null) ids.push(item.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && ids.length <= wanted);
    if (ids.length === 0) throw new ExperimentInputError('The filter matches no generation.');
    if (limit === undefined && ids.length > MAX_EXPERIMENT_SOURCES) {
      throw new ExperimentInputError(
        `The filter matches more than ${MAX_EXPERIMENT_SOURCES} generations: narrow it, or set a limit (the newest that many).`,
      );
    }
    return ids.slice(0, wanted);
  }

  /** Cancels a running experiment: its calls in flight are aborted, none are started. Resolves with it, or undefined. */
  async cancel(id: string): Promise<Experiment | undefined> {
    const { store } = this.options;
    const experiment = await store.getExperiment(id);
    if (!experiment || SETTLED_STATUSES.has(experiment.status)) return experiment;
    const execution = this.executions.get(id);
    execution?.controller.abort(CANCELLED);
    await execution?.done;
    // Stopped first, so an experiment that finished meanwhile keeps saying so.
    const stopped = await store.getExperiment(id);
    if (stopped && !SETTLED_STATUSES.has(stopped.status)) await store.setExperimentStatus(id, 'cancelled');
    return store.getExperiment(id);
  }

  /** Starts every experiment a previous run of the server left pending or running. */
  async resume(): Promise<void> {
    if (!this.enabled) return;
    for (const experiment of await this.options.store.listExperiments()) {
      if (SETTLED_STATUSES.has(experiment.status) || this.executions.has(experiment.id)) continue;
      this.options.log.info(`resuming experiment ${experiment.id}: ${experiment.progress.done} of ${experiment.progress.total} done`);
      if (experiment.status === 'pending') await this.options.store.setExperimentStatus(experiment.id, 'running');
      this.start(experiment);
    }
  }

  /** Aborts the calls in flight (their experiments stay running, to resume at the next start) and waits for them. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()];
    for (const execution of running) execution.controller.abort(SHUTDOWN);
    await Promise.all(running.map((execution) => execution.done));
  }

  private limiter(provider: string): Limiter {
    let limiter = this.limiters.get(provider);
    if (!limiter) {
      limiter = new Limiter(this.concurrency);
      this.limiters.set(provider, limiter);
    }
    return limiter;
  }

  private start(definition: ExperimentDefinition): void {
    if (this.closed) return;
    const controller = new AbortController();
    const done = this.execute(definition, controller.signal)
      .catch((error: unknown) => {
        this.options.log.error(`experiment ${definition.id} failed: ${errorDetail(error)}`);
        const message = error instanceof Error ? error.message : String(error);
        return this.options.store.setExperimentStatus(definition.id, 'failed', message);
      })
      .catch((error: unknown) => this.options.log.error(`experiment ${definition.id}: its failure was not stored: ${errorDetail(error)}`))
      .finally(() => this.executions.delete(definition.id));
    this.executions.set(definition.id, { controller, done });
  }

  private async execute(definition: ExperimentDefinition, signal: AbortSignal): Promise<void> {
    const { store } = this.options;
    const finished = new Set((await store.experimentResults(definition.id)).map((result) => `${result.sourceId} ${result.variant}`));
    const sources = await store.getMany(definition.sourceIds);
    // A store failure in one call stops the others: the experiment has failed.
    const failure = new AbortController();
    const stop = AbortSignal.any([signal, failure.signal]);
    // Every call waiting for its provider listens to it: thousands of listeners are expected, not a leak.
    setMaxListeners(0, signal, stop);
    const own = definition.concurrency === undefined ? undefined : new Limiter(definition.concurrency);
    const calls: Promise<void>[] = [];
    for (const sourceId of definition.sourceIds) {
      definition.variants.forEach((_, variant) => {
        if (finished.has(`${sourceId} ${variant}`)) return;
        calls.push(
          this.runOne(definition, sourceId, sources.get(sourceId), variant, stop, own).catch((error: unknown) => {
            failure.abort(error);
          }),
        );
      });
    }
    await Promise.all(calls);
    if (failure.signal.aborted) throw failure.signal.reason;
    if (!signal.aborted) await store.setExperimentStatus(definition.id, 'finished');
  }

  private async runOne(
    definition: ExperimentDefinition,
    sourceId: string,
    source: GenerationRecord | undefined,
    variant: number,
    signal: AbortSignal,
    own: Limiter | undefined,
  ): Promise<void> {
    const rerun = this.options.rerun;
    if (!rerun || signal.aborted) return;
    const { store } = this.options;
    const result = { experimentId: definition.id, sourceId, variant };
    if (!source) {
      await store.writeExperimentResult({ ...result, generationId: null, error: 'The source generation is no longer stored.' });
      return;
    }
    const edit = definition.variants[variant];
    // The experiment's own limit first, so its waiting calls do not hold a provider's places.
    let release: () => void;
    try {
      const releaseOwn = await own?.acquire(signal);
      try {
        const releaseProvider = await this.limiter(edit.provider).acquire(signal);
        release = () => {
          releaseProvider();
          releaseOwn?.();
        };
      } catch {
        releaseOwn?.();
        return;
      }
    } catch {
      return;
    }
    try {
      let plan: ReturnType<RerunRunner['prepare']>;
      try {
        plan = rerun.prepare(source, variantEdit(source.generation, edit), edit.provider);
      } catch (error) {
        if (!(error instanceof RerunInputError || error instanceof GenerationValidationError || error instanceof UnknownProviderError))
          throw error;
        await store.writeExperimentResult({ ...result, generationId: null, error: error.message });
        return;
      }
      plan.generation.metadata = { ...plan.generation.metadata, [EXPERIMENT_METADATA_KEY]: { id: definition.id, variant } };
      let error: string | null = null;
      let id: string;
      try {
        id = await rerun.run(
          source,
          plan,
          (event) => {
            if (event.type === 'done') error = event.error;
          },
          signal,
          { send: this.send, storeCancelled: false },
        );
      } catch (failure) {
        // Cancelled or stopped: nothing was stored, and a resumed run asks again.
        if (failure instanceof RerunCancelledError) return;
        throw failure;
      }
      await store.writeExperimentResult({ ...result, generationId: id, error });
    } finally {
      release();
    }
  }
}

/** One line naming every problem of an experiment request, each by its path (`variants.1.model must not be empty`). */
function requestProblem(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message)).join('; ');
}
