import type { Stats } from '../model/run-stats.js';
import type { RunSummary } from '../model/run-summary.js';
import { formatCount, formatMs, formatPercent, formatUsd, plural } from './format-units.js';
import { h, statusClass, table } from './html-text.js';

/** The stop reason, the budget a budget_exceeded run spent, and ⟳ with the tool the loop guard caught. */
function stopCell(r: RunSummary): string {
  const budget = r.budget ? ` ${h(r.budget.limit, 16)}` : '';
  const loop = r.loops ? ` <span class="status-other" title="loop_detected">⟳ ${h(r.loops.tool, 60)}${r.loops.count > 1 ? ` ×${r.loops.count}` : ''}</span>` : '';
  return `${h(r.stop_reason ?? '', 32)}${budget}${loop}`;
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
        `<span class="${statusClass(r.status)}">${h(r.status, 16)}</span>`, stopCell(r), String(r.steps),
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
<p>${plural(stats.runs.total, 'run')} (${counts(stats.runs.by_status)}) · ${rpm.average} runs/min on average, peak ${rpm.peak}${stats.cost_usd !== undefined ? ` · ${formatUsd(stats.cost_usd)}` : ''}</p>
<p>stop reasons: ${counts(stats.stop_reasons)}</p>
<p>runs stopped by a guard: ${counts(stats.guards.stops) || 'none'}${Object.keys(stats.guards.budget_limits).length ? ` (budget_exceeded by limit: ${counts(stats.guards.budget_limits)})` : ''}</p>
${stats.guards.loops.length ? `<h3>Loops (loop_detected) by tool</h3>${table(['tool', 'runs', 'warned', 'refused'], stats.guards.loops.map((l) => [
    `<span class="mono">${h(l.tool, 60)}</span>`, String(l.runs), String(l.warned), String(l.refused),
  ]), [1, 2, 3])}` : ''}
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
