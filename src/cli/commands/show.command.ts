import type { Command } from 'commander';
import { noteReport, printJson, printText } from './command-output.js';
import { appLogsOf, findRuns } from '../reading/find-runs.js';
import { resolveSources } from '../reading/input-sources.js';
import { buildTimeline, rootRows, type Timeline } from '../model/run-timeline.js';
import { renderWaterfallText } from '../views/waterfall-text.js';

/** The timeline as plain data for `--json`: offsets in ms from the root run's start. */
function timelineJson(timeline: Timeline) {
  const at = (ms: number) => Math.round((ms - timeline.t0) * 1000) / 1000;
  return timeline.rows.map((row) => ({
    type: row.type,
    depth: row.depth,
    run_id: row.run.run_id,
    offset_ms: at(row.start_ms),
    duration_ms: at(row.end_ms) - at(row.start_ms),
    ...(row.type === 'step'
      ? { step_index: row.step.step_index, kind: row.step.kind, name: row.step.name, status: row.step.status, failure: row.failure }
      : {}),
    ...(row.type === 'run' ? { agent: row.run.agent, status: row.run.status, stop_reason: row.run.stop_reason, stop: row.stop.sentence } : {}),
  }));
}

/** On a terminal the axis takes what the other columns leave (they take about 80); 40 in a pipe, for stable output. */
function axisWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return columns ? Math.max(20, Math.min(100, columns - 82)) : 40;
}

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('runs as a tree in time order: nested runs, steps on a shared time axis, the failure point, why each stopped')
    .argument('<id>', 'a run id or a unique prefix of it (at least 4 characters), a request id (its runs; any length) or a trace id (all runs of the trace)')
    .argument('[files...]', 'NDJSON log files or globs, gzip too; standard input when none or "-"')
    .option('--json', 'print JSON for scripts')
    .option('--app-logs', "also the app's own log lines written inside the runs, scrubbed (left out by default: they may hold personal data)")
    .option('--scan-all', 'read the whole input instead of seeking to the run by the time in its id')
    .option('--width <columns>', 'width of the time axis in characters (default: 40, or what a terminal leaves)', (v) => Math.max(10, Number.parseInt(v, 10) || 40))
    .action(async (id: string, files: string[], opts: { json?: boolean; width?: number; scanAll?: boolean; appLogs?: boolean }) => {
      const sources = await resolveSources(files);
      const found = await findRuns(sources, id, { scanAll: opts.scanAll });
      const timeline = buildTimeline(found.roots);
      const roots = rootRows(timeline);
      const appLogs = appLogsOf(found, opts.appLogs);
      const match = { by: found.matched_by, query: found.query };
      if (opts.json) {
        printJson({
          matched_by: found.matched_by, run: found.roots[0], stop: roots[0].stop, runs: found.roots.length > 1 ? found.roots : undefined,
          stops: roots.length > 1 ? roots.map((r) => ({ run_id: r.run.run_id, ...r.stop })) : undefined,
          timeline: timelineJson(timeline), app_log_count: appLogs.count, app_logs: appLogs.lines,
          input: { ...found.report, scanned: found.scanned }, warning: found.warning,
        });
      } else {
        printText(renderWaterfallText(timeline, opts.width ?? axisWidth(), appLogs, match));
        noteReport(found.report, found.warning, found.scanned);
      }
    });
}
