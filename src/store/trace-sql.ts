/**
 * The trace and thread queries of both stores, written once: each reads a trace's steps, a thread's traces and a
 * trace's root step through an index (a trace's steps by (trace_id, start_ms), a thread's traces by (thread_id,
 * start_ms)), so a big trace or a long thread costs its own rows, never a scan of the store.
 */
import { LIST_PAGE_SIZE } from '../generation/list-query.js';
import { InvalidListFilterError } from './errors.js';
import type { FilterDialect } from './filter-sql.js';
import { EXPORT_PAGE_SIZE } from './jsonl.js';
import { EACH_PARTITION } from './sqlite-partitions.js';
import { decodePageCursor, type PageKey, STEP_COLUMNS } from './step-row.js';
import type { ThreadFilter } from './types.js';

/** How one SQL dialect spells what the trace queries need beyond the list filters. */
export interface TraceDialect extends FilterDialect {
  /** The total tokens of one generation row `g` (its `tokenCount`, else input plus output), or NULL. */
  generationTokens: string;
  /** Extra FROM items after `genspan_generations AS g` that `generationTokens` reads (PostgreSQL parses the JSON once). */
  generationTokensFrom: string;
}

/**
 * The root step of trace `trace` (an SQL alias of a row holding `trace_id`): the earliest step whose parent is not
 * stored. Read through the steps' primary key: the trace's own steps, sorted.
 */
function rootSpan(trace: string): string {
  return (
    `(SELECT s.span_id FROM genspan_steps AS s WHERE s.trace_id = ${trace}.trace_id AND NOT EXISTS ` +
    `(SELECT 1 FROM genspan_steps AS p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_span_id) ` +
    'ORDER BY s.start_ms, s.span_id LIMIT 1)'
  );
}

/** `FROM` traces `t` with their root step `r` (absent for a trace without steps). */
const TRACES_WITH_ROOT = `FROM genspan_traces AS t
LEFT JOIN genspan_steps AS r ON r.trace_id = t.trace_id AND r.span_id = ${rootSpan('t')}`;

/** A trace's steps, in start order (tree order is made from it). */
export const SELECT_TRACE_STEPS = (placeholder: string) =>
  `SELECT ${STEP_COLUMNS.join(', ')} FROM genspan_steps WHERE trace_id = ${placeholder} ORDER BY start_ms, span_id`;

export const SELECT_TRACE_THREAD = (placeholder: string) => `SELECT thread_id FROM genspan_traces WHERE trace_id = ${placeholder}`;

/**
 * The columns of a `TraceSummaryRow`, for traces `t`. Scalar subqueries only: PostgreSQL may turn `EXISTS` into one
 * hashed scan of the whole table, where each of these reads only the trace's own rows.
 */
export function traceSummarySelect(dialect: TraceDialect): string {
  const steps = 'FROM genspan_steps AS c WHERE c.trace_id = t.trace_id';
  const generations = 'FROM genspan_generations AS g WHERE g.trace_id = t.trace_id';
  return `SELECT t.trace_id, t.thread_id, t.start_ms, t.end_ms, r.name, r.service_name,
  (SELECT count(*) ${steps}) AS steps,
  (SELECT count(c.error) ${steps}) AS step_errors,
  (SELECT count(*) ${generations}) AS generations,
  (SELECT count(*) FILTER (WHERE g.${dialect.errorsOnly}) ${generations}) AS generation_errors,
  (SELECT sum(${dialect.generationTokens})
    FROM genspan_generations AS g${dialect.generationTokensFrom} WHERE g.trace_id = t.trace_id) AS tokens
${TRACES_WITH_ROOT}`;
}

/** A page of traces, newest first: `where` and the LIMIT's placeholder from `traceListWhere`. */
export function listTracesSql(dialect: TraceDialect, where: string, limitPlaceholder: string): string {
  return `${traceSummarySelect(dialect)} ${where} ORDER BY t.start_ms DESC, t.trace_id DESC LIMIT ${limitPlaceholder}`;
}

