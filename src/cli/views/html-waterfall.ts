import { createScrubber } from '../../core/redaction/scrubber.js';
import { stepKey, type RunView, type StepView } from '../model/run-view.js';
import { rootRows, type RunRow, type StepRow, type Timeline, type TimelineRow } from '../model/run-timeline.js';
import { appLogsHint, appLogsShownCount, type AppLogs } from '../reading/app-log-line.js';
import { KNOWN_FIELDS, RAW, type LogEvent } from '../reading/log-event.js';
import { formatCount, formatMs, plural } from './format-units.js';
import { h, statusClass, table } from './html-text.js';

/** A part of the page and the style rules that place its rows. */
export interface HtmlSection {
  html: string;
  css: string;
}

const MAX_VALUE = 500;
/** A field this inspector does not know may be anyone's: shown through the library's scrubber, default patterns. */
const scrubUnknown = createScrubber({ maxLength: MAX_VALUE });

const pct = (x: number) => `${(Math.round(x * 10000) / 100).toFixed(2)}%`;

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value)?.slice(0, MAX_VALUE * 2) ?? String(value);
  } catch {
    return '[unreadable]';
  }
}

/** The fields of a line as the log has them: the parsed line itself. */
const recordOf = (e: LogEvent) => e[RAW] ?? (e as unknown as Record<string, unknown>);

function fieldRows(fields: [string, unknown][]): string {
  return fields
    .slice(0, 200)
    .map(([key, value]) => {
      const known = KNOWN_FIELDS.has(key);
      const text = known ? fieldValue(value) : (scrubUnknown(fieldValue(value)) ?? '');
      return `<tr${known ? '' : ' class="unknown"'}><td class="key">${h(key, 80)}</td><td class="mono">${h(text, MAX_VALUE)}</td></tr>`;
    })
    .join('');
}

/**
 * Every field of a step's (or a run's) events, as the lines had them: the
 * fields all of them share (run_id, trace_id, pid ...) once, then what each
 * event adds. Fields this inspector does not know are marked and scrubbed.
 */
function eventDetail(events: readonly LogEvent[]): string {
  const records = events.map(recordOf);
  const same = (key: string) => {
    const first = fieldValue(records[0][key]);
    return records.every((r) => key in r && fieldValue(r[key]) === first);
  };
  const shared = events.length > 1 ? Object.keys(records[0]).filter((key) => key !== 'event' && same(key)) : [];
  const sharedSet = new Set(shared);
  const parts = events.map((e, i) => {
    // The heading says the event, its seq and timestamp: the table has the rest.
    const own = Object.entries(records[i]).filter(([key]) => !sharedSet.has(key) && key !== 'event' && key !== 'seq' && key !== 'timestamp');
    return `<h4>${h(e.event, 64)} · seq ${e.seq} · ${h(new Date(e.time).toISOString())}</h4><table>${fieldRows(own)}</table>`;
  });
  const common = shared.length ? `<h4>on every event here</h4><table>${fieldRows(shared.map((key) => [key, records[0][key]]))}</table>` : '';
  const note = records.some((r) => Object.keys(r).some((key) => !KNOWN_FIELDS.has(key)))
    ? '<p class="meta">* a field this inspector does not know (a newer library, or the app\'s logger): shown through the default scrubber</p>'
    : '';
  return `${parts.join('')}${common}${note}`;
}

