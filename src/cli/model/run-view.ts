import type { RunLimit, TokenUsage } from '../../core/events/agent-event.js';
import type { LogEvent } from '../reading/log-event.js';

/** One step of a run, assembled from its agent_step / tool_call / *_result events. */
export interface StepView {
  step_index: number;
  kind: 'tool' | 'model';
  /** The tool's or the model's name. */
  name: string;
  span_id?: string;
  parent_span_id?: string;
  /** Epoch ms (wall clock, millisecond resolution): agent_step's timestamp, else result - latency. */
  start_ms: number;
  latency_ms?: number;
  /** `ok`, `error`, `cancelled`, or `in_flight` when no result was logged. */
  status: string;
  error_class?: string;
  error_message?: string;
  token_usage?: TokenUsage;
  finish_reason?: string;
}

/** One run with its steps, and its nested runs once the tree is built. */
export interface RunView {
  run_id: string;
  agent: string;
  parent_run_id?: string;
  span_id?: string;
  parent_span_id?: string;
  trace_id?: string;
  user_id?: string;
  request_id?: string;
  start: string;
  start_ms: number;
  /** start + total_latency_ms when finished, else the last event's time. */
  end_ms: number;
  /** `ok`, `error`, `cancelled`, or `unfinished`. */
  status: string;
  stop_reason?: string;
  total_steps: number;
  total_latency_ms?: number;
  tool_calls?: number;
  llm_calls?: number;
  errors: number;
  token_usage?: TokenUsage;
  /** token_usage is short: some model call reported no usage, or only part of it. */
  token_usage_partial?: boolean;
  first_error_step_index?: number;
  /** The error that ended the run, when its body threw. */
  error_class?: string;
  error_message?: string;
  /** The limit that stopped it (run_finished's `limit`). */
  limit?: RunLimit;
  steps: StepView[];
  children: RunView[];
  /**
   * Events this inspector does not fold into steps: the loop guard's
   * `loop_detected`, or one of a newer library version. Listed, never dropped.
   */
  notices: Notice[];
}

export interface Notice {
  event: string;
  seq: number;
  time: number;
  step_index?: number;
  tool?: string;
  /** For `loop_detected`: "3 identical calls in a row, refused". */
  detail?: string;
  /** For `loop_detected`: whether the guard only warned or also refused the call. */
  action?: 'warned' | 'refused';
}

/** A loop_detected event in words, from its fields (repeats, rule, action). */
function loopDetail(e: LogEvent): string | undefined {
  const rule = e.rule === 'consecutive' ? ' in a row' : e.rule === 'window' ? ' among the recent calls' : '';
  const action = e.action === 'refused' || e.action === 'warned' ? `, ${e.action}` : '';
  return e.repeats !== undefined ? `${e.repeats} identical calls${rule}${action}` : undefined;
}

/** Which step of its run an event belongs to: its span, else its step index. */
export function stepKey(e: LogEvent): string {
  return e.span_id ?? `#${e.step_index}`;
}

