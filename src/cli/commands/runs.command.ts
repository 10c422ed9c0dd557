import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { noteReport, printJson, printText } from './command-output.js';
import { resolveSources } from '../reading/input-sources.js';
import { readPriceFile } from '../reading/price-file.js';
import { readEvents } from '../reading/read-events.js';
import { RunSummaries, type RunSummary } from '../model/run-summary.js';
import { renderRunsText } from '../views/runs-text.js';
import { color } from '../views/terminal-text.js';
import { parseDuration, parseInstant } from './time-filters.js';

interface RunsOptions {
  json?: boolean;
  status?: string;
  agent?: string;
  user?: string;
  request?: string;
  trace?: string;
  since?: string;
  until?: string;
  stopReason?: string;
  loops?: boolean;
  slowerThan?: string;
  sort: string;
  reverse?: boolean;
  limit: string;
  prices?: string;
}

const SORTS: Record<string, { key: (r: RunSummary) => number; descending: boolean }> = {
  start: { key: (r) => r.start_ms, descending: false },
  latency: { key: (r) => r.latency_ms ?? -1, descending: true },
  tokens: { key: (r) => r.tokens ?? -1, descending: true },
  steps: { key: (r) => r.steps, descending: true },
  errors: { key: (r) => r.errors, descending: true },
  cost: { key: (r) => r.cost_usd ?? -1, descending: true },
};

/** The filters, checked before reading anything so a typo fails fast. */
function runFilter(opts: RunsOptions): (r: RunSummary) => boolean {
  const since = opts.since !== undefined ? parseInstant(opts.since, '--since') : undefined;
  const until = opts.until !== undefined ? parseInstant(opts.until, '--until') : undefined;
  const slowerThan = opts.slowerThan !== undefined ? parseDuration(opts.slowerThan, '--slower-than') : undefined;
  const statuses = opts.status?.split(',');
  const reasons = opts.stopReason?.split(',');
  return (r) =>
    (!statuses || statuses.includes(r.status)) &&
    (!reasons || (r.stop_reason !== undefined && reasons.includes(r.stop_reason))) &&
    (!opts.loops || r.loops !== undefined) &&
    (opts.agent === undefined || r.agent === opts.agent) &&
    (opts.user === undefined || r.user_id === opts.user) &&
    (opts.request === undefined || r.request_id === opts.request) &&
    (opts.trace === undefined || r.trace_id === opts.trace) &&
    (since === undefined || r.start_ms >= since) &&
    (until === undefined || r.start_ms < until) &&
    (slowerThan === undefined || (r.latency_ms ?? 0) > slowerThan);
}

export function registerRuns(program: Command): void {
  program
    .command('runs')
    .description('one row per run: start, agent, run_id, user, request, status, stop_reason, steps, latency, tokens')
    .argument('[files...]', 'NDJSON log files or globs, gzip too; standard input when none or "-"')
    .option('--json', 'print JSON for scripts')
    .option('--status <status>', 'only runs with this status: ok, error, cancelled, unfinished (comma-separated for several)')
    .option('--stop-reason <reason>', 'only runs that stopped for this reason (comma-separated for several): max_steps, loop_detected, budget_exceeded for the guards')
    .option('--loops', 'only runs in which the loop guard saw a loop (loop_detected), whether it warned or refused')
    .option('--agent <name>', 'only runs of this agent')
    .option('--user <user_id>', 'only runs of this user')
    .option('--request <request_id>', 'only runs started by this request (the x-request-id an access log or a support ticket has)')
    .option('--trace <trace_id>', 'only runs of this trace (W3C trace id, from a trace view)')
    .option('--since <when>', 'only runs started at or after this ISO time, or this long ago (15m, 2h, 1d)')
    .option('--until <when>', 'only runs started before this ISO time, or this long ago')
    .option('--slower-than <duration>', 'only runs that took longer (500ms, 2s, 1m)')
    .option('--sort <key>', `order by ${Object.keys(SORTS).join(', ')} (start ascending, the others descending)`, 'start')
    .option('--reverse', 'reverse the order')
    .option('--limit <n>', 'at most this many rows (0: all)', '100')
    .option('--prices <file>', 'a JSON price table (USD per million tokens per model) to add a cost column')
    .action(async (files: string[], opts: RunsOptions) => {
      const sort = SORTS[opts.sort];
      if (!sort) throw new CliError(`--sort: expected one of ${Object.keys(SORTS).join(', ')} (got ${JSON.stringify(opts.sort)})`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new CliError(`--limit: expected a whole number, 0 for all (got ${JSON.stringify(opts.limit)})`);
      const keep = runFilter(opts);
      const prices = opts.prices !== undefined ? readPriceFile(opts.prices) : undefined;
      const sources = await resolveSources(files);
      const summaries = new RunSummaries(prices);
      const report = await readEvents(sources, (e) => summaries.add(e), { ignore: ['tool_call'] });

      const descending = sort.descending !== Boolean(opts.reverse);
      const matching = [...summaries.byId.values()]
        .filter(keep)
        .sort((a, b) => (descending ? sort.key(b) - sort.key(a) : sort.key(a) - sort.key(b)));
      const shown = limit === 0 ? matching : matching.slice(0, limit);
      if (opts.json) {
        printJson({ runs: shown, total: matching.length, input: report });
        return;
      }
      printText(shown.length ? renderRunsText(shown, prices !== undefined) : 'no run matches');
      if (shown.length < matching.length) {
        printText(color.dim(`${matching.length - shown.length} more runs match: --limit 0 shows all`));
      }
      noteReport(report);
    });
}
