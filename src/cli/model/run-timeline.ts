import { explainStop, type StopExplanation } from './explain-stop.js';
import type { RunView, StepView } from './run-view.js';

/**
 * Gaps shorter than this are not shown: step starts come from millisecond
 * timestamps, so a computed gap is only good to about a millisecond.
 */
const GAP_MIN_MS = 1;

interface RowBase {
  depth: number;
  /** Epoch ms on the shared axis. */
  start_ms: number;
  end_ms: number;
  run: RunView;
}
export interface RunRow extends RowBase {
  type: 'run';
  stop: StopExplanation;
}
export interface StepRow extends RowBase {
  type: 'step';
  step: StepView;
  /** The step the stop sentence points at. */
  failure: boolean;
}
/** Time inside a run spent outside any instrumented step. */
export interface GapRow extends RowBase {
  type: 'gap';
  ms: number;
}
export type TimelineRow = RunRow | StepRow | GapRow;

/**
 * Run trees laid out in time order on one axis: nested runs under the step
 * that started them, gaps between steps. Several roots (the runs of a request
 * or a trace) follow each other by start time.
 */
export interface Timeline {
  t0: number;
  t1: number;
  rows: TimelineRow[];
}

/** The rows of the root runs (depth 0), in start order. */
export function rootRows(timeline: Timeline): RunRow[] {
  return timeline.rows.filter((r): r is RunRow => r.type === 'run' && r.depth === 0);
}

type Item = { kind: 'step'; step: StepView; start: number; end: number } | { kind: 'run'; run: RunView; start: number; end: number };

/**
 * Positions are approximate by design: a step starts at its agent_step
 * timestamp (wall clock, ms resolution) and lasts its latency_ms (monotonic
 * clock, µs), so bars are exact in length and good to about 1 ms in position.
 */
export function buildTimeline(roots: readonly RunView[]): Timeline {
  const rows: TimelineRow[] = [];
  const visited = new Set<RunView>();
  for (const root of [...roots].sort((a, b) => a.start_ms - b.start_ms)) addRun(root, 0, rows, visited);
  const t0 = Math.min(...rows.map((r) => r.start_ms));
  const t1 = Math.max(...rows.map((r) => r.end_ms));
  return { t0, t1: Math.max(t1, t0 + 0.001), rows };
}

function stepEnd(step: StepView, run: RunView): number {
  return step.latency_ms !== undefined ? step.start_ms + step.latency_ms : Math.max(run.end_ms, step.start_ms);
}

function addRun(run: RunView, depth: number, rows: TimelineRow[], visited: Set<RunView>) {
  if (visited.has(run)) return; // a hostile log may make runs each other's parent
  visited.add(run);
  const stop = explainStop(run);
  rows.push({ type: 'run', depth, start_ms: run.start_ms, end_ms: Math.max(run.end_ms, run.start_ms), run, stop });

  const stepSpans = new Set(run.steps.map((s) => s.span_id).filter((s) => s !== undefined));
  const under = new Map<string | undefined, Item[]>();
  const place = (parentSpan: string | undefined, item: Item) => {
    const key = parentSpan !== undefined && stepSpans.has(parentSpan) ? parentSpan : undefined;
    const list = under.get(key);
    if (list) list.push(item);
    else under.set(key, [item]);
  };
  for (const step of run.steps) place(step.parent_span_id, { kind: 'step', step, start: step.start_ms, end: stepEnd(step, run) });
  for (const child of run.children) place(child.parent_span_id, { kind: 'run', run: child, start: child.start_ms, end: child.end_ms });

  const addItems = (items: Item[], d: number, withGaps: boolean) => {
    items.sort((a, b) => a.start - b.start);
    let cursor = run.start_ms;
    for (const item of items) {
      if (withGaps) addGap(rows, run, d, cursor, item.start);
      cursor = Math.max(cursor, item.end);
      if (item.kind === 'run') {
        addRun(item.run, d, rows, visited);
        continue;
      }
      const failure = item.step.step_index === stop.failure_step_index;
      rows.push({ type: 'step', depth: d, start_ms: item.start, end_ms: item.end, run, step: item.step, failure });
      const nested = item.step.span_id !== undefined ? under.get(item.step.span_id) : undefined;
      if (nested) addItems(nested, d + 1, false);
    }
    if (withGaps && run.stop_reason !== undefined) addGap(rows, run, d, cursor, run.end_ms);
  };
  addItems(under.get(undefined) ?? [], depth + 1, true);
}

function addGap(rows: TimelineRow[], run: RunView, depth: number, from: number, to: number) {
  const ms = to - from;
  if (ms >= GAP_MIN_MS) rows.push({ type: 'gap', depth, start_ms: from, end_ms: to, run, ms: Math.round(ms * 1000) / 1000 });
}
