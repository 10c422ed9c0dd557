import { CliError } from './cli-error';
import type { InputSource } from './input-sources';
import type { LogEvent } from './log-event';
import { NeedleSet, emptyReport, readEvents, type ReadReport } from './read-events';
import { buildRunView, nestRuns, type RunView } from './run-view';

export const MIN_PREFIX = 4;
/** Beyond this many runs matching a prefix, their events are no longer kept: the prefix is ambiguous anyway. */
const MAX_CANDIDATES = 50;

export interface FoundRun {
  /** The run, its nested runs under `children`. */
  run: RunView;
  report: ReadReport;
  /** Set when nested runs could not all be found (stdin read once, runs logged out of order). */
  warning?: string;
}

/**
 * Finds one run by id or unique prefix, with all its nested runs, in one
 * streaming pass that decodes only the lines holding the prefix, a known
 * nested run's id, or `parent_run_id`. Memory: the events of the matching
 * runs, plus one (child → parent) pair per nested run in the log.
 *
 * A nested run is recognised by its run_started, which names its parent; its
 * later events are then caught by its own id. That needs the parent to be
 * known first, which holds for one process's log read in order. When it does
 * not (files given out of order), the missed runs are read in a second pass.
 */
export async function findRun(sources: readonly InputSource[], prefix: string): Promise<FoundRun> {
  if (prefix.length < MIN_PREFIX) throw new CliError(`give at least ${MIN_PREFIX} characters of the run_id (got ${JSON.stringify(prefix)})`);
  const needles = new NeedleSet([prefix, '"parent_run_id"']);
  const events = new Map<string, LogEvent[]>();
  const candidates = new Set<string>();
  const collected = new Set<string>();
  const parentOf = new Map<string, string>();

  const keep = (e: LogEvent) => {
    let list = events.get(e.run_id);
    if (!list) events.set(e.run_id, (list = []));
    list.push(e);
  };
  const report = await readEvents(sources, (e) => {
    if (e.event === 'run_started' && e.parent_run_id !== undefined) {
      parentOf.set(e.run_id, e.parent_run_id);
      if (collected.has(e.parent_run_id) && !collected.has(e.run_id)) {
        collected.add(e.run_id);
        needles.add(e.run_id);
      }
    }
    if (e.run_id.startsWith(prefix) && !candidates.has(e.run_id) && candidates.size < MAX_CANDIDATES) {
      candidates.add(e.run_id);
      collected.add(e.run_id);
    }
    if (collected.has(e.run_id)) keep(e);
  }, { needles });

  const target = pickCandidate(prefix, candidates, events, report);
  const descendants = descendantsOf(target, parentOf);
  const missed = [...descendants].filter((id) => !events.has(id) || !events.get(id)!.some((e) => e.event === 'run_started'));
  let warning: string | undefined;
  if (missed.length > 0) {
    if (sources.every((s) => s.rereadable)) {
      for (const id of missed) events.delete(id);
      const again = new Set(missed);
      await readEvents(sources, (e) => again.has(e.run_id) && keep(e), { needles: new NeedleSet(missed), report: emptyReport(sources) });
    } else {
      warning = `${missed.length} nested run(s) were logged before their parent and could not be read back from standard input: ${missed.join(', ')}`;
    }
  }
  const views = [target, ...descendants].filter((id) => events.has(id)).map((id) => buildRunView(events.get(id)!));
  nestRuns(views);
  return { run: views[0], report, warning };
}

function pickCandidate(prefix: string, candidates: Set<string>, events: Map<string, LogEvent[]>, report: ReadReport): string {
  if (candidates.has(prefix)) return prefix;
  if (candidates.size === 1) return [...candidates][0];
  if (candidates.size === 0) {
    throw new CliError(`no run matches ${JSON.stringify(prefix)} in ${report.sources.join(', ')} (${report.bytes} bytes read)`);
  }
  const list = [...candidates].slice(0, 10).map((id) => {
    const first = events.get(id)![0];
    return `  ${id}  ${first.agent ?? '?'}  ${new Date(first.time).toISOString()}`;
  });
  const more = candidates.size > 10 ? `\n  ... and ${candidates.size >= MAX_CANDIDATES ? 'more' : candidates.size - 10}` : '';
  throw new CliError(`run id prefix ${JSON.stringify(prefix)} is ambiguous: it matches ${candidates.size >= MAX_CANDIDATES ? 'at least ' : ''}${candidates.size} runs; give more characters:\n${list.join('\n')}${more}`);
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
