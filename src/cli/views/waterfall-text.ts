import { appLogsHint, appLogsShownCount, type AppLogs } from '../reading/app-log-line.js';
import { formatCount, formatMs, plural } from './format-units.js';
import type { RunView } from '../model/run-view.js';
import { rootRows, type Timeline, type TimelineRow } from '../model/run-timeline.js';
import { color, renderTable, safeText, statusText } from './terminal-text.js';

/** Draws [start, end] on a `width`-character axis from t0 to t1; at least one character. */
function bar(t0: number, t1: number, start: number, end: number, width: number): { from: number; to: number } {
  const scale = width / (t1 - t0);
  const from = Math.min(width - 1, Math.max(0, Math.floor((start - t0) * scale)));
  const to = Math.min(width, Math.max(from + 1, Math.ceil((end - t0) * scale)));
  return { from, to };
}

function drawBar(row: TimelineRow, timeline: Timeline, width: number): string {
  const { from, to } = bar(timeline.t0, timeline.t1, row.start_ms, row.end_ms, width);
  const fill = row.type === 'gap' ? '·' : row.type === 'run' ? '━' : '█';
  let body = fill.repeat(to - from);
  if (row.type === 'gap') body = color.dim(body);
  else if (row.type === 'step' && row.step.status === 'error') body = color.red(body);
  else if (row.type === 'step' && row.step.status !== 'ok') body = color.yellow(body);
  else if (row.type === 'run') body = color.cyan(body);
  return ' '.repeat(from) + body + ' '.repeat(width - to);
}

function label(row: TimelineRow): string {
  const indent = '  '.repeat(row.depth);
  if (row.type === 'run') {
    return `${indent}${color.bold(safeText(row.run.agent, 40))} ${color.dim(safeText(row.run.run_id.slice(0, 13), 13))}`;
  }
  if (row.type === 'gap') return color.dim(`${indent}· gap`);
  const { step } = row;
  // ⟳: the loop guard saw this call complete a loop (loop_detected on this step).
  const loop = row.run.notices.some((n) => n.event === 'loop_detected' && n.step_index === step.step_index) ? color.yellow(' ⟳') : '';
  const text = `${indent}${step.step_index} ${step.kind} ${safeText(step.name, 40)}`;
  return row.failure ? color.bold(color.red(`${text} ✖`)) + loop : text + loop;
}

function tokens(row: TimelineRow): string {
  if (row.type === 'run') return formatCount(row.run.token_usage?.total_tokens);
  if (row.type === 'step') return formatCount(row.step.token_usage?.total_tokens);
  return '';
}

function latency(row: TimelineRow): string {
  if (row.type === 'gap') return color.dim(formatMs(row.ms));
  if (row.type === 'run') return formatMs(row.run.total_latency_ms ?? row.end_ms - row.start_ms);
  return formatMs(row.step.latency_ms);
}

function status(row: TimelineRow): string {
  if (row.type === 'gap') return '';
  if (row.type === 'run') return `${statusText(row.run.status)} ${safeText(row.run.stop_reason ?? '', 32)}`;
  return statusText(row.step.status);
}

/** A count the log did not give is shown as unknown, never as 0. */
const countText = (n: number | undefined): string => (n === undefined ? '?' : formatCount(n));

