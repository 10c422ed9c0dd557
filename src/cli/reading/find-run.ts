import { scrubAppLogLine, toAppLogLine, type AppLogLine, type AppLogs } from './app-log-line.js';
import { CliError } from '../cli-error.js';
import type { InputSource } from './input-sources.js';
import type { LogEvent } from './log-event.js';
import { NeedleSet, emptyReport, readEvents, type ReadReport } from './read-events.js';
import { buildRunView, nestRuns, type RunView } from '../model/run-view.js';
import { offsetBefore, runIdTimeRange } from './time-seek.js';

const MIN_PREFIX = 4;
/** The app's own lines kept per tree: enough to read, bounded for a chatty app. */
const MAX_APP_LINES = 200;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Beyond this many runs matching a prefix, their events are no longer kept: the prefix is ambiguous anyway. */
const MAX_CANDIDATES = 50;
/**
 * How far out of time order a log may be around the run: lines are looked at
 * from this long before the run's start until this long after the last
 * run_finished of its tree.
 */
const WINDOW_SLACK_MS = 10_000;

export interface FoundRun {
  /** The run, its nested runs under `children`. */
  run: RunView;
  report: ReadReport;
  /** `time window` when the run id's time let most of the input be skipped, else `whole input`. */
  scanned: 'time window' | 'whole input';
  /** Set when nested runs could not all be found (stdin read once, runs logged out of order). */
  warning?: string;
  /** Every event of the run and its nested runs, as read. */
  events: LogEvent[];
  /** The app's own log lines written inside the tree's runs (agentLogMixin), scrubbed, in time order, at most MAX_APP_LINES. */
  app_logs: AppLogLine[];
  /** How many app lines the tree's runs have, also those past MAX_APP_LINES. */
  app_log_count: number;
}

/** What an output may show of the run's app lines: the (scrubbed) lines only when `--app-logs` asked for them. */
export function appLogsOf(found: FoundRun, asked: boolean | undefined): AppLogs {
  return { count: found.app_log_count, lines: asked ? found.app_logs : undefined };
}

/** What one pass collects: the events of the matching runs and of their nested runs. */
class Collector {
  /** The prefix (which also catches a direct child's run_started: its parent_run_id), then nested runs' ids. */
  readonly needles: NeedleSet;
  readonly events = new Map<string, LogEvent[]>();
  readonly candidates = new Set<string>();
  readonly collected = new Set<string>();
  readonly parentOf = new Map<string, string>();
  readonly appLogs: AppLogLine[] = [];
  readonly appLogCounts = new Map<string, number>();
  finished = 0;
  lastFinish = 0;

  constructor(readonly prefix: string) {
    this.needles = new NeedleSet([prefix]);
  }

  visit = (e: LogEvent) => {
    if (e.event === 'run_started' && e.parent_run_id !== undefined) {
      this.parentOf.set(e.run_id, e.parent_run_id);
      if (this.collected.has(e.parent_run_id) && !this.collected.has(e.run_id)) {
        this.collected.add(e.run_id);
        this.needles.add(e.run_id);
      }
    }
    if (e.run_id.startsWith(this.prefix) && !this.candidates.has(e.run_id) && this.candidates.size < MAX_CANDIDATES) {
      this.candidates.add(e.run_id);
      this.collected.add(e.run_id);
    }
    if (!this.collected.has(e.run_id)) return;
    this.keep(e);
    if (e.event === 'run_finished') {
      this.finished++;
      this.lastFinish = Math.max(this.lastFinish, e.time);
    }
  };

  other = (parsed: unknown) => {
    const line = toAppLogLine(parsed);
    if (!line || !this.collected.has(line.run_id)) return;
    this.appLogCounts.set(line.run_id, (this.appLogCounts.get(line.run_id) ?? 0) + 1);
    if (this.appLogs.length < MAX_APP_LINES) this.appLogs.push(line);
  };

  keep(e: LogEvent) {
    const list = this.events.get(e.run_id);
    if (list) list.push(e);
    else this.events.set(e.run_id, [e]);
  }
}

/**
 * Finds one run by id or unique prefix, with all its nested runs, decoding
 * only the lines that hold the prefix or a known nested run's id. Memory: the
 * events of the matching runs, plus one (child → parent) pair per nested run
 * met.
 *
 * Run ids are UUID v7, so a prefix of 8+ hex digits tells when the run
 * started: in a plain file, a bisection on the lines' times skips to 10 s
 * before it (gzip and stdin are read from the start), and reading stops 10 s
 * after the tree's last run_finished. When that finds nothing (a log not in
 * time order, ids not v7), the whole input is read.
 *
 * A nested run is recognised by its run_started, which names its parent (and
 * so holds the parent's id); its later events are then caught by its own id.
 * That needs the parent to be known first, which holds for one process's log
 * read in order. When it does not (files given out of order), the missed runs
 * are read again, a nesting level per extra pass.
 */
