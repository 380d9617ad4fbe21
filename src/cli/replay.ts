import { readFile } from 'node:fs/promises';
import { formatCost } from '../generation/cost-format.js';
import { type Experiment, type ExperimentRequest, SETTLED_STATUSES } from '../generation/experiment.js';
import type { ExperimentColumn, ExperimentDetail, ExperimentList } from '../generation/rest.js';
import { type ReplayArgs, type ReplayVariantArg, UsageError } from './args.js';
import { authHeaders, checkServer, errorDetail } from './remote.js';
import type { CliIO } from './serve.js';
import { CliError } from './stores.js';

/**
 * `genspan replay`: creates an experiment on a running `genspan serve` (which stores it and its results), follows its
 * progress, and prints one summary row per variant. Exit codes: 0 every result ran; 1 a result has an error, the
 * experiment failed or was cancelled, or (with `--fail-on-diff`) an output differs from its original's; 2 usage.
 */

const POLL_INTERVAL_MS = 250;
const BAR_WIDTH = 30;
const EXIT_FAILED = 1;

/** A template file: a JSON array of messages, else the text of a completion template. */
async function template(file: string): Promise<string | unknown[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the template ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (text.trimStart().startsWith('[')) {
    try {
      return JSON.parse(text) as unknown[];
    } catch (error) {
      throw new UsageError(`the template ${file} starts like JSON messages but is not JSON: ${(error as Error).message}`);
    }
  }
  return text;
}

async function requestOf(args: ReplayArgs): Promise<ExperimentRequest> {
  const variants = await Promise.all(
    args.variants.map(async ({ provider, model, settings, templateFile }) => ({
      provider,
      model,
      settings,
      ...(templateFile === undefined
        ? {}
        : { template: (await template(templateFile)) as ExperimentRequest['variants'][number]['template'] }),
    })),
  );
  return { name: args.name, source: args.source as ExperimentRequest['source'], variants, concurrency: args.concurrency };
}

/** One variant in a word: `openai/gpt-4o temperature=0.2 template=prompt.txt`. */
export function variantLabel(variant: ReplayVariantArg | Experiment['variants'][number]): string {
  const settings = Object.entries(variant.settings).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  const file = 'templateFile' in variant && variant.templateFile ? [`template=${variant.templateFile.split(/[\\/]/).pop()}`] : [];
  const set = 'template' in variant && variant.template != null ? ['template'] : [];
  return [`${variant.provider}/${variant.model}`, ...settings, ...file, ...set].join(' ');
}

function share(value: number | null): string {
  return value === null ? '-' : `${Math.round(value * 100)}%`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} ms`;
}

/** The summary table: the originals' row, then one row per variant, columns aligned. Pure. */
export function summaryTable(detail: ExperimentDetail): string[] {
  const row = (label: string, column: ExperimentColumn) => [
    label,
    String(column.results),
    String(column.errors),
    String(column.tokens.total),
    formatCost(column.cost.total),
    ms(column.latencyMs.p50),
    ms(column.latencyMs.p95),
    share(column.identicalShare),
    share(column.validJsonShare),
  ];
  const rows = [
    ['variant', 'results', 'errors', 'tokens', 'cost', 'p50', 'p95', 'identical', 'valid JSON'],
    row('original', detail.original),
    ...detail.variants.map((column, index) => row(`${index + 1} ${variantLabel(detail.experiment.variants[index])}`, column)),
  ];
  const widths = rows[0].map((_, index) => Math.max(...rows.map((cells) => cells[index].length)));
  return rows.map((cells) =>
    cells
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index])))
      .join('  ')
      .trimEnd(),
  );
}

/** Why the run fails (exit 1), or an empty list. Pure. */
export function failures(detail: ExperimentDetail, failOnDiff: boolean): string[] {
  const { experiment } = detail;
  const found: string[] = [];
  if (experiment.status === 'failed') found.push(`the experiment failed: ${experiment.error ?? 'no reason given'}`);
  if (experiment.status === 'cancelled') found.push('the experiment was cancelled');
  if (!SETTLED_STATUSES.has(experiment.status)) found.push('the experiment has not finished');
  detail.variants.forEach((column, index) => {
    if (column.errors > 0) found.push(`variant ${index + 1}: ${column.errors} of ${column.results} results have errors`);
    if (failOnDiff && column.identicalShare !== null && column.identicalShare < 1) {
      const differ = column.results - Math.round(column.identicalShare * column.results);
      found.push(`variant ${index + 1}: ${differ} of ${column.results} outputs differ from the originals'`);
    }
  });
  return found;
}

