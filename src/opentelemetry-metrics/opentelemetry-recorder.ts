import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { StepStatus, TokenUsage } from '../core/events/agent-event.js';
import { CALL_SECONDS_BUCKETS, RUN_SECONDS_BUCKETS, STEPS_PER_RUN_BUCKETS, TOKEN_BUCKETS } from '../core/metrics/buckets.js';
import { Family, type Cell } from '../core/metrics/metric-families.js';
import type { MetricRecorder } from '../core/metrics/metric-view.js';
import { ATTR, CHAT_OPERATION, METRIC, UNKNOWN_MODALITY } from './genai-metric-names.js';

/** A cell with its attributes object made once: the SDK is handed the same object on every call. */
interface AttributeCell extends Cell {
  readonly attributes: Attributes;
  value: number;
}

/** Cells keyed by attribute values; an empty value leaves its attribute out (`error.type` on success). */
class Attributed extends Family<AttributeCell> {
  constructor(keys: readonly string[], fixed: Attributes = {}) {
    super(keys, (labels) => {
      const attributes: Attributes = { ...fixed };
      keys.forEach((key, i) => {
        if (labels[i] !== '') attributes[key] = labels[i];
      });
      return { labels, attributes, value: 0 };
    });
  }
}

const histogram = (meter: Meter, name: string, unit: string, description: string, buckets: readonly number[]): Histogram =>
  meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: [...buckets] } });

/**
 * Records the metric view's facts through the OpenTelemetry metrics API,
 * named by the GenAI conventions. Counts are kept in cells and reported by
 * asynchronous (observable) instruments when the SDK collects, the API's way
 * for values already aggregated; durations and token distributions go to
 * synchronous histograms, with attributes objects made once per combination.
 */
export class OpenTelemetryRecorder implements MetricRecorder {
  private readonly runs = new Attributed([ATTR.agentName, ATTR.runStatus, ATTR.stopReason]);
  private readonly runsActive = new Attributed([ATTR.agentName]);
  private readonly loops = new Attributed([ATTR.agentName, ATTR.toolName, ATTR.loopAction]);
  /** Per model call: the operation's attributes, with the token counters beside them. */
  private readonly calls = new Attributed([ATTR.requestModel, ATTR.providerName], { [ATTR.operationName]: CHAT_OPERATION });
  private readonly callErrors = new Attributed([ATTR.requestModel, ATTR.providerName, ATTR.errorType], { [ATTR.operationName]: CHAT_OPERATION });
  private readonly tokens: Record<'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning', Attributed>;
  private readonly cost = new Attributed([ATTR.requestModel, ATTR.providerName], { [ATTR.operationName]: CHAT_OPERATION });
  private readonly tools = new Attributed([ATTR.toolName, ATTR.agentName, ATTR.errorType]);
  private readonly agents = new Attributed([ATTR.agentName, ATTR.errorType]);
  private readonly agentDuration: Histogram;
  private readonly runSteps: Histogram;
  private readonly toolDuration: Histogram;
  private readonly operationDuration: Histogram;
  private readonly operationInput: Histogram;
  private readonly operationOutput: Histogram;

