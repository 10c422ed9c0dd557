import type { AgentEvent, AgentEventName, StepStatus, TokenUsage } from '../events/agent-event.js';
import type { UnboundEvent } from '../events/build-event.js';
import type { EventRun, IntegrationHost } from '../integration.js';
import type { PriceTable } from '../pricing/price-table.js';
import { LabelCap } from './label-cap.js';

/**
 * What a metrics backend records, one call per event that counts: the same
 * facts for Prometheus and for OpenTelemetry, so the two never disagree on
 * what a run, a failure or a token is. Every name is already capped; latencies
 * are in seconds. Calls are positional: this runs on every step.
 */
export interface MetricRecorder {
  runStarted(agent: string): void;
  runFinished(agent: string, status: StepStatus, stopReason: string, seconds: number, steps: number, toolCalls: number, errorType: string | undefined): void;
  toolFinished(agent: string, tool: string, status: StepStatus, seconds: number, errorType: string | undefined): void;
  modelFinished(
    agent: string,
    model: string,
    status: StepStatus,
    seconds: number,
    usage: TokenUsage | undefined,
    costUsd: number | undefined,
    errorType: string | undefined,
    provider: string | undefined,
  ): void;
  loopDetected(agent: string, tool: string, action: 'warned' | 'refused'): void;
}

export interface MetricViewOptions {
  /** Distinct values kept per label (agent, tool, model, stop reason, error type); the rest count as `other`. */
  maxLabelValues: number;
  /** Prices for the cost counter; else the module's, else no cost. */
  prices?: PriceTable;
}

/** Default of `maxLabelValues`. */
export const DEFAULT_MAX_LABEL_VALUES = 50;

/**
 * Turns events into recorder calls: a metric counts what the events say and
 * nothing else (never a run, trace, request or user id). A run counts when it
 * starts and when it finishes, a step when its result is written, a loop when
 * `loop_detected` is.
 */
export class MetricView {
  private readonly agents: LabelCap;
  private readonly tools: LabelCap;
  private readonly models: LabelCap;
  private readonly reasons: LabelCap;
  private readonly errors: LabelCap;
  private prices?: PriceTable;

  constructor(
    private readonly recorder: MetricRecorder,
    options: MetricViewOptions,
  ) {
    const max = options.maxLabelValues;
    this.agents = new LabelCap(max);
    this.tools = new LabelCap(max);
    this.models = new LabelCap(max);
    this.reasons = new LabelCap(max);
    this.errors = new LabelCap(max);
    this.prices = options.prices;
  }

  /** The module's price table, when the integration was given none of its own. */
  attach(host: IntegrationHost): void {
    this.prices ??= host.prices;
  }

  onEvent(run: EventRun, event: UnboundEvent<AgentEventName>): void {
    const e = event as AgentEvent;
    switch (e.event) {
      case 'tool_result':
        this.recorder.toolFinished(this.agents.value(run.agent), this.tools.value(e.tool), e.status, e.latency_ms / 1000, this.errorType(e.error_class));
        return;
      case 'llm_result': {
        const model = this.models.value(e.model);
        const usage = e.token_usage;
        // Priced by the model the event names, before the cap folds it into `other`.
        const cost = usage && this.prices ? this.prices.cost(e.model, usage) : undefined;
        const provider = (e as { provider?: unknown }).provider;
        this.recorder.modelFinished(
          this.agents.value(run.agent),
          model,
          e.status,
          e.latency_ms / 1000,
          usage,
          cost,
          this.errorType(e.error_class),
          typeof provider === 'string' ? provider : undefined,
        );
        return;
      }
      case 'run_started':
        this.recorder.runStarted(this.agents.value(run.agent));
        return;
      case 'run_finished':
        this.recorder.runFinished(
          this.agents.value(run.agent),
          e.status,
          this.reasons.value(e.stop_reason),
          e.total_latency_ms / 1000,
          e.total_steps,
          e.tool_calls,
          this.errorType(e.error_class),
        );
        return;
      case 'loop_detected':
        this.recorder.loopDetected(this.agents.value(run.agent), this.tools.value(e.tool), e.action);
        return;
      default:
        return;
    }
  }

  private errorType(errorClass: string | undefined): string | undefined {
    return errorClass === undefined ? undefined : this.errors.value(errorClass);
  }
}
