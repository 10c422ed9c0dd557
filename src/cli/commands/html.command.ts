import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { appLogsHint } from '../reading/app-log-line.js';
import { CliError } from '../cli-error.js';
import { noteReport, printJson, printText } from './command-output.js';
import { appLogsOf, findRuns } from '../reading/find-runs.js';
import { renderPage } from '../views/html-page.js';
import { renderRunsTable, renderStatsSection } from '../views/html-report.js';
import { renderRunSection } from '../views/html-waterfall.js';
import { resolveSources } from '../reading/input-sources.js';
import { readPriceFile } from '../reading/price-file.js';
import { readEvents } from '../reading/read-events.js';
import { RunStats } from '../model/run-stats.js';
import { RunSummaries } from '../model/run-summary.js';
import { buildTimeline } from '../model/run-timeline.js';
import { WaterfallKeeper } from '../model/waterfall-keeper.js';

interface HtmlOptions {
  all?: boolean;
  output?: string;
  json?: boolean;
  prices?: string;
  limit: string;
  scanAll?: boolean;
  appLogs?: boolean;
}

/** `html --all`: stats, the runs table, and the waterfalls of up to `limit` run trees, failed ones first. */
async function reportAll(files: string[], opts: HtmlOptions) {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new CliError(`--limit: expected a whole number (got ${JSON.stringify(opts.limit)})`);
  const prices = opts.prices !== undefined ? readPriceFile(opts.prices) : undefined;
  const sources = await resolveSources(files);
  const stats = new RunStats(10, prices);
  const summaries = new RunSummaries(prices);
  const keeper = new WaterfallKeeper(limit);
  const report = await readEvents(sources, (e) => {
    stats.add(e);
    summaries.add(e);
    keeper.add(e);
  });
  const trees = keeper.trees();
  const anchors = new Map<string, string>();
  trees.forEach((tree, i) => anchors.set(tree.root.run_id, `run-${i + 1}`));
  const runs = [...summaries.byId.values()].sort((a, b) => a.start_ms - b.start_ms);
  const shownRuns = runs.slice(0, 5000);
  const sections = [
    renderStatsSection(stats.result(), prices !== undefined, anchors),
    `<section id="runs"><h2>Runs</h2>${renderRunsTable(shownRuns, anchors, prices !== undefined)}${
      runs.length > shownRuns.length ? `<p class="meta">${runs.length - shownRuns.length} more runs not listed</p>` : ''
    }</section>`,
    `<h2>Waterfalls</h2><p class="meta">${trees.length} run trees drawn${keeper.dropped ? `, ${keeper.dropped} left out (at most ${limit}, failed runs first: --limit)` : ''}</p>`,
  ];
  const waterfalls = trees.map((tree) => renderRunSection(buildTimeline([tree.root]), tree.events, anchors.get(tree.root.run_id)!));
  const html = renderPage(`agent runs: ${runs.length}`, report, [...sections, ...waterfalls.map((w) => w.html)], waterfalls.map((w) => w.css).join('\n'));
  return { html, report, runs: runs.length, drawn: trees.length };
}

export function registerHtml(program: Command): void {
  program
    .command('html')
    .description("a self-contained HTML page (no network, its one script allowed by hash): runs as a foldable waterfall, each step's every field; or with --all the stats and every run")
    .argument('[id]', 'a run id or a unique prefix, a request id or a trace id (leave out with --all)')
    .argument('[files...]', 'NDJSON log files or globs, gzip too; standard input when none or "-"')
    .option('--all', 'a report of every run: stats, runs table, waterfalls')
    .requiredOption('-o, --output <file>', 'where to write the page')
    .option('--limit <n>', 'with --all: at most this many run trees drawn, failed ones first', '200')
    .option('--prices <file>', 'with --all: a JSON price table for costs')
    .option('--app-logs', "with a run_id: also the app's own log lines written inside the run, scrubbed (left out by default: the page is for sharing)")
    .option('--scan-all', 'with a run_id: read the whole input instead of seeking to the run by the time in its id')
    .option('--json', 'print what was written as JSON')
    .action(async (runId: string | undefined, files: string[], opts: HtmlOptions) => {
      let html: string;
      let summary: Record<string, unknown>;
      let report;
      let hint: string | undefined;
      if (opts.all) {
        if (opts.appLogs) throw new CliError('--app-logs goes with one run_id, not --all (a report of every run holds no app lines)');
        const all = await reportAll(runId !== undefined ? [runId, ...files] : files, opts);
        ({ html, report } = all);
        summary = { runs: all.runs, waterfalls: all.drawn };
      } else {
        if (runId === undefined) throw new CliError('give a run id (or a prefix), a request id or a trace id, or --all for every run');
        const found = await findRuns(await resolveSources(files), runId, { scanAll: opts.scanAll });
        const timeline = buildTimeline(found.roots);
        report = found.report;
        const appLogs = appLogsOf(found, opts.appLogs);
        const section = renderRunSection(timeline, found.events, 'run-1', appLogs);
        const first = found.roots[0];
        const title =
          found.matched_by === 'request_id' ? `agent runs of request ${found.query}` : found.matched_by === 'trace_id' ? `agent runs of trace ${found.query}` : `agent run ${first.agent} ${first.run_id}`;
        html = renderPage(title, report, [section.html], section.css);
        hint = opts.appLogs ? undefined : appLogsHint(appLogs.count, 'html');
        summary = { run_id: first.run_id, matched_by: found.matched_by, runs: timeline.rows.filter((r) => r.type === 'run').length, app_log_count: appLogs.count, app_logs_included: opts.appLogs === true, warning: found.warning };
      }
      writeFileSync(opts.output!, html);
      if (opts.json) printJson({ written: opts.output, bytes: Buffer.byteLength(html), ...summary, input: report });
      else {
        printText(`wrote ${opts.output} (${(Buffer.byteLength(html) / 1024).toFixed(1)} KiB)${hint ? `\n${hint}` : ''}`);
        noteReport(report);
      }
    });
}