export async function findRun(sources: readonly InputSource[], prefix: string, options: { scanAll?: boolean } = {}): Promise<FoundRun> {
  if (prefix.length < MIN_PREFIX) throw new CliError(`give at least ${MIN_PREFIX} characters of the run_id (got ${JSON.stringify(prefix)})`);
  const range = options.scanAll ? undefined : runIdTimeRange(prefix);
  if (range) {
    const windowed = await collectInWindow(sources, prefix, range);
    // Only UUID v7 ids carry their time: a match of another kind may have twins outside the window.
    const candidates = [...windowed.collector.candidates];
    if (candidates.length > 0 && candidates.every((id) => UUID_V7.test(id))) {
      return assemble(windowed.collector, windowed.report, sources, 'time window');
    }
  }
  const collector = new Collector(prefix);
  const report = await readEvents(sources, collector.visit, { needles: collector.needles, other: collector.other });
  return assemble(collector, report, sources, 'whole input');
}

async function collectInWindow(sources: readonly InputSource[], prefix: string, range: { from: number; to: number }) {
  const collector = new Collector(prefix);
  const report = emptyReport(sources);
  for (const source of sources) {
    const start = source.path !== undefined ? ((await offsetBefore(source.path, range.from - WINDOW_SLACK_MS)) ?? 0) : 0;
    const stop = (time: number | undefined) =>
      time !== undefined &&
      collector.finished === collector.collected.size &&
      time > Math.max(range.to, collector.lastFinish) + WINDOW_SLACK_MS;
    await readEvents([source], collector.visit, { needles: collector.needles, other: collector.other, report, start, stop });
  }
  return { collector, report };
}

async function assemble(c: Collector, report: ReadReport, sources: readonly InputSource[], scanned: FoundRun['scanned']): Promise<FoundRun> {
  const target = pickCandidate(c, report);
  let descendants = descendantsOf(target, c.parentOf);
  const started = (id: string) => c.events.get(id)?.some((e) => e.event === 'run_started') ?? false;
  let missed = [...descendants].filter((id) => !started(id));
  // Nested runs logged before their parent was known: read them again, one nesting level per round.
  for (let round = 0; missed.length > 0 && sources.every((s) => s.path !== undefined) && round < 16; round++) {
    const wanted = new Set(missed);
    for (const id of missed) c.events.delete(id);
    const visit = (e: LogEvent) => {
      if (e.event === 'run_started' && e.parent_run_id !== undefined) c.parentOf.set(e.run_id, e.parent_run_id);
      if (wanted.has(e.run_id)) c.keep(e);
    };
    await readEvents(sources, visit, { needles: new NeedleSet(missed), report: emptyReport(sources) });
    descendants = descendantsOf(target, c.parentOf);
    missed = [...descendants].filter((id) => !started(id));
  }
  const warning = missed.length
    ? `${missed.length} nested run(s) were logged before their parent and could not be read back from standard input: ${missed.join(', ')}`
    : undefined;
  const tree = [target, ...descendants].filter((id) => c.events.has(id));
  const views = tree.map((id) => buildRunView(c.events.get(id)!));
  nestRuns(views);
  const inTree = new Set(tree);
  // Scrubbed here, once, so that no output can show an app line as written.
  const app_logs = c.appLogs.filter((l) => inTree.has(l.run_id)).sort((a, b) => a.time - b.time).map(scrubAppLogLine);
  const app_log_count = tree.reduce((n, id) => n + (c.appLogCounts.get(id) ?? 0), 0);
  return { run: views[0], report, scanned, warning, events: tree.flatMap((id) => c.events.get(id)!), app_logs, app_log_count };
}

function pickCandidate(c: Collector, report: ReadReport): string {
  const { candidates } = c;
  if (candidates.has(c.prefix)) return c.prefix;
  if (candidates.size === 1) return [...candidates][0];
  if (candidates.size === 0) {
    throw new CliError(`no run matches ${JSON.stringify(c.prefix)} in ${report.sources.join(', ')} (${report.bytes} bytes read)`);
  }
  const list = [...candidates].slice(0, 10).map((id) => {
    const first = c.events.get(id)![0];
    return `  ${id}  ${first.agent ?? '?'}  ${new Date(first.time).toISOString()}`;
  });
  const atLeast = candidates.size >= MAX_CANDIDATES ? 'at least ' : '';
  const more = candidates.size > 10 ? `\n  ... and ${atLeast}${candidates.size - 10} more` : '';
  throw new CliError(`run id prefix ${JSON.stringify(c.prefix)} is ambiguous: it matches ${atLeast}${candidates.size} runs; give more characters:\n${list.join('\n')}${more}`);
}

function descendantsOf(root: string, parentOf: Map<string, string>): Set<string> {
  const children = new Map<string, string[]>();
  for (const [child, parent] of parentOf) {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const out = new Set<string>();
  const stack = [root];
  while (stack.length) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (child === root || out.has(child)) continue;
      out.add(child);
      stack.push(child);
    }
  }
  return out;
}