function progressBar(progress: Experiment['progress']): string {
  const filled = progress.total === 0 ? BAR_WIDTH : Math.round((progress.done / progress.total) * BAR_WIDTH);
  const errors = progress.errors > 0 ? `, ${progress.errors} errors` : '';
  return `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${progress.done}/${progress.total} results${errors}`;
}

async function getJson<T>(url: string, token: string | undefined, what: string): Promise<T> {
  const response = await fetch(url, { headers: authHeaders(token) });
  if (!response.ok) throw new CliError(`reading ${what} failed (HTTP ${response.status}${await errorDetail(response)})`);
  return (await response.json()) as T;
}

export async function replay(args: ReplayArgs, io: CliIO, showProgress = Boolean(process.stderr.isTTY)): Promise<number> {
  const request = await requestOf(args);
  await checkServer(args.endpoint, args.token);
  const created = await fetch(`${args.endpoint}/api/experiments`, {
    method: 'POST',
    headers: { ...authHeaders(args.token), 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  // The server refuses what the command line asked (an unknown provider, a filter matching nothing): a usage error.
  if (created.status === 400) throw new UsageError(`genspan at ${args.endpoint} refused the experiment${await errorDetail(created)}`);
  if (!created.ok)
    throw new CliError(`genspan at ${args.endpoint} did not start the experiment (HTTP ${created.status}${await errorDetail(created)})`);
  let experiment = (await created.json()) as Experiment;

  // Ctrl-C cancels the experiment on the server, then reports what ran. Listened for before the experiment is
  // announced, so a Ctrl-C right after the announcement finds the listener in place.
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  process.once('SIGINT', interrupt);
  if (!args.json) io.err(`experiment ${experiment.id}: ${experiment.sourceIds.length} sources × ${experiment.variants.length} variants`);
  try {
    while (!SETTLED_STATUSES.has(experiment.status) && !interrupted) {
      if (showProgress) process.stderr.write(progressBar(experiment.progress));
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      const list = await getJson<ExperimentList>(`${args.endpoint}/api/experiments`, args.token, 'the experiments');
      const found = list.items.find((item) => item.id === experiment.id);
      if (!found) throw new CliError(`experiment ${experiment.id} is no longer stored at ${args.endpoint}`);
      experiment = found;
    }
  } finally {
    process.off('SIGINT', interrupt);
    if (showProgress) process.stderr.write(`${progressBar(experiment.progress)}\n`);
  }
  if (interrupted) {
    const cancel = await fetch(`${args.endpoint}/api/experiments/${experiment.id}/cancel`, {
      method: 'POST',
      headers: authHeaders(args.token),
    });
    if (!cancel.ok) io.err(`cancelling experiment ${experiment.id} failed (HTTP ${cancel.status}${await errorDetail(cancel)})`);
  }

  const detail = await getJson<ExperimentDetail>(`${args.endpoint}/api/experiments/${experiment.id}`, args.token, 'the experiment');
  if (args.json) io.out(JSON.stringify(detail));
  else {
    for (const line of summaryTable(detail)) io.out(line);
    io.out(`stored as experiment ${experiment.id}: ${args.endpoint}/api/experiments/${experiment.id}`);
  }
  const found = failures(detail, args.failOnDiff);
  for (const line of found) io.err(`genspan replay: ${line}`);
  return found.length > 0 ? EXIT_FAILED : 0;
}
