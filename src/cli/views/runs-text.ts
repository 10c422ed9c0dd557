import { formatCount, formatMs, formatUsd } from './format-units.js';
import type { RunSummary } from '../model/run-summary.js';
import { color, renderTable, safeText, statusText } from './terminal-text.js';

/** The stop reason, with the budget a budget_exceeded run spent and ⟳ and the tool when the loop guard saw a loop. */
function stopCell(r: RunSummary): string {
  const budget = r.budget ? ` ${r.budget.limit}` : '';
  const loop = r.loops ? color.yellow(` ⟳ ${safeText(r.loops.tool, 24)}${r.loops.count > 1 ? ` ×${r.loops.count}` : ''}`) : '';
  return `${safeText(r.stop_reason ?? '', 24)}${budget}${loop}`;
}

/** Runs as a table: one row per run, nested runs marked ↳, loops ⟳. */
export function renderRunsText(runs: RunSummary[], priced: boolean): string {
  const head = ['start', 'agent', 'run_id', 'user', 'request', 'status', 'stop_reason', 'steps', 'latency', 'tokens', ...(priced ? ['cost'] : [])];
  const rows = runs.map((r) => [
    r.start.replace('T', ' ').replace('Z', ''),
    `${r.parent_run_id ? '↳ ' : ''}${safeText(r.agent, 32)}`,
    safeText(r.run_id, 40),
    safeText(r.user_id ?? '', 24),
    safeText(r.request_id ?? '', 36),
    statusText(r.status),
    stopCell(r),
    String(r.steps),
    formatMs(r.latency_ms),
    formatCount(r.tokens),
    ...(priced ? [formatUsd(r.cost_usd)] : []),
  ]);
  const align = head.map((h) => (['steps', 'latency', 'tokens', 'cost'].includes(h) ? 'right' : 'left') as 'left' | 'right');
  const legend = runs.some((r) => r.loops)
    ? [color.dim('⟳ tool: the loop guard saw it called again with the same arguments (loop_detected; ×n events); show <run_id> says where')]
    : [];
  return [renderTable(head, rows, align), ...legend].join('\n');
}
