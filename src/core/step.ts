import { elapsedMs, monotonicNow } from './clock.js';
import { describeError } from './describe-error.js';
import type { StepStatus, TokenUsage } from './events/agent-event.js';
import { callSubject } from './hashing/hasher.js';
import { newSpanId } from './ids.js';
import type { Engine } from './engine.js';
import type { Outcome, Span } from './outcome.js';
import type { Run } from './run.js';
import type { Frame, RequestScope } from './run-context.js';
import type { StepSpec } from './specs.js';
import { extractFinishReason, extractResponseModel, normalizeTokenUsage } from './token-usage.js';

/**
 * One tool or model call inside a run: agent_step and tool_call when it
 * starts, tool_result or llm_result when it ends. Also the frame the call
 * executes in: its run, its own span, its run's request.
 */
export class Step implements Span, Frame {
  readonly spanId = newSpanId();
  private readonly startedAt = monotonicNow();
  private done = false;
  /** For streamed model calls: the last chunk that reported usage. */
  private streamedUsage?: TokenUsage;
  private streamedFinish?: string;
  private streamedModel?: string;

  constructor(
    readonly run: Run,
    readonly spec: StepSpec,
    readonly index: number,
    readonly parentSpanId: string | undefined,
    args: readonly unknown[],
  ) {
    const spanId = this.spanId;
    const subject = callSubject(args);
    if (spec.kind === 'tool') {
      run.emit('info', 'agent_step', spanId, parentSpanId, { step_index: index, step_type: 'tool_call', tool: spec.tool });
      const args_ = run.engine.hash(subject);
      run.emit('info', 'tool_call', spanId, parentSpanId, {
        tool: spec.tool,
        step_index: index,
        args_hash: args_.hash,
        args_truncated: args_.truncated || undefined,
        args: run.engine.capture('args', subject),
      });
    } else {
      const prompt = run.engine.capture('prompts', subject);
      run.emit('info', 'agent_step', spanId, parentSpanId, { step_index: index, step_type: 'llm_call', model: spec.model, prompt });
    }
  }

  get request(): RequestScope | undefined {
    return this.run.request;
  }

  get engine(): Engine {
    return this.run.engine;
  }

  observe(item: unknown): void {
    if (this.spec.kind !== 'llm') return;
    const usage = this.readUsage(item);
    if (usage) this.streamedUsage = usage;
    this.streamedFinish = extractFinishReason(item) ?? this.streamedFinish;
    this.streamedModel ??= extractResponseModel(item);
  }

  end(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    this.run.stepEnded(this);
    if (this.run.isClosed) return; // the run ended first and closed this step as cancelled
    try {
      this.finish(outcome);
    } catch (err) {
      this.run.engine.dropped(err);
    }
  }

  private finish(outcome: Outcome): void {
    const { run, spec } = this;
    const status: StepStatus = outcome.type;
    const error = outcome.type === 'error' ? describeError(outcome.error, run.engine.scrub) : undefined;
    const level = status === 'error' ? 'error' : 'info';
    const common = { step_index: this.index, latency_ms: elapsedMs(this.startedAt), status, ...error };
    if (spec.kind === 'tool') {
      // A stream's outcome carries no value (its items are not the result), nor
      // does a void tool: a hash of nothing would be the same for every one of them.
      const hashable = outcome.type === 'ok' && outcome.value !== undefined && run.engine.hashResults;
      const result = hashable ? run.engine.hash(outcome.value) : undefined;
      run.emit(level, 'tool_result', this.spanId, this.parentSpanId, {
        tool: spec.tool,
        ...common,
        result_hash: result?.hash,
        result_truncated: result?.truncated || undefined,
        result: outcome.type === 'ok' ? run.engine.capture('results', outcome.value) : undefined,
      });
    } else {
      const value = outcome.type === 'ok' ? outcome.value : undefined;
      const usage = this.streamedUsage ?? this.readUsage(value);
      run.emit(level, 'llm_result', this.spanId, this.parentSpanId, {
        model: spec.model ?? extractResponseModel(value) ?? this.streamedModel ?? spec.fallbackModel,
        ...common,
        token_usage: usage,
        finish_reason: extractFinishReason(value) ?? this.streamedFinish,
        output: run.engine.capture('outputs', value),
      });
      if (usage) run.addUsage(usage);
    }
    if (outcome.type === 'error') run.recordFailure(this.index, spec.kind, outcome.error);
  }

  private readUsage(value: unknown): TokenUsage | undefined {
    if (this.spec.kind !== 'llm' || value === undefined) return undefined;
    try {
      // A user's extractor may return anything: only counts are written and summed.
      return normalizeTokenUsage((this.spec.tokenUsage ?? this.run.engine.tokenUsage)(value));
    } catch {
      return undefined;
    }
  }
}
