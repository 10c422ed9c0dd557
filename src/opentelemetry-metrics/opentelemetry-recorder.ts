import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import type { StepStatus, TokenUsage } from '../core/events/agent-event.js';
import { CALL_SECONDS_BUCKETS, RUN_SECONDS_BUCKETS, STEPS_PER_RUN_BUCKETS, TOKEN_BUCKETS } from '../core/metrics/buckets.js';
import type { MetricRecorder } from '../core/metrics/metric-view.js';
import { ATTR, CHAT_OPERATION, METRIC, UNKNOWN_MODALITY } from './genai-metric-names.js';

const histogram = (meter: Meter, name: string, unit: string, description: string, buckets: readonly number[]): Histogram =>
  meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: [...buckets] } });

/** Records the metric view's facts on OpenTelemetry instruments, named by the GenAI conventions. */
export class OpenTelemetryRecorder implements MetricRecorder {
  private readonly runs: Counter;
  private readonly runsActive: UpDownCounter;
  private readonly agentDuration: Histogram;
  private readonly runSteps: Histogram;
  private readonly toolDuration: Histogram;
  private readonly operationDuration: Histogram;
  private readonly tokens: Record<'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning', Counter>;
  private readonly operationInput: Histogram;
  private readonly operationOutput: Histogram;
  private readonly cost: Counter;
  private readonly loops: Counter;

  constructor(meter: Meter, runBuckets: readonly number[] = RUN_SECONDS_BUCKETS, callBuckets: readonly number[] = CALL_SECONDS_BUCKETS) {
    this.runs = meter.createCounter(METRIC.runs, { unit: '{run}', description: 'Agent runs finished, by status and stop reason.' });
    this.runsActive = meter.createUpDownCounter(METRIC.runsActive, { unit: '{run}', description: 'Agent runs started and not yet finished.' });
    this.agentDuration = histogram(meter, METRIC.agentDuration, 's', 'The end-to-end duration of one agent run.', runBuckets);
    this.runSteps = histogram(meter, METRIC.runSteps, '{step}', 'Steps (tool and model calls) per finished run.', STEPS_PER_RUN_BUCKETS);
    this.toolDuration = histogram(meter, METRIC.toolDuration, 's', 'The duration of one tool call.', callBuckets);
    this.operationDuration = histogram(meter, METRIC.operationDuration, 's', 'The duration of one model call.', callBuckets);
    const tokens = (name: string, description: string) => meter.createCounter(name, { unit: '{token}', description });
    this.tokens = {
      input: tokens(METRIC.inputTokens, 'Input tokens used, cache reads and writes included.'),
      output: tokens(METRIC.outputTokens, 'Output tokens used, reasoning included.'),
      cacheRead: tokens(METRIC.cacheReadTokens, 'Input tokens served from the provider\'s cache.'),
      cacheWrite: tokens(METRIC.cacheWriteTokens, 'Input tokens written to the provider\'s cache.'),
      reasoning: tokens(METRIC.reasoningTokens, 'Output tokens used for reasoning.'),
    };
    this.operationInput = histogram(meter, METRIC.operationInputTokens, '{token}', 'Input tokens per model call.', TOKEN_BUCKETS);
    this.operationOutput = histogram(meter, METRIC.operationOutputTokens, '{token}', 'Output tokens per model call.', TOKEN_BUCKETS);
    this.cost = meter.createCounter(METRIC.cost, { unit: 'USD', description: 'Cost of model calls in USD, from the price table.' });
    this.loops = meter.createCounter(METRIC.loops, { unit: '{loop}', description: 'Loops the loop guard detected, by action (warned, refused).' });
  }

  runStarted(agent: string): void {
    this.runsActive.add(1, { [ATTR.agentName]: agent });
  }

  runFinished(agent: string, status: StepStatus, stopReason: string, seconds: number, steps: number, _toolCalls: number, errorType: string | undefined): void {
    const byAgent = { [ATTR.agentName]: agent };
    this.runsActive.add(-1, byAgent);
    this.runs.add(1, { ...byAgent, [ATTR.runStatus]: status, [ATTR.stopReason]: stopReason });
    this.agentDuration.record(seconds, withError(byAgent, status, errorType));
    this.runSteps.record(steps, byAgent);
  }

  toolFinished(agent: string, tool: string, status: StepStatus, seconds: number, errorType: string | undefined): void {
    this.toolDuration.record(seconds, withError({ [ATTR.toolName]: tool, [ATTR.agentName]: agent }, status, errorType));
  }

  modelFinished(
    _agent: string,
    model: string,
    status: StepStatus,
    seconds: number,
    usage: TokenUsage | undefined,
    costUsd: number | undefined,
    errorType: string | undefined,
    provider: string | undefined,
  ): void {
    const call: Attributes = { [ATTR.operationName]: CHAT_OPERATION, [ATTR.requestModel]: model };
    if (provider !== undefined) call[ATTR.providerName] = provider;
    this.operationDuration.record(seconds, withError(call, status, errorType));
    // The conventions ask for a count on every call, 0 when no usage came back.
    const spent = { ...call, [ATTR.tokenModality]: UNKNOWN_MODALITY };
    this.tokens.input.add(usage?.input_tokens ?? 0, spent);
    this.tokens.output.add(usage?.output_tokens ?? 0, spent);
    if (usage) {
      if (usage.cache_read_tokens !== undefined) this.tokens.cacheRead.add(usage.cache_read_tokens, spent);
      if (usage.cache_creation_tokens !== undefined) this.tokens.cacheWrite.add(usage.cache_creation_tokens, spent);
      if (usage.reasoning_tokens !== undefined) this.tokens.reasoning.add(usage.reasoning_tokens, spent);
      this.operationInput.record(usage.input_tokens, call);
      this.operationOutput.record(usage.output_tokens, call);
    }
    if (costUsd !== undefined && costUsd > 0) this.cost.add(costUsd, call);
  }

  loopDetected(agent: string, tool: string, action: 'warned' | 'refused'): void {
    this.loops.add(1, { [ATTR.agentName]: agent, [ATTR.toolName]: tool, [ATTR.loopAction]: action });
  }
}

/** `error.type` only for a failure (the conventions' rule); its class name, capped like every label. */
function withError(attributes: Attributes, status: StepStatus, errorType: string | undefined): Attributes {
  return status === 'error' ? { ...attributes, [ATTR.errorType]: errorType ?? '_OTHER' } : attributes;
}