/** A thread's traces in time order, each with its root step's name, input, output and error. */
export const SELECT_THREAD_TURNS = (placeholder: string) =>
  `SELECT t.trace_id, t.start_ms, t.end_ms, r.name, r.input, r.output, r.error ${TRACES_WITH_ROOT}
WHERE t.thread_id = ${placeholder} ORDER BY t.start_ms, t.trace_id`;

export const SELECT_THREAD = (placeholder: string) =>
  `SELECT id, name, user_id, start_ms, end_ms FROM genspan_threads WHERE id = ${placeholder}`;

/**
 * A thread's name when none was given: its first trace's root input. Over every SQLite partition (`EACH_PARTITION`;
 * a comment to PostgreSQL): a trace has a row in each partition holding its steps, its root step in one of them.
 */
const FIRST_INPUT = `(SELECT f.input FROM (${EACH_PARTITION}SELECT r.input, f.start_ms, f.trace_id FROM genspan_traces AS f
  JOIN genspan_steps AS r ON r.trace_id = f.trace_id AND r.span_id = ${rootSpan('f')}
  WHERE f.thread_id = h.id${EACH_PARTITION}) AS f ORDER BY f.start_ms, f.trace_id LIMIT 1)`;

/** A thread's traces, each once, though a trace may have a row (with its thread) in more than one SQLite partition. */
const THREAD_TRACES = `(SELECT count(DISTINCT c.trace_id) FROM
  (${EACH_PARTITION}SELECT trace_id FROM genspan_traces WHERE thread_id = h.id${EACH_PARTITION}) AS c)`;

/** A page of every step, trace by trace, after the (trace_id, span_id) given. */
export const EXPORT_STEPS = (trace: string, span: string) =>
  `SELECT ${STEP_COLUMNS.join(', ')} FROM genspan_steps WHERE (trace_id, span_id) > (${trace}, ${span})
ORDER BY trace_id, span_id LIMIT ${EXPORT_PAGE_SIZE}`;

/** The threads of the traces `traces` names (an SQL list of trace ids), with their given names and users. */
export const EXPORT_THREADS = (traces: string) =>
  `SELECT t.trace_id, t.thread_id, h.name, h.user_id FROM genspan_traces AS t LEFT JOIN genspan_threads AS h ON h.id = t.thread_id
WHERE t.thread_id IS NOT NULL AND t.trace_id IN ${traces} ORDER BY t.trace_id`;

/** A page of threads, most recently active first. */
export interface ThreadListQuery {
  sql: string;
  params: unknown[];
  limit: number;
}

/** Checks a thread filter (throws `InvalidListFilterError` naming what is wrong) and builds its page's query. */
export function threadListQuery(filter: ThreadFilter, placeholder: (index: number) => string): ThreadListQuery {
  const { limit = LIST_PAGE_SIZE.default, cursor, userId } = filter;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidListFilterError(`limit must be an integer from 1 to ${LIST_PAGE_SIZE.max}`);
  const after: PageKey | undefined = cursor === undefined || cursor === '' ? undefined : decodePageCursor('threads', cursor);
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  const conditions: string[] = [];
  if (userId !== undefined && userId !== '') conditions.push(`h.user_id = ${bind(userId)}`);
  if (after) conditions.push(`(h.end_ms, h.id) < (${bind(after.ms)}, ${bind(after.id)})`);
  // A library caller asking for more than a page holds gets a full page.
  const pageSize = Math.min(limit, LIST_PAGE_SIZE.max);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const sql = `SELECT h.id, coalesce(h.name, ${FIRST_INPUT}) AS name, h.user_id, h.start_ms, h.end_ms, ${THREAD_TRACES} AS traces
FROM genspan_threads AS h ${where} ORDER BY h.end_ms DESC, h.id DESC LIMIT ${bind(pageSize + 1)}`;
  return { sql, params, limit: pageSize };
}
