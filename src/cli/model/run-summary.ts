import type { PriceTable } from '../../core/pricing/price-table.js';
import { addCounts, type LogEvent } from '../reading/log-event.js';
import { budgetStop, type BudgetStop } from './budget-stop.js';

/** One row of `runs`: what a run was, without its steps. */
export interface RunSummary {
  run_id: string;
  agent: string;
  parent_run_id?: string;
  /** ISO 8601: run_started's timestamp, else the earliest event seen. */
  start: string;
  start_ms: number;
  user_id?: string;
  request_id?: string;
  trace_id?: string;
  /** `ok`, `error`, `cancelled`, or `unfinished` when no run_finished was found. */
  status: string;
  stop_reason?: string;
  steps: number;
  /** total_latency_ms (monotonic) when finished. */
  latency_ms?: number;
  /** Token counts, absent when no model call reported them. */
  tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  /** run_finished said its token_usage is short: some model call reported no usage, or only part of it. */
  tokens_partial?: boolean;
  errors: number;
  /** The first failed step: where to look. */
  first_error?: { step_index: number; kind: 'tool' | 'model'; name: string; error_class?: string };
  /** With a price table: the summed cost of the run's model calls, in USD. */
  cost_usd?: number;
  /** The loop guard's loop_detected events in the run: how many, the tool (the refused one first), whether a call was refused. */
  loops?: { count: number; tool: string; refused: boolean };
  /** A budget_exceeded run: the limit it spent, when the error it threw says. */
  budget?: BudgetStop;
}

/**
 * Builds run summaries incrementally from a stream of events, holding one
 * small object per run, never the events themselves.
 */
export class RunSummaries {
  readonly byId = new Map<string, RunSummary>();

  constructor(private readonly prices?: PriceTable) {}

  add(e: LogEvent): RunSummary {
    let run = this.byId.get(e.run_id);
    if (!run) {
      run = {
        run_id: e.run_id, agent: e.agent ?? '?', start: new Date(e.time).toISOString(), start_ms: e.time,
        status: 'unfinished', steps: 0, errors: 0,
      };
      this.byId.set(e.run_id, run);
    }
    if (e.time < run.start_ms && e.event !== 'run_finished') {
      run.start_ms = e.time;
      run.start = new Date(e.time).toISOString();
    }
    switch (e.event) {
      case 'run_started':
        run.start_ms = e.time;
        run.start = new Date(e.time).toISOString();
        if (e.agent) run.agent = e.agent;
        run.parent_run_id = e.parent_run_id;
        run.user_id = e.user_id;
        run.request_id = e.request_id;
        run.trace_id = e.trace_id;
        break;
      case 'agent_step':
        if (run.status === 'unfinished') run.steps = Math.max(run.steps, e.step_index ?? run.steps + 1);
        break;
      case 'tool_result':
      case 'llm_result':
        this.addStepResult(run, e);
        break;
      case 'loop_detected': {
        const refused = e.action === 'refused';
        const loops = run.loops ?? { count: 0, tool: e.tool ?? '?', refused };
        loops.count++;
        if (refused && !loops.refused) Object.assign(loops, { tool: e.tool ?? '?', refused });
        run.loops = loops;
        break;
      }
      case 'run_finished':
        if (e.stop_reason === 'budget_exceeded') run.budget = budgetStop(e);
        run.status = e.status ?? 'error';
        run.stop_reason = e.stop_reason;
        run.steps = e.total_steps ?? run.steps;
        run.latency_ms = e.total_latency_ms;
        run.errors = e.errors ?? run.errors;
        if (e.token_usage) {
          run.tokens = e.token_usage.total_tokens;
          run.input_tokens = e.token_usage.input_tokens;
          run.output_tokens = e.token_usage.output_tokens;
          if (e.token_usage_partial === true) run.tokens_partial = true;
        }
        break;
    }
    return run;
  }

  private addStepResult(run: RunSummary, e: LogEvent) {
    const isTool = e.event === 'tool_result';
    if (e.status === 'error') {
      if (run.status === 'unfinished') run.errors++;
      if (!run.first_error || (e.step_index ?? Infinity) < run.first_error.step_index) {
        run.first_error = {
          step_index: e.step_index ?? 0,
          kind: isTool ? 'tool' : 'model',
          name: (isTool ? e.tool : e.model) ?? '?',
          error_class: e.error_class,
        };
      }
    }
    if (!isTool && e.token_usage) {
      if (run.status === 'unfinished') {
        run.tokens = addCounts(run.tokens, e.token_usage.total_tokens);
        run.input_tokens = addCounts(run.input_tokens, e.token_usage.input_tokens);
        run.output_tokens = addCounts(run.output_tokens, e.token_usage.output_tokens);
      }
      const cost = this.prices?.cost(e.model, e.token_usage);
      if (cost !== undefined) run.cost_usd = (run.cost_usd ?? 0) + cost;
    }
  }
}