  constructor(meter: Meter, runBuckets: readonly number[] = RUN_SECONDS_BUCKETS, callBuckets: readonly number[] = CALL_SECONDS_BUCKETS) {
    const spent = [ATTR.requestModel, ATTR.providerName];
    const modality = { [ATTR.operationName]: CHAT_OPERATION, [ATTR.tokenModality]: UNKNOWN_MODALITY };
    this.tokens = {
      input: new Attributed(spent, modality),
      output: new Attributed(spent, modality),
      cacheRead: new Attributed(spent, modality),
      cacheWrite: new Attributed(spent, modality),
      reasoning: new Attributed(spent, modality),
    };
    const observe = (cells: Attributed) => (result: { observe(value: number, attributes: Attributes): void }) => {
      for (const cell of cells.cells) result.observe(cell.value, cell.attributes);
    };
    meter.createObservableCounter(METRIC.runs, { unit: '{run}', description: 'Agent runs finished, by status and stop reason.' }).addCallback(observe(this.runs));
    meter.createObservableUpDownCounter(METRIC.runsActive, { unit: '{run}', description: 'Agent runs started and not yet finished.' }).addCallback(observe(this.runsActive));
    meter.createObservableCounter(METRIC.loops, { unit: '{loop}', description: 'Loops the loop guard detected, by action (warned, refused).' }).addCallback(observe(this.loops));
    meter.createObservableCounter(METRIC.cost, { unit: 'USD', description: 'Cost of model calls in USD, from the price table.' }).addCallback(observe(this.cost));
    const tokenCounter = (name: string, description: string, cells: Attributed) =>
      meter.createObservableCounter(name, { unit: '{token}', description }).addCallback(observe(cells));
    tokenCounter(METRIC.inputTokens, 'Input tokens used, cache reads and writes included.', this.tokens.input);
    tokenCounter(METRIC.outputTokens, 'Output tokens used, reasoning included.', this.tokens.output);
    tokenCounter(METRIC.cacheReadTokens, "Input tokens served from the provider's cache.", this.tokens.cacheRead);
    tokenCounter(METRIC.cacheWriteTokens, "Input tokens written to the provider's cache.", this.tokens.cacheWrite);
    tokenCounter(METRIC.reasoningTokens, 'Output tokens used for reasoning.', this.tokens.reasoning);
    this.agentDuration = histogram(meter, METRIC.agentDuration, 's', 'The end-to-end duration of one agent run.', runBuckets);
    this.runSteps = histogram(meter, METRIC.runSteps, '{step}', 'Steps (tool and model calls) per finished run.', STEPS_PER_RUN_BUCKETS);
    this.toolDuration = histogram(meter, METRIC.toolDuration, 's', 'The duration of one tool call.', callBuckets);
    this.operationDuration = histogram(meter, METRIC.operationDuration, 's', 'The duration of one model call.', callBuckets);
    this.operationInput = histogram(meter, METRIC.operationInputTokens, '{token}', 'Input tokens per model call.', TOKEN_BUCKETS);
    this.operationOutput = histogram(meter, METRIC.operationOutputTokens, '{token}', 'Output tokens per model call.', TOKEN_BUCKETS);
  }

  runStarted(agent: string): void {
    this.runsActive.cell(agent).value += 1;
  }

  runFinished(agent: string, status: StepStatus, stopReason: string, seconds: number, steps: number, _toolCalls: number, errorType: string | undefined): void {
    const active = this.runsActive.cell(agent);
    active.value -= 1;
    this.runs.cell(agent, status, stopReason).value += 1;
    this.agentDuration.record(seconds, this.agents.cell(agent, errorOf(status, errorType)).attributes);
    this.runSteps.record(steps, active.attributes);
  }

  toolFinished(agent: string, tool: string, status: StepStatus, seconds: number, errorType: string | undefined): void {
    this.toolDuration.record(seconds, this.tools.cell(tool, agent, errorOf(status, errorType)).attributes);
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
    const by = provider ?? '';
    const call = this.calls.cell(model, by);
    const error = errorOf(status, errorType);
    this.operationDuration.record(seconds, error === '' ? call.attributes : this.callErrors.cell(model, by, error).attributes);
    // The conventions ask for a count on every call, 0 when no usage came back.
    const t = this.tokens;
    t.input.cell(model, by).value += usage?.input_tokens ?? 0;
    t.output.cell(model, by).value += usage?.output_tokens ?? 0;
    if (usage) {
      if (usage.cache_read_tokens !== undefined) t.cacheRead.cell(model, by).value += usage.cache_read_tokens;
      if (usage.cache_creation_tokens !== undefined) t.cacheWrite.cell(model, by).value += usage.cache_creation_tokens;
      if (usage.reasoning_tokens !== undefined) t.reasoning.cell(model, by).value += usage.reasoning_tokens;
      // A histogram records what a call reported; an unknown count is no sample.
      if (usage.input_tokens !== undefined) this.operationInput.record(usage.input_tokens, call.attributes);
      if (usage.output_tokens !== undefined) this.operationOutput.record(usage.output_tokens, call.attributes);
    }
    if (costUsd !== undefined && costUsd > 0) this.cost.cell(model, by).value += costUsd;
  }

  loopDetected(agent: string, tool: string, action: 'warned' | 'refused'): void {
    this.loops.cell(agent, tool, action).value += 1;
  }
}

/** `error.type` only for a failure (the conventions' rule): its class name, capped like every label; '' for none. */
const errorOf = (status: StepStatus, errorType: string | undefined): string => (status === 'error' ? (errorType ?? '_OTHER') : '');
