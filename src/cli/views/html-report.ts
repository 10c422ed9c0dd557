import { appLogsHint, appLogsShownCount, type AppLogs } from '../reading/app-log-line.js';
import { formatCount, formatMs, formatPercent, formatUsd } from './format-units.js';
import type { ReadReport } from '../reading/read-events.js';
import type { Stats } from '../model/run-stats.js';
import type { RunSummary } from '../model/run-summary.js';
import type { Timeline, TimelineRow } from '../model/run-timeline.js';
import { safeText } from './terminal-text.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text from the log for HTML: control characters made visible, then every markup character escaped. */
export function h(value: unknown, max = 200): string {
  return safeText(value, max).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The page allows no script and no network at all: only its own inline styles. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}h3{font-size:14px;margin:18px 0 6px}
.meta{color:#66707a;font-size:12px}.stop{font-weight:600;margin:6px 0}.stop.error{color:#c62828}.stop.ok{color:#2e7d32}
.stop.other{color:#a15c00}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
th{font-size:12px;color:#66707a;font-weight:600;border-bottom:1px solid #d9dee3}td.num,th.num{text-align:right}
.status-error{color:#c62828;font-weight:600}.status-ok{color:#2e7d32}.status-other{color:#a15c00}
.waterfall{display:grid;grid-template-columns:minmax(220px,32%) 130px 80px 70px 1fr;gap:2px 10px;align-items:center;margin:8px 0}
.waterfall>.head{font-size:12px;color:#66707a;font-weight:600;border-bottom:1px solid #d9dee3}
.track{position:relative;height:14px;background:#f3f5f7;border-radius:2px}
.bar{position:absolute;top:2px;height:10px;min-width:2px;border-radius:2px;background:#3b82c4}
.bar.run{background:#7a8fa3}.bar.error{background:#d32f2f}.bar.cancelled,.bar.in_flight{background:#e0a100}
.bar.gap{background:repeating-linear-gradient(90deg,#c4ccd4 0 2px,transparent 2px 4px);height:4px;top:5px}
.row-label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.row-gap{color:#8a949e;font-size:12px}
.failure{color:#c62828;font-weight:700}.failures li{margin:2px 0}section.run{border-top:1px solid #e6e9ec;margin-top:18px}
`;

function statusClass(status: string): string {
  return status === 'error' ? 'status-error' : status === 'ok' ? 'status-ok' : 'status-other';
}

function pct(x: number): string {
  return `${(Math.round(x * 10000) / 100).toFixed(2)}%`;
}

function waterfallRow(row: TimelineRow, timeline: Timeline): string {
  const span = timeline.t1 - timeline.t0;
  const left = Math.max(0, (row.start_ms - timeline.t0) / span);
  const width = Math.max(0, Math.min(1 - left, (row.end_ms - row.start_ms) / span));
  const indent = `padding-left:${row.depth * 14}px`;
  let label: string;
  let status = '';
  let latency: string;
  let tokens = '';
  let barClass: string;
  let rowClass = '';
  if (row.type === 'run') {
    label = `<b>${h(row.run.agent, 60)}</b> <span class="mono">${h(row.run.run_id, 40)}</span>`;
    status = `<span class="${statusClass(row.run.status)}">${h(row.run.status, 16)}</span> ${h(row.run.stop_reason ?? '', 32)}`;
    latency = formatMs(row.run.total_latency_ms ?? row.end_ms - row.start_ms);
    tokens = formatCount(row.run.token_usage?.total_tokens);
    barClass = 'run';
  } else if (row.type === 'gap') {
    label = 'gap';
    latency = formatMs(row.ms);
    barClass = 'gap';
    rowClass = ' row-gap';
  } else {
    const { step } = row;
    label = `${step.step_index} ${step.kind} <span class="mono">${h(step.name, 60)}</span>${row.failure ? ' ✖' : ''}`;
    status = `<span class="${statusClass(step.status)}">${h(step.status, 16)}</span>`;
    latency = formatMs(step.latency_ms);
    tokens = formatCount(step.token_usage?.total_tokens);
    barClass = `step ${step.status === 'ok' ? 'ok' : h(step.status, 16)}`;
    if (row.failure) rowClass = ' failure';
  }
  const title = h(`${row.type === 'step' ? `${row.step.kind} ${row.step.name}` : row.type} · ${formatMs(row.end_ms - row.start_ms)}`, 200);
  return (
    `<div class="row-label${rowClass}" style="${indent}" data-row="${row.type}">${label}</div>` +
    `<div>${status}</div><div class="num">${latency}</div><div class="num">${tokens}</div>` +
    `<div class="track"><div class="bar ${barClass}" data-row="${row.type}" title="${title}" style="left:${pct(left)};width:${pct(width)}"></div></div>`
  );
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

/** One run tree: its stop sentence, the waterfall, its failed steps, the app's own lines when given. */
export function renderRunSection(timeline: Timeline, anchor: string, appLogs: AppLogs = { count: 0 }): string {
  const root = timeline.rows[0];
  if (root.type !== 'run') return '';
  const { run, stop } = root;
  const stopClass = run.status === 'ok' ? 'ok' : run.status === 'error' ? 'error' : 'other';
  const failed = timeline.rows.filter((r): r is Extract<TimelineRow, { type: 'step' }> => r.type === 'step' && r.step.status === 'error');
  const facts = [
    `started ${h(run.start)}`,
    `${run.total_steps} steps`,
    formatMs(run.total_latency_ms ?? run.end_ms - run.start_ms),
    run.token_usage ? `${formatCount(run.token_usage.total_tokens)} tokens` : '',
    run.request_id ? `request <span class="mono">${h(run.request_id, 64)}</span>` : '',
    run.user_id ? `user <span class="mono">${h(run.user_id, 64)}</span>` : '',
    run.trace_id ? `trace <span class="mono">${h(run.trace_id, 40)}</span>` : '',
  ].filter(Boolean);
  return `<section class="run" id="${anchor}" data-run-id="${h(run.run_id, 64)}">
<h2>${h(run.agent, 80)} <span class="mono">${h(run.run_id, 64)}</span> <span class="${statusClass(run.status)}">${h(run.status, 16)}</span></h2>
<div class="meta">${facts.join(' · ')}</div>
<p class="stop ${stopClass}">${h(stop.sentence, 400)}</p>
<div class="waterfall"><div class="head">step</div><div class="head">status</div><div class="head num">latency</div><div class="head num">tokens</div><div class="head">0 – ${formatMs(timeline.t1 - timeline.t0)}</div>
${timeline.rows.map((row) => waterfallRow(row, timeline)).join('\n')}
</div>
${failed.length ? `<ul class="failures">${failed.map((r) => `<li class="${r.failure ? 'failure' : ''}">step ${r.step.step_index} ${r.step.kind} <code>${h(r.step.name, 60)}</code> (run <code>${h(r.run.run_id.slice(0, 13))}</code>): ${h(r.step.error_class ?? 'error', 64)}${r.step.error_message ? `: ${h(r.step.error_message, 300)}` : ''}</li>`).join('')}</ul>` : ''}
${appLogList(timeline, appLogs)}
</section>`;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return `<table><thead><tr>${head.map((c, i) => `<th${cls(i)}>${c}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The runs table; run ids link to their waterfall when it is on the page. */
export function renderRunsTable(runs: RunSummary[], anchors: Map<string, string>, priced: boolean): string {
  return table(
    ['start', 'agent', 'run_id', 'user', 'status', 'stop_reason', 'steps', 'latency', 'tokens', ...(priced ? ['cost'] : [])],
    runs.map((r) => {
      const anchor = anchors.get(r.run_id);
      const id = `<span class="mono">${h(r.run_id, 64)}</span>`;
      return [
        h(r.start), `${r.parent_run_id ? '↳ ' : ''}${h(r.agent, 60)}`, anchor ? `<a href="#${anchor}">${id}</a>` : id, h(r.user_id ?? '', 64),
        `<span class="${statusClass(r.status)}">${h(r.status, 16)}</span>`, h(r.stop_reason ?? '', 32), String(r.steps),
        formatMs(r.latency_ms), formatCount(r.tokens), ...(priced ? [formatUsd(r.cost_usd)] : []),
      ];
    }),
    [6, 7, 8, 9],
  );
}

export function renderStatsSection(stats: Stats, priced: boolean, anchors: Map<string, string>): string {
  const counts = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${h(k, 32)} ${n}`).join(' · ');
  const rpm = stats.runs_per_minute;
  return `<section id="stats"><h2>Stats</h2>
<p>${stats.runs.total} runs (${counts(stats.runs.by_status)}) · ${rpm.average} runs/min on average, peak ${rpm.peak}${stats.cost_usd !== undefined ? ` · ${formatUsd(stats.cost_usd)}` : ''}</p>
<p>stop reasons: ${counts(stats.stop_reasons)}</p>
<h3>Tools</h3>${table(['tool', 'calls', 'errors', 'error rate', 'p50', 'p95', 'p99'], stats.tools.map((t) => [
    `<span class="mono">${h(t.tool, 60)}</span>`, String(t.calls), String(t.errors), formatPercent(t.error_rate),
    formatMs(t.p50_ms), formatMs(t.p95_ms), formatMs(t.p99_ms),
  ]), [1, 2, 3, 4, 5, 6])}
<h3>Models</h3>${table(['model', 'calls', 'errors', 'input', 'output', 'tokens', 'p50', 'p95', 'p99', ...(priced ? ['cost'] : [])], stats.models.map((m) => [
    `<span class="mono">${h(m.model, 60)}</span>`, String(m.calls), String(m.errors), formatCount(m.input_tokens), formatCount(m.output_tokens),
    formatCount(m.total_tokens), formatMs(m.p50_ms), formatMs(m.p95_ms), formatMs(m.p99_ms), ...(priced ? [formatUsd(m.cost_usd)] : []),
  ]), [1, 2, 3, 4, 5, 6, 7, 8, 9])}
<h3>Slowest runs</h3>${renderRunsTable(stats.slowest, anchors, priced)}
<h3>Most expensive runs (by ${priced ? 'cost' : 'tokens'})</h3>${renderRunsTable(stats.most_expensive, anchors, priced)}
</section>`;
}

/** A whole page: no script, no external resource, everything escaped. */
export function renderPage(title: string, report: ReadReport, sections: string[]): string {
  const skipped = report.not_events + report.truncated + report.too_long;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(title, 200)}</title><style>${STYLE}</style></head>
<body>
<h1>${h(title, 200)}</h1>
<div class="meta">generated ${new Date().toISOString()} by agent-log from ${h(report.sources.join(', '), 400)} · ${report.events} events${skipped ? ` · ${skipped} line${skipped === 1 ? '' : 's'} skipped (${report.not_events} not events, ${report.truncated} truncated)` : ''} · bar positions from millisecond timestamps (±1 ms), lengths from latency_ms</div>
${sections.join('\n')}
</body></html>
`;
}
