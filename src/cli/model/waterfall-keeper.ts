import type { LogEvent } from '../reading/log-event.js';
import { buildRunView, nestRuns, type RunView } from './run-view.js';

interface Group {
  root: string;
  events: LogEvent[];
  failed: boolean;
}

/**
 * For `html --all`: keeps the events of at most `limit` run trees (a root run
 * and its nested runs), so the page can draw their waterfalls while memory
 * stays bounded by `limit` plus the runs in flight. Failed trees are kept
 * first: when the page is full, a failed tree evicts the oldest successful one.
 */
export class WaterfallKeeper {
  private readonly rootOf = new Map<string, string>();
  private readonly inFlight = new Map<string, Group>();
  private readonly kept: Group[] = [];
  /** Trees finished but not drawn because the page was full. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  add(e: LogEvent): void {
    if (e.event === 'run_started' && !this.rootOf.has(e.run_id)) {
      const parentRoot = e.parent_run_id !== undefined ? this.rootOf.get(e.parent_run_id) : undefined;
      this.rootOf.set(e.run_id, parentRoot !== undefined && this.inFlight.has(parentRoot) ? parentRoot : e.run_id);
    }
    const root = this.rootOf.get(e.run_id) ?? e.run_id;
    if (!this.rootOf.has(e.run_id)) this.rootOf.set(e.run_id, root);
    let group = this.inFlight.get(root);
    if (!group) {
      if (this.kept.some((g) => g.root === root)) return; // a late event of a tree already finished
      group = { root, events: [], failed: false };
      this.inFlight.set(root, group);
    }
    group.events.push(e);
    if (e.event !== 'run_finished') return;
    if (e.status !== 'ok' || (e.errors ?? 0) > 0) group.failed = true;
    if (e.run_id !== root) return;
    this.inFlight.delete(root);
    for (const [run, r] of this.rootOf) if (r === root) this.rootOf.delete(run);
    this.keep(group);
  }

  private keep(group: Group) {
    if (this.kept.length < this.limit) {
      this.kept.push(group);
      return;
    }
    const evictable = group.failed ? this.kept.findIndex((g) => !g.failed) : -1;
    if (evictable === -1) {
      this.dropped++;
      return;
    }
    this.kept.splice(evictable, 1);
    this.kept.push(group);
    this.dropped++;
  }

  /** The kept trees (and those never finished) with their events, roots in start order. */
  trees(): { root: RunView; events: LogEvent[] }[] {
    const groups = [...this.kept, ...this.inFlight.values()];
    const out: { root: RunView; events: LogEvent[] }[] = [];
    for (const group of groups) {
      const byRun = new Map<string, LogEvent[]>();
      for (const e of group.events) {
        const list = byRun.get(e.run_id);
        if (list) list.push(e);
        else byRun.set(e.run_id, [e]);
      }
      // A group whose root never showed may hold several roots: each is drawn with its own events.
      for (const root of nestRuns([...byRun.values()].map(buildRunView))) {
        const ids = new Set<string>();
        const walk = (run: RunView) => {
          ids.add(run.run_id);
          run.children.forEach(walk);
        };
        walk(root);
        out.push({ root, events: group.events.filter((e) => ids.has(e.run_id)) });
      }
    }
    return out.sort((a, b) => a.root.start_ms - b.root.start_ms);
  }
}
