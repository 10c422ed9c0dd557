import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { noteReport, printJson, printText } from './command-output.js';
import { formatCount, formatMs, formatPercent, formatUsd, plural } from '../views/format-units.js';
import { resolveSources } from '../reading/input-sources.js';
import type { LogEvent } from '../reading/log-event.js';
import { readPriceFile } from '../reading/price-file.js';
import { readEvents } from '../reading/read-events.js';
import { RunStats, type Stats } from '../model/run-stats.js';
import { renderRunsText } from '../views/runs-text.js';
import { color, renderTable, safeText } from '../views/terminal-text.js';
import { parseInstant } from './time-filters.js';

/** The guards' section: the runs they stopped, and per tool the loops the loop guard saw. */
function renderGuards(guards: Stats['guards'], counts: (o: Record<string, number>) => string): string[] {
  const limits = Object.keys(guards.budget_limits).length ? ` (budget_exceeded by limit: ${counts(guards.budget_limits)})` : '';
  const stops = Object.keys(guards.stops).length ? `runs stopped by a guard: ${counts(guards.stops)}${limits}` : 'no run was stopped by a guard';
  if (guards.loops.length === 0) return [stops, 'no loop detected'];
  return [
    stops,
    renderTable(
      ['loops (loop_detected) by tool', 'runs', 'warned', 'refused'],
      guards.loops.map((l) => [safeText(l.tool, 40), String(l.runs), String(l.warned), l.refused ? color.yellow(String(l.refused)) : '0']),
      ['left', 'right', 'right', 'right'],
    ),
  ];
}

/** `stats` as text: one section per question on-call asks. */
function renderStats(stats: Stats, priced: boolean): string {
  // As `runs` says it: empty sections and an empty "()" would only look like a broken report.
  if (stats.runs.total === 0) return 'no run matches';
  const counts = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${safeText(k, 32)} ${n}`).join(' · ');
  const rpm = stats.runs_per_minute;
  const out = [
    color.bold(plural(stats.runs.total, 'run')) + ` (${counts(stats.runs.by_status)})` +
      ` · ${rpm.average} runs/min on average, peak ${rpm.peak}${rpm.peak_minute ? ` at ${rpm.peak_minute}` : ''}` +
      (stats.cost_usd !== undefined ? ` · ${formatUsd(stats.cost_usd)}` : ''),
    `stop reasons: ${counts(stats.stop_reasons)}`,
    '',
    color.bold('tools'),
    renderTable(
      ['tool', 'calls', 'errors', 'error rate', 'p50', 'p95', 'p99', 'max'],
      stats.tools.map((t) => [
        safeText(t.tool, 40), String(t.calls), String(t.errors),
        t.errors ? color.red(formatPercent(t.error_rate)) : formatPercent(t.error_rate),
        formatMs(t.p50_ms), formatMs(t.p95_ms), formatMs(t.p99_ms), formatMs(t.max_ms),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    color.bold('models'),
    renderTable(
      ['model', 'calls', 'errors', 'input', 'output', 'tokens', 'p50', 'p95', 'p99', ...(priced ? ['cost'] : [])],
      stats.models.map((m) => [
        safeText(m.model, 40), String(m.calls), String(m.errors), formatCount(m.input_tokens), formatCount(m.output_tokens),
        formatCount(m.total_tokens), formatMs(m.p50_ms), formatMs(m.p95_ms), formatMs(m.p99_ms), ...(priced ? [formatUsd(m.cost_usd)] : []),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    color.bold('guards'),
    ...renderGuards(stats.guards, counts),
    '',
    color.bold('slowest runs'),
    renderRunsText(stats.slowest, priced),
    '',
    color.bold(`most expensive runs (by ${priced ? 'cost' : 'tokens'})`),
    renderRunsText(stats.most_expensive, priced),
    '',
    color.dim('latency quantiles are nearest-rank, within 1% (logarithmic buckets)'),
  ];
  return out.join('\n');
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('per tool and per model: calls, errors, latency p50/p95/p99, tokens; stop reasons, what the guards stopped and the loops per tool, runs per minute, slowest and most expensive runs')
    .argument('[files...]', 'NDJSON log files or globs, gzip too; standard input when none or "-"')
    .option('--json', 'print JSON for scripts')
    .option('--prices <file>', 'a JSON price table, USD per million tokens: {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}')
    .option('--top <n>', 'how many slowest and most expensive runs to list', '10')
    .option('--agent <name>', 'only the events of this agent\'s runs')
    .option('--since <when>', 'only events at or after this ISO time, or this long ago (15m, 2h, 1d)')
    .option('--until <when>', 'only events before this ISO time, or this long ago')
    .action(async (files: string[], opts: { json?: boolean; prices?: string; top: string; agent?: string; since?: string; until?: string }) => {
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 0) throw new CliError(`--top: expected a whole number (got ${JSON.stringify(opts.top)})`);
      const since = opts.since !== undefined ? parseInstant(opts.since, '--since') : -Infinity;
      const until = opts.until !== undefined ? parseInstant(opts.until, '--until') : Infinity;
      const prices = opts.prices !== undefined ? readPriceFile(opts.prices) : undefined;
      const sources = await resolveSources(files);
      const stats = new RunStats(top, prices);
      const visit = (e: LogEvent) => {
        if (e.time >= since && e.time < until && (opts.agent === undefined || e.agent === opts.agent)) stats.add(e);
      };
      const report = await readEvents(sources, visit, { ignore: RunStats.IGNORED });
      const result = stats.result();
      if (opts.json) printJson({ ...result, input: report });
      else {
        printText(renderStats(result, prices !== undefined));
        noteReport(report);
      }
    });
}
