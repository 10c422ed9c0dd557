import { formatCount, formatMs, formatUsd } from './format-units.js';
import type { RunSummary } from '../model/run-summary.js';
import { renderTable, safeText, statusText } from './terminal-text.js';

/** Runs as a table: one row per run, nested runs marked ↳. */
export function renderRunsText(runs: RunSummary[], priced: boolean): string {
  const head = ['start', 'agent', 'run_id', 'user', 'request', 'status', 'stop_reason', 'steps', 'latency', 'tokens', ...(priced ? ['cost'] : [])];
  const rows = runs.map((r) => [
    r.start.replace('T', ' ').replace('Z', ''),
    `${r.parent_run_id ? '↳ ' : ''}${safeText(r.agent, 32)}`,
    safeText(r.run_id, 40),
    safeText(r.user_id ?? '', 24),
    safeText(r.request_id ?? '', 36),
    statusText(r.status),
    safeText(r.stop_reason ?? '', 24),
    String(r.steps),
    formatMs(r.latency_ms),
    formatCount(r.tokens),
    ...(priced ? [formatUsd(r.cost_usd)] : []),
  ]);
  const align = head.map((h) => (['steps', 'latency', 'tokens', 'cost'].includes(h) ? 'right' : 'left') as 'left' | 'right');
  return renderTable(head, rows, align);
}
