import type { Counter, Gauge, Histogram } from 'prom-client';
import type { StepStatus, TokenUsage } from '../core/events/agent-event.js';
import type { MetricRecorder } from '../core/metrics/metric-view.js';

export interface PrometheusInstruments {
  runsStarted: Counter;
  runs: Counter;
  runsInFlight: Gauge;
  runDuration: Histogram;
  runSteps: Histogram;
  runToolCalls: Histogram;
  toolCalls: Counter;
  toolDuration: Histogram;
  llmCalls: Counter;
  llmDuration: Histogram;
  llmTokens: Counter;
  llmCost: Counter;
  loops: Counter;
  dropped: Counter;
}

/** The token kinds of `llm_tokens_total`, from `token_usage`; an unknown count is not counted as 0. */
const TOKEN_KINDS = [
  ['input', 'input_tokens'],
  ['output', 'output_tokens'],
  ['cache_read', 'cache_read_tokens'],
  ['cache_write', 'cache_creation_tokens'],
  ['reasoning', 'reasoning_tokens'],
] as const;

/** Records the metric view's facts on prom-client instruments. */
export class PrometheusRecorder implements MetricRecorder {
  constructor(private readonly m: PrometheusInstruments) {}

  runStarted(agent: string): void {
    this.m.runsStarted.inc({ agent });
    this.m.runsInFlight.inc({ agent });
  }

  runFinished(agent: string, status: StepStatus, stopReason: string, seconds: number, steps: number, toolCalls: number): void {
    const m = this.m;
    m.runsInFlight.dec({ agent });
    m.runs.inc({ agent, status, stop_reason: stopReason });
    m.runDuration.observe({ agent, status }, seconds);
    m.runSteps.observe({ agent }, steps);
    m.runToolCalls.observe({ agent }, toolCalls);
  }

  toolFinished(agent: string, tool: string, status: StepStatus, seconds: number): void {
    this.m.toolCalls.inc({ agent, tool, status });
    this.m.toolDuration.observe({ tool, status }, seconds);
  }

  modelFinished(agent: string, model: string, status: StepStatus, seconds: number, usage: TokenUsage | undefined, costUsd: number | undefined): void {
    const m = this.m;
    m.llmCalls.inc({ agent, model, status });
    m.llmDuration.observe({ model, status }, seconds);
    if (usage) {
      for (const [kind, field] of TOKEN_KINDS) {
        const count = usage[field];
        if (count !== undefined && count > 0) m.llmTokens.inc({ agent, model, kind }, count);
      }
    }
    if (costUsd !== undefined && costUsd > 0) m.llmCost.inc({ agent, model }, costUsd);
  }

  loopDetected(agent: string, tool: string, action: 'warned' | 'refused'): void {
    this.m.loops.inc({ agent, tool, action });
  }
}
