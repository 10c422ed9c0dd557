import type { LogEvent } from '../reading/log-event.js';
import { buildRunView, nestRuns, type RunView } from './run-view.js';

export interface LiveLimits {
  /** Runs in flight held at once; past it the one seen least recently is evicted. */
  maxRuns: number;
  /** A run with no event for this long, in the log's own time, is evicted as not finished. */
  evictAfterMs: number;
  /** Finished trees kept for `tree(n)`. */
  keepTrees: number;
  /** Events held per tree; a tree with more keeps its first ones (its line still comes from run_finished). */
  maxEventsPerTree: number;
}

export const DEFAULT_LIMITS: LiveLimits = { maxRuns: 10_000, evictAfterMs: 10 * 60_000, keepTrees: 200, maxEventsPerTree: 5_000 };

/** A run whose end `tail` reports: finished (its run_finished came) or evicted (it never did, within the bound). */
export interface EndedRun {
  /** The number `tail` shows it under, for `tree(n)`. */
  n: number;
  run: RunView;
  /** Its tree's root run id (itself for a root). */
  root: string;
  /** Why a run that never finished was let go: room for newer runs, no event for too long, or the input ended. */
  evicted?: 'max_runs' | 'age' | 'input_ended';
}

interface Tree {
  root: string;
  events: LogEvent[];
  /** Runs of the tree not finished yet. */
  open: Set<string>;
  lastSeen: number;
}

/**
 * The runs of a log being followed, in bounded memory whatever its length:
 * the trees in flight (at most `maxRuns` runs, each evicted after
 * `evictAfterMs` of log time without an event), the last `keepTrees`
 * finished trees for on-demand display, and a bounded set of recently
 * finished run ids so that a late event (a step ending after its run) does
 * not bring a run back.
 */
export class LiveRuns {
  private readonly rootOf = new Map<string, string>();
  private readonly inFlight = new Map<string, Tree>();
  private readonly finished = new Map<string, Tree>();
  private readonly numbered = new Map<number, string>();
  private readonly recentlyEnded = new Set<string>();
  private runsInFlight = 0;
  private next = 1;
  private now = -Infinity;
  private lastSweep = -Infinity;
  /** The most runs held in flight at once: what the bound is tested against. */
  peakInFlight = 0;
  evictedCount = 0;
  finishedCount = 0;

  constructor(private readonly limits: LiveLimits = DEFAULT_LIMITS) {}

  get inFlightCount(): number {
    return this.runsInFlight;
  }

  /** Takes one event; hands back the runs it ended (its run_finished, or runs evicted to make room or for age). */
  add(e: LogEvent): EndedRun[] {
    const ended: EndedRun[] = [];
    if (e.time > this.now) this.now = e.time;
    if (this.recentlyEnded.has(e.run_id)) return ended;
    let rootId = this.rootOf.get(e.run_id);
    if (rootId === undefined) {
      const parentRoot = e.event === 'run_started' && e.parent_run_id !== undefined ? this.rootOf.get(e.parent_run_id) : undefined;
      rootId = parentRoot !== undefined && this.inFlight.has(parentRoot) ? parentRoot : e.run_id;
      this.rootOf.set(e.run_id, rootId);
      let tree = this.inFlight.get(rootId);
      if (!tree) {
        tree = { root: rootId, events: [], open: new Set(), lastSeen: e.time };
        this.inFlight.set(rootId, tree);
      }
      tree.open.add(e.run_id);
      this.runsInFlight++;
      while (this.runsInFlight > this.limits.maxRuns) ended.push(...this.evictOldest());
      this.peakInFlight = Math.max(this.peakInFlight, this.runsInFlight);
    }
    const tree = this.inFlight.get(rootId);
    if (!tree) return ended;
    tree.lastSeen = Math.max(tree.lastSeen, e.time);
    if (tree.events.length < this.limits.maxEventsPerTree) tree.events.push(e);
    // Re-insert: the Map's order is then least recently seen first, for eviction.
    this.inFlight.delete(rootId);
    this.inFlight.set(rootId, tree);
    if (e.event === 'run_finished' && tree.open.delete(e.run_id)) {
      this.runsInFlight--;
      this.finishedCount++;
      ended.push(this.end(tree, e.run_id, undefined));
      if (tree.open.size === 0) this.retire(tree);
    }
    if (this.now - this.lastSweep >= 1000) ended.push(...this.sweep());
    return ended;
  }

  /** The tree of run `n` (its root with every nested run), with its events; undefined once it is forgotten. */
  tree(n: number): { root: RunView; events: LogEvent[] } | undefined {
    const runId = this.numbered.get(n);
    if (runId === undefined) return undefined;
    const rootId = this.rootOf.get(runId) ?? runId;
    const tree = this.finished.get(rootId) ?? this.inFlight.get(rootId);
    if (!tree) return undefined;
    const roots = nestRuns(group(tree.events).map(buildRunView));
    return { root: roots.find((r) => r.run_id === rootId) ?? roots[0], events: tree.events };
  }

  /** Runs still in flight when the input ended, ended as not finished. */
  drain(): EndedRun[] {
    const ended: EndedRun[] = [];
    for (const tree of [...this.inFlight.values()]) ended.push(...this.evict(tree, 'input_ended'));
    return ended;
  }

  private end(tree: Tree, runId: string, evicted: EndedRun['evicted']): EndedRun {
    const run = buildRunView(tree.events.filter((e) => e.run_id === runId));
    const n = this.next++;
    this.numbered.set(n, runId);
    return { n, run, root: tree.root, evicted };
  }

  /** A tree whose runs have all ended: kept for display, the oldest forgotten past keepTrees. */
  private retire(tree: Tree) {
    this.inFlight.delete(tree.root);
    this.finished.set(tree.root, tree);
    for (const e of tree.events) this.remember(e.run_id);
    if (this.finished.size > this.limits.keepTrees) {
      const [oldest, old] = this.finished.entries().next().value!;
      this.finished.delete(oldest);
      for (const e of old.events) this.rootOf.delete(e.run_id);
      for (const [n, runId] of this.numbered) {
        if (!this.rootOf.has(runId)) this.numbered.delete(n);
        else break;
      }
    }
  }

  private remember(runId: string) {
    this.recentlyEnded.add(runId);
    if (this.recentlyEnded.size > this.limits.maxRuns) this.recentlyEnded.delete(this.recentlyEnded.values().next().value!);
  }

  private evict(tree: Tree, why: NonNullable<EndedRun['evicted']>): EndedRun[] {
    const ended = [...tree.open].map((runId) => this.end(tree, runId, why));
    this.runsInFlight -= tree.open.size;
    this.evictedCount += tree.open.size;
    tree.open.clear();
    this.retire(tree);
    return ended;
  }

  private evictOldest(): EndedRun[] {
    const oldest = this.inFlight.values().next().value;
    return oldest ? this.evict(oldest, 'max_runs') : [];
  }

  /** Trees without an event for evictAfterMs of log time: the Map is in last-seen order, so only its head is looked at. */
  private sweep(): EndedRun[] {
    this.lastSweep = this.now;
    const ended: EndedRun[] = [];
    for (const tree of this.inFlight.values()) {
      if (this.now - tree.lastSeen < this.limits.evictAfterMs) break;
      ended.push(...this.evict(tree, 'age'));
    }
    return ended;
  }
}

function group(events: readonly LogEvent[]): LogEvent[][] {
  const byRun = new Map<string, LogEvent[]>();
  for (const e of events) {
    const list = byRun.get(e.run_id);
    if (list) list.push(e);
    else byRun.set(e.run_id, [e]);
  }
  return [...byRun.values()];
}