/** The events of each step and of each run itself, to open under their rows. */
function groupEvents(events: readonly LogEvent[], runs: RunView[]): { ofStep: (run: RunView, step: StepView) => LogEvent[]; ofRun: (run: RunView) => LogEvent[] } {
  const byStep = new Map<string, LogEvent[]>();
  const byRun = new Map<string, LogEvent[]>();
  const stepKeys = new Map(runs.map((r) => [r.run_id, new Set(r.steps.map((s) => s.span_id ?? `#${s.step_index}`))]));
  for (const e of events) {
    const key = stepKey(e);
    const isStep = e.event !== 'run_started' && e.event !== 'run_finished' && stepKeys.get(e.run_id)?.has(key);
    const map = isStep ? byStep : byRun;
    const id = isStep ? `${e.run_id}|${key}` : e.run_id;
    const list = map.get(id);
    if (list) list.push(e);
    else map.set(id, [e]);
  }
  const bySeq = (list: LogEvent[] | undefined) => (list ?? []).sort((a, b) => a.seq - b.seq);
  return {
    ofStep: (run, step) => bySeq(byStep.get(`${run.run_id}|${step.span_id ?? `#${step.step_index}`}`)),
    ofRun: (run) => bySeq(byRun.get(run.run_id)),
  };
}

function rowCells(row: TimelineRow, folds: boolean): { label: string; status: string; latency: string; tokens: string; bar: string; cls: string } {
  const fold = folds ? '<button class="fold" aria-expanded="true" aria-label="fold">▾</button>' : '<span class="nofold"></span>';
  if (row.type === 'run') {
    return {
      label: `${fold}<b>${h(row.run.agent, 60)}</b> <span class="mono">${h(row.run.run_id, 40)}</span>`,
      status: `<span class="${statusClass(row.run.status)}">${h(row.run.status, 16)}</span> ${h(row.run.stop_reason ?? '', 32)}`,
      latency: formatMs(row.run.total_latency_ms ?? row.end_ms - row.start_ms),
      tokens: formatCount(row.run.token_usage?.total_tokens),
      bar: 'run',
      cls: 'run',
    };
  }
  if (row.type === 'gap') return { label: `${fold}gap`, status: '', latency: formatMs(row.ms), tokens: '', bar: 'gap', cls: 'gap' };
  const { step } = row;
  const notices = row.run.notices.filter((n) => n.step_index === step.step_index).map((n) => ` <span class="status-other">${h(n.event, 32)}</span>`);
  return {
    label: `${fold}${step.step_index} ${step.kind} <span class="mono">${h(step.name, 60)}</span>${row.failure ? ' ✖' : ''}${notices.join('')}`,
    status: `<span class="${statusClass(step.status)}">${h(step.status, 16)}</span>`,
    latency: formatMs(step.latency_ms),
    tokens: formatCount(step.token_usage?.total_tokens),
    bar: step.status === 'ok' ? 'step ok' : `step ${h(step.status, 16)}`,
    cls: `step${row.failure ? ' failure' : ''}`,
  };
}

/** The app's own lines (scrubbed) when --app-logs asked for them; else only how many, so a shared page holds none. */
function appLogList(timeline: Timeline, { count, lines }: AppLogs): string {
  if (!lines) {
    const hint = appLogsHint(count, 'html');
    return hint ? `<p class="meta" id="app-logs-hint">${h(hint, 400)}</p>` : '';
  }
  if (lines.length === 0) return '';
  const shown = appLogsShownCount(count, lines.length);
  return `<h3>The app's own log lines in the run (${shown}, scrubbed with the library's default patterns)</h3>${table(
    ['at', 'level', 'context', 'msg', 'run'],
    lines.map((l) => [
      `+${formatMs(Math.max(0, l.time - Math.floor(timeline.t0)))}`, h(l.level, 16), h(l.context ?? '', 64), h(l.msg, 500),
      `<span class="mono">${h(l.run_id.slice(0, 13))}</span>`,
    ]),
    [0],
  )}`;
}

/** A root run's title, facts, stop sentence, and a link to its failure point when it has one. */
function runHeader(root: RunRow, failureRowId: string | undefined, failure: StepRow | undefined): string {
  const { run, stop } = root;
  const stopClass = run.status === 'ok' ? 'ok' : run.status === 'error' ? 'error' : 'other';
  const facts = [
    `started ${h(run.start)}`,
    plural(run.total_steps, 'step'),
    formatMs(run.total_latency_ms ?? run.end_ms - run.start_ms),
    run.token_usage ? `${formatCount(run.token_usage.total_tokens)} tokens` : '',
    run.request_id ? `request <span class="mono">${h(run.request_id, 64)}</span>` : '',
    run.user_id ? `user <span class="mono">${h(run.user_id, 64)}</span>` : '',
    run.trace_id ? `trace <span class="mono">${h(run.trace_id, 40)}</span>` : '',
  ].filter(Boolean);
  const jump = failureRowId && failure ? ` <a class="jump" href="#${failureRowId}">jump to the failure: step ${failure.step.step_index} ${failure.step.kind} ${h(failure.step.name, 60)}</a>` : '';
  return `<h2>${h(run.agent, 80)} <span class="mono">${h(run.run_id, 64)}</span> <span class="${statusClass(run.status)}">${h(run.status, 16)}</span></h2>
<div class="meta">${facts.join(' · ')}</div>
<p class="stop ${stopClass}">${h(stop.sentence, 400)}${jump}</p>`;
}

/**
 * One timeline (a run tree, or the runs of a request or a trace): each root's
 * stop sentence with a link to its failure, the waterfall — a row per run,
 * step and gap, foldable, each step and run opening onto every field of its
 * events — then the failed steps' errors and the app's lines when given.
 */
export function renderRunSection(timeline: Timeline, events: readonly LogEvent[], id: string, appLogs: AppLogs = { count: 0 }, heading = ''): HtmlSection {
  const runs = timeline.rows.filter((r): r is RunRow => r.type === 'run').map((r) => r.run);
  const { ofStep, ofRun } = groupEvents(events, runs);
  const span = timeline.t1 - timeline.t0;
  const css: string[] = [];
  const depths = new Set<number>();
  const rowIds = timeline.rows.map((_, i) => `${id}-r${i + 1}`);
  const rowsHtml = timeline.rows.map((row, i) => {
    const rowId = rowIds[i];
    const left = Math.max(0, (row.start_ms - timeline.t0) / span);
    const width = Math.max(0, Math.min(1 - left, (row.end_ms - row.start_ms) / span));
    css.push(`#${rowId} .bar{left:${pct(left)};width:${pct(width)}}`);
    depths.add(row.depth);
    const next = timeline.rows[i + 1];
    const cells = rowCells(row, next !== undefined && next.depth > row.depth);
    const detailEvents = row.type === 'step' ? ofStep(row.run, row.step) : row.type === 'run' ? ofRun(row.run) : [];
    const clickable = detailEvents.length > 0 ? ' data-detail="1" tabindex="0" role="button" aria-expanded="false"' : '';
    const detail = detailEvents.length ? `\n<div class="detail" id="${rowId}-detail" hidden>${eventDetail(detailEvents)}</div>` : '';
    return `<div class="row d${row.depth} ${cells.cls}" id="${rowId}" data-depth="${row.depth}" data-row="${row.type}"${clickable}><div class="label">${cells.label}</div><div>${cells.status}</div><div class="num">${cells.latency}</div><div class="num">${cells.tokens}</div><div class="track"><div class="bar ${cells.bar}"></div></div></div>${detail}`;
  });
  for (const d of depths) css.push(`.d${d}>.label{padding-left:${d * 14}px}`);

  const roots = rootRows(timeline);
  const headers = roots.map((root) => {
    const at = timeline.rows.indexOf(root);
    const failureAt = timeline.rows.findIndex((r, i) => i > at && r.type === 'step' && r.failure && r.run === root.run);
    return runHeader(root, failureAt === -1 ? undefined : rowIds[failureAt], failureAt === -1 ? undefined : (timeline.rows[failureAt] as StepRow));
  });
  const failed = timeline.rows.filter((r): r is StepRow => r.type === 'step' && r.step.status === 'error');
  const failures = failed.length
    ? `<ul class="failures">${failed.map((r) => `<li class="${r.failure ? 'failure' : ''}">step ${r.step.step_index} ${r.step.kind} <code>${h(r.step.name, 60)}</code> (run <code>${h(r.run.run_id.slice(0, 13))}</code>): ${h(r.step.error_class ?? 'error', 64)}${r.step.error_message ? `: ${h(r.step.error_message, 300)}` : ''}</li>`).join('')}</ul>`
    : '';
  const html = `<section class="run" id="${id}" data-run-id="${h(roots[0]?.run.run_id ?? '', 64)}">
${heading}${headers.join('\n')}
<div class="waterfall"><div class="row head"><div>step</div><div>status</div><div class="num">latency</div><div class="num">tokens</div><div>0 – ${formatMs(span)}</div></div>
${rowsHtml.join('\n')}
</div>
${failures}
${appLogList(timeline, appLogs)}
</section>`;
  return { html, css: css.join('\n') };
}