function header(run: RunView, stopSentence: string): string[] {
  const sentence = safeText(stopSentence, 400); // quotes names from the log
  const stepKinds = run.tool_calls !== undefined ? ` (${run.tool_calls} tool, ${run.llm_calls ?? 0} model)` : '';
  const usage = run.token_usage;
  const facts = [
    `${plural(run.total_steps, 'step')}${stepKinds}`,
    formatMs(run.total_latency_ms ?? run.end_ms - run.start_ms),
    usage ? `${countText(usage.total_tokens)} tokens (in ${countText(usage.input_tokens)}, out ${countText(usage.output_tokens)})${run.token_usage_partial ? ', partial: some model calls reported no usage' : ''}` : '',
    run.errors ? `${run.errors} failed step${run.errors === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  const ids = [
    `started ${run.start}`,
    run.request_id && `request ${safeText(run.request_id, 64)}`,
    run.user_id && `user ${safeText(run.user_id, 64)}`,
    run.trace_id && `trace ${safeText(run.trace_id, 32)}`,
    run.parent_run_id && `parent run ${safeText(run.parent_run_id, 40)}`,
  ].filter(Boolean);
  const stop = run.status === 'ok' ? color.green(sentence) : run.status === 'error' ? color.red(sentence) : color.yellow(sentence);
  return [
    `${color.bold(`run ${safeText(run.run_id, 64)}`)}  ${safeText(run.agent, 64)}  ${statusText(run.status)}`,
    color.dim(ids.join(' · ')),
    facts.join(' · '),
    color.bold(stop),
  ];
}

/** The failed steps' errors, under the waterfall (error messages are scrubbed by the writer, still hostile here). */
function failures(timeline: Timeline): string[] {
  const lines: string[] = [];
  for (const row of timeline.rows) {
    if (row.type === 'run' && row.run.error_class && row.depth > 0) {
      lines.push(`  run ${safeText(row.run.agent, 40)} ${safeText(row.run.run_id.slice(0, 13))}: ${safeText(row.stop.sentence, 200)}`);
    }
    if (row.type !== 'step' || row.step.status !== 'error') continue;
    const mark = row.failure ? color.red('✖') : color.yellow('!');
    const message = row.step.error_message ? `: ${safeText(row.step.error_message, 300)}` : '';
    lines.push(`  ${mark} step ${row.step.step_index} ${row.step.kind} ${safeText(row.step.name, 40)} (run ${safeText(row.run.run_id.slice(0, 13))}): ${safeText(row.step.error_class ?? 'error', 64)}${message}`);
  }
  return lines.length ? ['', 'failed steps:', ...lines] : [];
}

/** What the loop guard saw (loop_detected): on which step, how many identical calls, warned or refused. */
function loops(timeline: Timeline): string[] {
  const lines: string[] = [];
  for (const row of timeline.rows) {
    if (row.type !== 'run') continue;
    for (const n of row.run.notices) {
      if (n.event !== 'loop_detected') continue;
      const where = n.step_index !== undefined ? `step ${n.step_index}` : 'a refused call (no step),';
      const detail = n.detail ? `: ${safeText(n.detail, 80)}` : '';
      lines.push(`  ${color.yellow('⟳')} ${where} tool ${safeText(n.tool ?? '?', 40)} (run ${safeText(row.run.run_id.slice(0, 13))})${detail}`);
    }
  }
  return lines.length ? ['', 'the loop guard saw the same call again and again (loop_detected):', ...lines] : [];
}

/** The app's own log lines inside the run (scrubbed), at their offset on the time axis; without --app-logs, how many. */
function appLogs(timeline: Timeline, { count, lines }: AppLogs): string[] {
  if (!lines) {
    const hint = appLogsHint(count, 'show');
    return hint ? ['', color.dim(hint)] : [];
  }
  if (lines.length === 0) return [];
  const rows = lines.map((l) => [
    `+${formatMs(Math.max(0, l.time - Math.floor(timeline.t0)))}`,
    l.level === 'error' || l.level === 'fatal' ? color.red(safeText(l.level, 8)) : l.level === 'warn' ? color.yellow(safeText(l.level, 8)) : safeText(l.level, 8),
    safeText(l.context ?? '', 32),
    safeText(l.msg, 160),
    color.dim(safeText(l.run_id.slice(0, 13))),
  ]);
  const shown = appLogsShownCount(count, lines.length);
  return ['', `the app's own log lines in the run (${shown}, scrubbed):`, renderTable(['at', 'level', 'context', 'msg', 'run'], rows, ['right'])];
}

/** `show` as text: the stop sentence, then the run tree as a waterfall on one time axis. */
/** Several root runs (a request's, a trace's): one line saying what was found, then each root's header. */
function headers(timeline: Timeline, match: { by: string; query: string } | undefined): string[] {
  const roots = rootRows(timeline);
  if (roots.length === 1) return header(roots[0].run, roots[0].stop.sentence);
  const what = match?.by === 'trace_id' ? 'trace' : match?.by === 'request_id' ? 'request' : 'query';
  const runs = timeline.rows.filter((r) => r.type === 'run').length;
  const lines = [color.bold(`${what} ${safeText(match?.query ?? '', 128)}: ${runs} runs, ${roots.length} started on their own`)];
  for (const root of roots) lines.push('', ...header(root.run, root.stop.sentence));
  return lines;
}

export function renderWaterfallText(timeline: Timeline, width: number, lines: AppLogs = { count: 0 }, match?: { by: string; query: string }): string {
  const axisLabel = `0 ${' '.repeat(Math.max(1, width - 2 - formatMs(timeline.t1 - timeline.t0).length))}${formatMs(timeline.t1 - timeline.t0)}`;
  const table = renderTable(
    ['step', 'status', 'latency', 'tokens', axisLabel],
    timeline.rows.map((row) => [label(row), status(row), latency(row), tokens(row), drawBar(row, timeline, width)]),
    ['left', 'left', 'right', 'right', 'left'],
  );
  const note = color.dim('bars share one time axis; positions from millisecond timestamps (±1 ms), lengths from latency_ms; gaps are time in the run outside instrumented steps');
  return [...headers(timeline, match), '', table, ...failures(timeline), ...loops(timeline), ...appLogs(timeline, lines), '', note].join('\n');
}
