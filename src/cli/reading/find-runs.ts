import { CliError } from '../cli-error.js';
import { buildRunView, nestRuns, type RunView } from '../model/run-view.js';
import { scrubAppLogLine, toAppLogLine, type AppLogLine, type AppLogs } from './app-log-line.js';
import type { InputSource } from './input-sources.js';
import type { LogEvent } from './log-event.js';
import { NeedleSet, emptyReport, readEvents, type ReadReport } from './read-events.js';
import { offsetBefore, runIdTimeRange } from './time-seek.js';

const MIN_PREFIX = 4;
/** The app's own lines kept per tree: enough to read, bounded for a chatty app. */
const MAX_APP_LINES = 200;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A W3C trace id: what a trace view hands over. It is on every event of every run of the trace. */
const TRACE_ID = /^[0-9a-f]{32}$/;
/** Beyond this many runs matching a prefix, their events are no longer kept: the prefix is ambiguous anyway. */
const MAX_CANDIDATES = 50;
/**
 * How far out of time order a log may be around the run: lines are looked at
 * from this long before the run's start until this long after the last
 * run_finished of its tree.
 */
const WINDOW_SLACK_MS = 10_000;

/** What the argument of `show` / `html` turned out to be. */
export type MatchedBy = 'run_id' | 'run_id_prefix' | 'request_id' | 'trace_id';

export interface FoundRuns {
  /** The root runs in start order (one for a run id), each with its nested runs under `children`. */
  roots: RunView[];
  matched_by: MatchedBy;
  /** What was looked up, as given. */
  query: string;
  report: ReadReport;
  /** `time window` when the run id's time let most of the input be skipped, else `whole input`. */
  scanned: 'time window' | 'whole input';
  /** Set when nested runs could not all be found (stdin read once, runs logged out of order). */
  warning?: string;
  /** Every event of the runs found, as read. */
  events: LogEvent[];
  /** The app's own log lines written inside the runs found (agentLogMixin), scrubbed, in time order, at most MAX_APP_LINES. */
  app_logs: AppLogLine[];
  /** How many app lines those runs have, also those past MAX_APP_LINES. */
  app_log_count: number;
}

/** What an output may show of the app lines: the (scrubbed) lines only when `--app-logs` asked for them. */
export function appLogsOf(found: FoundRuns, asked: boolean | undefined): AppLogs {
  return { count: found.app_log_count, lines: asked ? found.app_logs : undefined };
}

/**
 * What one pass collects: the events of the runs the query names (by run id
 * or prefix, by request id, by trace id) and of their nested runs.
 */
class Collector {
  readonly needles: NeedleSet;
  readonly events = new Map<string, LogEvent[]>();
  /** Runs whose id starts with the query. */
  readonly candidates = new Set<string>();
  /** Runs whose run_started has the query as request_id. */
  readonly ofRequest = new Set<string>();
  /** Runs with an event whose trace_id is the query. */
  readonly ofTrace = new Set<string>();
  readonly collected = new Set<string>();
  readonly parentOf = new Map<string, string>();
  readonly appLogs: AppLogLine[] = [];
  readonly appLogCounts = new Map<string, number>();
  finished = 0;
  lastFinish = 0;

  /** Whether the query may be a run id prefix; shorter, it can only be a request id (pino-http's counter: "7"). */
  readonly prefixes: boolean;

  constructor(readonly query: string) {
    this.prefixes = query.length >= MIN_PREFIX;
    // A short id is on nearly every line: look for it as the field it must be, as a string or (another writer's
    // pino-http counter) a number, with or without a space after the colon. A trace id is on every line wanted:
    // the runs found need no needle of their own.
    const values = /^\d+$/.test(query) ? [JSON.stringify(query), query] : [JSON.stringify(query)];
    const needles = this.prefixes ? [query] : values.flatMap((v) => [`"request_id":${v}`, `"request_id": ${v}`]);
    this.needles = new NeedleSet(needles, !TRACE_ID.test(query));
  }

  private collect(runId: string, needle: boolean) {
    if (this.collected.has(runId)) return;
    this.collected.add(runId);
    if (needle && this.needles.grow) this.needles.add(runId);
  }

