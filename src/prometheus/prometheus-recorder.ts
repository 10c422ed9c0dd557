import type { StepStatus, TokenUsage } from '../core/events/agent-event.js';
import { HistogramFamily, ValueFamily } from '../core/metrics/metric-families.js';
import type { MetricRecorder } from '../core/metrics/metric-view.js';
import { STEPS_PER_RUN_BUCKETS } from '../core/metrics/buckets.js';

/** The token kinds of `llm_tokens_total`, from `token_usage`; an unknown count is not counted as 0. */
const TOKEN_KINDS = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cache_read', 'cache_read_tokens'],
  ['cache_write', 'cache_creation_tokens'],
  ['reasoning', 'reasoning_tokens'],
] as const;

/** The cells of every Prometheus metric, by role; their names and help are in prometheus-metrics.ts. */
export class PrometheusFamilies {
  readonly runsStarted = new ValueFamily(['agent']);
  readonly runs = new ValueFamily(['agent', 'status', 'stop_reason']);
  readonly runsInFlight = new ValueFamily(['agent']);
  readonly runDuration: HistogramFamily;
  readonly runSteps = new HistogramFamily(['agent'], STEPS_PER_RUN_BUCKETS);
  readonly runToolCalls = new HistogramFamily(['agent'], STEPS_PER_RUN_BUCKETS);
  readonly toolCalls = new ValueFamily(['agent', 'tool', 'status']);
  readonly toolDuration: HistogramFamily;
  readonly llmCalls = new ValueFamily(['agent', 'model', 'status']);
  readonly llmDuration: HistogramFamily;
  readonly llmTokens = new ValueFamily(['agent', 'model', 'kind']);
  readonly llmCost = new ValueFamily(['agent', 'model']);
  readonly loops = new ValueFamily(['agent', 'tool', 'action']);

  constructor(runBuckets: readonly number[], callBuckets: readonly number[]) {
    this.runDuration = new HistogramFamily(['agent', 'status'], runBuckets);
    this.toolDuration = new HistogramFamily(['tool', 'status'], callBuckets);
    this.llmDuration = new HistogramFamily(['model', 'status'], callBuckets);
  }
}

/** Records the metric view's facts in the Prometheus families' cells. */
export class PrometheusRecorder implements MetricRecorder {
  constructor(private readonly f: PrometheusFamilies) {}

  runStarted(agent: string): void {
    this.f.runsStarted.cell(agent).value += 1;
    this.f.runsInFlight.cell(agent).value += 1;
  }

  runFinished(agent: string, status: StepStatus, stopReason: string, seconds: number, steps: number, toolCalls: number): void {
    const f = this.f;
    f.runsInFlight.cell(agent).value -= 1;
    f.runs.cell(agent, status, stopReason).value += 1;
    f.runDuration.observe(f.runDuration.cell(agent, status), seconds);
    f.runSteps.observe(f.runSteps.cell(agent), steps);
    f.runToolCalls.observe(f.runToolCalls.cell(agent), toolCalls);
  }

  toolFinished(agent: string, tool: string, status: StepStatus, seconds: number): void {
    const f = this.f;
    f.toolCalls.cell(agent, tool, status).value += 1;
    f.toolDuration.observe(f.toolDuration.cell(tool, status), seconds);
  }

  modelFinished(agent: string, model: string, status: StepStatus, seconds: number, usage: TokenUsage | undefined, costUsd: number | undefined): void {
    const f = this.f;
    f.llmCalls.cell(agent, model, status).value += 1;
    f.llmDuration.observe(f.llmDuration.cell(model, status), seconds);
    if (usage) {
      for (const [kind, field] of TOKEN_KINDS) {
        const count = usage[field];
        if (count !== undefined && count > 0) f.llmTokens.cell(agent, model, kind).value += count;
      }
    }
    if (costUsd !== undefined && costUsd > 0) f.llmCost.cell(agent, model).value += costUsd;
  }

  loopDetected(agent: string, tool: string, action: 'warned' | 'refused'): void {
    this.f.loops.cell(agent, tool, action).value += 1;
  }
}