/** Assembles one run from its events (any order: they are sorted by seq). */
export function buildRunView(events: readonly LogEvent[]): RunView {
  const sorted = [...events].sort((a, b) => a.seq - b.seq || a.time - b.time);
  const first = sorted[0];
  const run: RunView = {
    run_id: first.run_id, agent: first.agent ?? '?', start: new Date(first.time).toISOString(), start_ms: first.time,
    end_ms: sorted.reduce((t, e) => Math.max(t, e.time), first.time), status: 'unfinished', total_steps: 0, errors: 0,
    steps: [], children: [], notices: [],
  };
  const steps = new Map<string, StepView>();
  const step = (e: LogEvent, kind: 'tool' | 'model'): StepView => {
    let s = steps.get(stepKey(e));
    if (!s) {
      s = {
        step_index: e.step_index ?? steps.size + 1, kind, name: (kind === 'tool' ? e.tool : e.model) ?? '?',
        span_id: e.span_id, parent_span_id: e.parent_span_id, start_ms: e.time, status: 'in_flight',
      };
      steps.set(stepKey(e), s);
    }
    return s;
  };
  for (const e of sorted) {
    switch (e.event) {
      case 'run_started':
        Object.assign(run, {
          agent: e.agent ?? run.agent, parent_run_id: e.parent_run_id, span_id: e.span_id, parent_span_id: e.parent_span_id,
          trace_id: e.trace_id, user_id: e.user_id, request_id: e.request_id, start: new Date(e.time).toISOString(), start_ms: e.time,
        });
        break;
      case 'agent_step': {
        const s = step(e, e.step_type === 'llm_call' || (e.model !== undefined && e.tool === undefined) ? 'model' : 'tool');
        s.start_ms = e.time;
        break;
      }
      case 'tool_call':
        step(e, 'tool');
        break;
      case 'tool_result':
      case 'llm_result': {
        const existed = steps.has(stepKey(e));
        const s = step(e, e.event === 'tool_result' ? 'tool' : 'model');
        if (!existed && e.latency_ms !== undefined) s.start_ms = e.time - e.latency_ms;
        Object.assign(s, {
          latency_ms: e.latency_ms, status: e.status ?? 'ok', error_class: e.error_class, error_message: e.error_message,
          token_usage: e.token_usage, finish_reason: e.finish_reason,
        });
        if (s.name === '?') s.name = (e.tool ?? e.model) ?? '?';
        break;
      }
      case 'run_finished':
        Object.assign(run, {
          status: e.status ?? 'error', stop_reason: e.stop_reason, total_steps: e.total_steps ?? steps.size,
          total_latency_ms: e.total_latency_ms, tool_calls: e.tool_calls, llm_calls: e.llm_calls, errors: e.errors ?? 0,
          token_usage: e.token_usage, token_usage_partial: e.token_usage_partial, first_error_step_index: e.first_error_step_index, error_class: e.error_class,
          error_message: e.error_message, limit: e.limit,
        });
        break;
      default:
        run.notices.push({
          event: e.event, seq: e.seq, time: e.time, step_index: e.step_index, tool: e.tool,
          ...(e.event === 'loop_detected'
            ? { detail: loopDetail(e), action: e.action === 'refused' || e.action === 'warned' ? e.action : undefined }
            : {}),
        });
    }
  }
  run.steps = [...steps.values()].sort((a, b) => a.start_ms - b.start_ms || a.step_index - b.step_index);
  if (run.status === 'unfinished') {
    run.total_steps = run.steps.length;
    run.errors = run.steps.filter((s) => s.status === 'error').length;
  }
  if (run.total_latency_ms !== undefined) run.end_ms = run.start_ms + run.total_latency_ms;
  return run;
}

/**
 * Nests runs under their parents: by parent_run_id, else (a run of another
 * service, called from inside a step with its traceparent) by the run or
 * step whose span is the run's parent_span_id. Runs whose parent is not in
 * the set are roots. Children are ordered by start time.
 */
export function nestRuns(runs: readonly RunView[]): RunView[] {
  const byId = new Map(runs.map((r) => [r.run_id, r]));
  const bySpan = new Map<string, RunView>();
  for (const run of runs) {
    if (run.span_id !== undefined) bySpan.set(run.span_id, run);
    for (const step of run.steps) if (step.span_id !== undefined) bySpan.set(step.span_id, run);
  }
  const parentOf = (run: RunView): RunView | undefined => {
    const byRun = run.parent_run_id !== undefined ? byId.get(run.parent_run_id) : undefined;
    if (byRun) return byRun;
    const bySpanId = run.parent_span_id !== undefined ? bySpan.get(run.parent_span_id) : undefined;
    return bySpanId !== run ? bySpanId : undefined;
  };
  const leadsBackTo = (run: RunView, from: RunView | undefined): boolean => {
    for (let at = from, hops = 0; at && hops <= runs.length; at = parentOf(at), hops++) {
      if (at === run) return true;
    }
    return false;
  };
  const roots: RunView[] = [];
  for (const run of runs) {
    const parent = parentOf(run);
    // A hostile log may make runs each other's parent: such a run is a root, never its own descendant.
    if (parent && !leadsBackTo(run, parent)) parent.children.push(run);
    else roots.push(run);
  }
  for (const run of runs) run.children.sort((a, b) => a.start_ms - b.start_ms);
  return roots.sort((a, b) => a.start_ms - b.start_ms);
}