  visit = (e: LogEvent) => {
    if (e.event === 'run_started' && e.parent_run_id !== undefined) {
      this.parentOf.set(e.run_id, e.parent_run_id);
      if (this.collected.has(e.parent_run_id)) this.collect(e.run_id, true);
    }
    if (this.prefixes && e.run_id.startsWith(this.query) && !this.candidates.has(e.run_id) && this.candidates.size < MAX_CANDIDATES) {
      this.candidates.add(e.run_id);
      this.collect(e.run_id, false);
    }
    if (e.event === 'run_started' && e.request_id === this.query) {
      this.ofRequest.add(e.run_id);
      this.collect(e.run_id, true);
    }
    if (e.trace_id === this.query) {
      this.ofTrace.add(e.run_id);
      this.collect(e.run_id, false);
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
 * Finds runs by what on-call has: a run id or a unique prefix of it (at
 * least 4 characters), a request id (every run the request started), or a
 * trace id (every run of the trace, also from other services' logs given
 * together, as one tree). Only the lines that hold the query or a found run's
 * id are decoded. When one argument could be several, an exact run id wins,
 * then a request id, then a trace id, then a run id prefix.
 *
 * Run ids are UUID v7, so a run id prefix of 8+ hex digits tells when the run
 * started: in a plain file, a bisection on the lines' times skips to 10 s
 * before it (gzip and stdin are read from the start), and reading stops 10 s
 * after the tree's last run_finished. When that finds nothing (a log not in
 * time order, ids not v7, a request or trace id) the whole input is read.
 *
 * A nested run is recognised by its run_started, which names its parent (and
 * so holds the parent's id); its later events are then caught by its own id.
 * That needs the parent to be known first, which holds for one process's log
 * read in order. When it does not (files given out of order), the missed runs
 * are read again, a nesting level per extra pass.
 */
export async function findRuns(sources: readonly InputSource[], query: string, options: { scanAll?: boolean } = {}): Promise<FoundRuns> {
  if (query.length === 0) throw new CliError('give a run id (or at least its first 4 characters), a request id or a trace id');
  const range = options.scanAll ? undefined : runIdTimeRange(query);
  if (range) {
    const windowed = await collectInWindow(sources, query, range);
    // Only UUID v7 ids carry their time: a match of another kind may have twins outside the window.
    const candidates = [...windowed.collector.candidates];
    if (candidates.length > 0 && candidates.every((id) => UUID_V7.test(id)) && windowed.collector.ofRequest.size === 0) {
      return assemble(windowed.collector, windowed.report, sources, 'time window');
    }
    // Standard input cannot be read twice: a window read of it that did not stop early read it all.
    if (sources.some((s) => s.path === undefined)) {
      const found = await assemble(windowed.collector, windowed.report, sources, 'whole input');
      if (windowed.stoppedEarly) found.warning = [found.warning, 'standard input was read only up to the run found first: give the log as a file to search all of it'].filter(Boolean).join('; ');
      return found;
    }
  }
  let collector = new Collector(query);
  let report = await readEvents(sources, collector.visit, { needles: collector.needles, other: collector.other });
  if (!collector.needles.grow && collector.ofTrace.size === 0 && collector.ofRequest.size > 0) {
    // A request id laid out like a trace id: read again, following the request's runs by their own ids.
    collector = new Collector(query);
    collector.needles.grow = true;
    report = await readEvents(sources, collector.visit, { needles: collector.needles, other: collector.other });
  }
  return assemble(collector, report, sources, 'whole input');
}

async function collectInWindow(sources: readonly InputSource[], query: string, range: { from: number; to: number }) {
  const collector = new Collector(query);
  const report = emptyReport(sources);
  let stoppedEarly = false;
  for (const source of sources) {
    const start = source.path !== undefined ? ((await offsetBefore(source.path, range.from - WINDOW_SLACK_MS)) ?? 0) : 0;
    // Stops only once something was found: past the window with nothing, the read goes on (stdin is read once).
    const stop = (time: number | undefined) =>
      (stoppedEarly ||=
        time !== undefined &&
        collector.collected.size > 0 &&
        collector.finished === collector.collected.size &&
        time > Math.max(range.to, collector.lastFinish) + WINDOW_SLACK_MS);
    await readEvents([source], collector.visit, { needles: collector.needles, other: collector.other, report, start, stop });
  }
  return { collector, report, stoppedEarly };
}

/** Which runs the query names, by the order of precedence. */
function pickRoots(c: Collector, report: ReadReport): { ids: string[]; by: MatchedBy } {
  if (c.candidates.has(c.query)) return { ids: [c.query], by: 'run_id' };
  if (c.ofRequest.size > 0) return { ids: [...c.ofRequest], by: 'request_id' };
  if (c.ofTrace.size > 0) return { ids: [...c.ofTrace], by: 'trace_id' };
  const { candidates } = c;
  if (candidates.size === 1) return { ids: [...candidates], by: 'run_id_prefix' };
  if (candidates.size === 0) {
    const asked = c.prefixes ? 'run, request or trace' : `request (a run id prefix needs ${MIN_PREFIX} characters or more)`;
    throw new CliError(`no ${asked} matches ${JSON.stringify(c.query)} in ${report.sources.join(', ')} (${report.bytes} bytes read)`);
  }
  const list = [...candidates].slice(0, 10).map((id) => {
    const first = c.events.get(id)![0];
    return `  ${id}  ${first.agent ?? '?'}  ${new Date(first.time).toISOString()}`;
  });
  const atLeast = candidates.size >= MAX_CANDIDATES ? 'at least ' : '';
  const more = candidates.size > 10 ? `\n  ... and ${atLeast}${candidates.size - 10} more` : '';
  throw new CliError(`run id prefix ${JSON.stringify(c.query)} is ambiguous: it matches ${atLeast}${candidates.size} runs; give more characters:\n${list.join('\n')}${more}`);
}

async function assemble(c: Collector, report: ReadReport, sources: readonly InputSource[], scanned: FoundRuns['scanned']): Promise<FoundRuns> {
  const { ids, by } = pickRoots(c, report);
  const wanted = new Set(ids);
  let descendants = descendantsOf(wanted, c.parentOf);
  const started = (id: string) => c.events.get(id)?.some((e) => e.event === 'run_started') ?? false;
  let missed = [...descendants].filter((id) => !started(id));
  // Nested runs logged before their parent was known: read them again, one nesting level per round.
  for (let round = 0; missed.length > 0 && sources.every((s) => s.path !== undefined) && round < 16; round++) {
    const again = new Set(missed);
    for (const id of missed) c.events.delete(id);
    const visit = (e: LogEvent) => {
      if (e.event === 'run_started' && e.parent_run_id !== undefined) c.parentOf.set(e.run_id, e.parent_run_id);
      if (again.has(e.run_id)) c.keep(e);
    };
    await readEvents(sources, visit, { needles: new NeedleSet(missed), report: emptyReport(sources) });
    descendants = descendantsOf(wanted, c.parentOf);
    missed = [...descendants].filter((id) => !started(id));
  }
  const warning = missed.length
    ? `${missed.length} nested run(s) were logged before their parent and could not be read back from standard input: ${missed.join(', ')}`
    : undefined;
  const tree = [...new Set([...ids, ...descendants])].filter((id) => c.events.has(id));
  const roots = nestRuns(tree.map((id) => buildRunView(c.events.get(id)!)));
  const inTree = new Set(tree);
  // Scrubbed here, once, so that no output can show an app line as written.
  const app_logs = c.appLogs.filter((l) => inTree.has(l.run_id)).sort((a, b) => a.time - b.time).map(scrubAppLogLine);
  const app_log_count = tree.reduce((n, id) => n + (c.appLogCounts.get(id) ?? 0), 0);
  return {
    roots, matched_by: by, query: c.query, report, scanned, warning, events: tree.flatMap((id) => c.events.get(id)!), app_logs, app_log_count,
  };
}

function descendantsOf(roots: Set<string>, parentOf: Map<string, string>): Set<string> {
  const children = new Map<string, string[]>();
  for (const [child, parent] of parentOf) {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const out = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (roots.has(child) || out.has(child)) continue;
      out.add(child);
      stack.push(child);
    }
  }
  return out;
}
