import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { explainStop } from '../model/explain-stop.js';
import { DEFAULT_LIMITS, LiveRuns, type EndedRun } from '../model/live-runs.js';
import { buildTimeline } from '../model/run-timeline.js';
import { followFile } from '../reading/follow-file.js';
import { plainFileSize, resolveSources, type InputSource } from '../reading/input-sources.js';
import type { LogEvent } from '../reading/log-event.js';
import { emptyReport, readEvents } from '../reading/read-events.js';
import { offsetBefore } from '../reading/time-seek.js';
import { formatCount, formatMs, plural } from '../views/format-units.js';
import { color, colorErr, safeText, toSafeJson } from '../views/terminal-text.js';
import { renderWaterfallText } from '../views/waterfall-text.js';
import { parseDuration, parseInstant } from './time-filters.js';

interface TailOptions {
  json?: boolean;
  since?: string;
  showFailures?: boolean;
  maxRuns: string;
  evictAfter: string;
  interval: string;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** One line per run as it ends: number, time, mark, agent, id, request, status, steps, latency, tokens, the stop sentence. */
function runLine({ n, run, evicted }: EndedRun): string {
  const stop = explainStop(run).sentence;
  const failed = run.status === 'error';
  const mark = evicted ? color.yellow('?') : failed ? color.red('✖') : run.status === 'ok' ? color.green('✔') : color.yellow('◌');
  const facts = [
    `${run.total_steps} step${run.total_steps === 1 ? '' : 's'}`,
    run.total_latency_ms !== undefined ? formatMs(run.total_latency_ms) : '',
    run.token_usage ? `${formatCount(run.token_usage.total_tokens)} tokens` : '',
  ].filter(Boolean);
  const status = evicted ? color.yellow('not finished') : failed ? color.red(`error ${safeText(run.stop_reason ?? '', 24)}`) : `${safeText(run.status, 16)} ${safeText(run.stop_reason ?? '', 24)}`;
  const why = { max_runs: 'let go to hold newer runs (--max-runs)', age: 'no event for the --evict-after time', input_ended: 'the input ended' };
  const sentence = evicted ? `${safeText(stop, 300)} (${why[evicted]})` : safeText(stop, 300);
  return [
    color.dim(`[${n}]`),
    time(run.end_ms),
    mark,
    `${run.parent_run_id ? '↳ ' : ''}${color.bold(safeText(run.agent, 32))}`,
    safeText(run.run_id, 40),
    run.request_id ? color.dim(`req ${safeText(run.request_id, 36)}`) : '',
    status,
    facts.join(' '),
    failed || evicted ? color.bold(sentence) : color.dim(sentence),
  ]
    .filter(Boolean)
    .join('  ');
}

function runJson({ n, run, evicted }: EndedRun) {
  return {
    n, run_id: run.run_id, agent: run.agent, parent_run_id: run.parent_run_id, request_id: run.request_id, trace_id: run.trace_id,
    status: evicted ? 'unfinished' : run.status, stop_reason: run.stop_reason, steps: run.total_steps, latency_ms: run.total_latency_ms,
    tokens: run.token_usage?.total_tokens, stop: explainStop(run).sentence, evicted,
  };
}

/** The bytes of a file being followed, or of standard input as it comes: never-ending sources for readEvents. */
async function liveSource(files: string[], since: number | undefined, intervalMs: number, signal: AbortSignal): Promise<InputSource> {
  if (files.length > 1) throw new CliError('tail follows one file, or standard input');
  const [source] = await resolveSources(files);
  // Read as a stream, not with blocking reads: Ctrl-C and the keys must be heard while the pipe is quiet.
  if (source.path === undefined) return { name: '-', open: () => process.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer> & AsyncIterable<Buffer> };
  const path = source.path;
  if (plainFileSize(path) === undefined) throw new CliError(`tail follows a plain log file as it grows; ${path} is gzip: read it with runs or show`);
  // From the end, as tail -f; with --since, from that time (a little before, for the runs then in flight).
  const from = since !== undefined ? ((await offsetBefore(path, since - 60_000)) ?? 0) : plainFileSize(path)!;
  const note = (text: string) => process.stderr.write(`${colorErr.dim(`agent-log tail: ${safeText(text, 400)}`)}\n`);
  // Said once the starting point is fixed: what is written from now on will be seen.
  note(`following ${path} from ${since !== undefined ? `byte ${from} (--since)` : 'its end'}; type a run's number and Enter for its tree, q to quit`);
  return { name: path, path, open: () => followFile(path, { from, intervalMs, signal, onNote: note }) };
}

export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('follows a growing log (or standard input) and prints one line per run as it finishes, failures marked, with why it stopped')
    .argument('[file]', 'a log file to follow as it grows (rotation and truncation followed); standard input when none or "-"')
    .option('--json', 'one JSON object per run, a line each, for scripts')
    .option('--since <when>', 'also the runs that finished since this ISO time or this long ago (15m); a file is then read from there')
    .option('--show-failures', 'print the tree of each failed run (as `show` does) when it finishes')
    .option('--max-runs <n>', 'runs in flight held at once; past it the least recently seen is reported as not finished', String(DEFAULT_LIMITS.maxRuns))
    .option('--evict-after <duration>', 'a run with no event for this long (in the log\'s time) is reported as not finished and forgotten', '10m')
    .option('--interval <ms>', 'how often a file is looked at once its end is reached', '250')
    .addHelpText(
      'after',
      `
While following a file, type on the keyboard (standard input), then Enter:
  <n>   the tree of the run numbered [n]
  f     the tree of the last failed run
  q     quit`,
    )
    .action(async (file: string | undefined, opts: TailOptions) => {
      const maxRuns = Number(opts.maxRuns);
      if (!Number.isInteger(maxRuns) || maxRuns < 1) throw new CliError(`--max-runs: expected a whole number from 1 (got ${JSON.stringify(opts.maxRuns)})`);
      const evictAfterMs = parseDuration(opts.evictAfter, '--evict-after');
      const intervalMs = parseDuration(opts.interval, '--interval');
      const since = opts.since !== undefined ? parseInstant(opts.since, '--since') : undefined;
      const stop = new AbortController();
      const source = await liveSource(file === undefined ? [] : [file], since, intervalMs, stop.signal);
      const live = new LiveRuns({ ...DEFAULT_LIMITS, maxRuns, evictAfterMs });
      let lastFailed: number | undefined;
      const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      const showTree = (n: number) => {
        const tree = live.tree(n);
        if (!tree) return print(color.yellow(`no run [${n}] is held any more (the last ${DEFAULT_LIMITS.keepTrees} trees are)`));
        const timeline = buildTimeline([tree.root]);
        if (opts.json) print(toSafeJson({ tree: n, run: tree.root }).replace(/\n\s*/g, ' '));
        else print(`\n${renderWaterfallText(timeline, 40)}\n`);
      };
      const report = (ended: EndedRun[]) => {
        for (const one of ended) {
          if (since !== undefined && one.run.end_ms < since) continue;
          print(opts.json ? toSafeJson(runJson(one)).replace(/\n\s*/g, ' ') : runLine(one));
          const failed = one.run.status === 'error' && !one.evicted;
          if (failed) lastFailed = one.n;
          if (failed && opts.showFailures && one.root === one.run.run_id) showTree(one.n);
        }
      };

      const quit = () => stop.abort();
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
      if (source.path !== undefined && !process.stdin.destroyed) {
        const keys = createInterface({ input: process.stdin });
        keys.on('line', (line) => {
          const key = line.trim();
          if (key === 'q') quit();
          else if (key === 'f') lastFailed !== undefined ? showTree(lastFailed) : print(color.dim('no failed run yet'));
          else if (/^\d+$/.test(key)) showTree(Number(key));
        });
        stop.signal.addEventListener('abort', () => keys.close(), { once: true });
      }

      const readReport = emptyReport([source]);
      await readEvents([source], (e: LogEvent) => report(live.add(e)), { report: readReport });
      // Input that ended (stdin) cut its runs in flight off: they are reported; quitting a file leaves them be.
      if (!stop.signal.aborted) report(live.drain());
      const summary = `followed ${plural(readReport.events, 'event')}: ${plural(live.finishedCount, 'run')} finished, ${live.evictedCount} never finished (evicted or cut off), at most ${live.peakInFlight} held in flight (--max-runs ${maxRuns})`;
      process.stderr.write(`${colorErr.dim(summary)}\n`);
      // Exit (the keys may hold standard input open), but only once stdout has taken every line:
      // a pipe to a slower reader (| jq) holds what it has not read yet, and exit would drop it.
      process.stdout.write('', () => process.exit(0));
    });
}
