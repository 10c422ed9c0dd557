import { elapsedMs, monotonicNow } from './clock';
import { describeError } from './describe-error';
import type { StepStatus, TokenUsage } from './events/agent-event';
import { newSpanId } from './ids';
import type { Outcome, Span } from './outcome';
import type { Run } from './run';
import { isValidName, type StepSpec } from './specs';
import { extractFinishReason } from './token-usage';

/**
 * One tool or model call inside a run: agent_step and tool_call when it
 * starts, tool_result or llm_result when it ends.
 */
export class Step implements Span {
  readonly spanId = newSpanId();
  private readonly startedAt = monotonicNow();
  private done = false;
  /** For streamed model calls: the last chunk that reported usage. */
  private streamedUsage?: TokenUsage;
  private streamedFinish?: string;

  constructor(
    readonly run: Run,
    readonly spec: StepSpec,
    readonly index: number,
    readonly parentSpanId: string | undefined,
    args: readonly unknown[],
  ) {
    const head = { span_id: this.spanId, parent_span_id: parentSpanId };
    if (spec.kind === 'tool') {
      run.emit('info', 'agent_step', head, { step_index: index, step_type: 'tool_call', tool: spec.tool });
      const args_ = run.engine.hash(args.length === 1 ? args[0] : args);
      run.emit('info', 'tool_call', head, {
        tool: spec.tool,
        step_index: index,
        args_hash: args_.hash,
        args_truncated: args_.truncated || undefined,
      });
    } else {
      run.emit('info', 'agent_step', head, { step_index: index, step_type: 'llm_call', model: spec.model });
    }
  }

  observe(item: unknown): void {
    if (this.spec.kind !== 'llm') return;
    const usage = this.readUsage(item);
    if (usage) this.streamedUsage = usage;
    this.streamedFinish = extractFinishReason(item) ?? this.streamedFinish;
  }

  end(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    this.run.stepEnded(this);
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
    const head = { span_id: this.spanId, parent_span_id: this.parentSpanId };
    const level = status === 'error' ? 'error' : 'info';
    const common = { step_index: this.index, latency_ms: elapsedMs(this.startedAt), status, ...error };
    if (spec.kind === 'tool') {
      const result = outcome.type === 'ok' && run.engine.hashResults ? run.engine.hash(outcome.value) : undefined;
      run.emit(level, 'tool_result', head, {
        tool: spec.tool,
        ...common,
        result_hash: result?.hash,
        result_truncated: result?.truncated || undefined,
      });
    } else {
      const value = outcome.type === 'ok' ? outcome.value : undefined;
      const usage = this.streamedUsage ?? this.readUsage(value);
      const responseModel = (value as { model?: unknown } | undefined)?.model;
      run.emit(level, 'llm_result', head, {
        model: spec.model ?? (isValidName(responseModel) ? responseModel : spec.fallbackModel),
        ...common,
        token_usage: usage,
        finish_reason: extractFinishReason(value) ?? this.streamedFinish,
      });
      if (usage) run.addUsage(usage);
    }
    if (outcome.type === 'error') run.recordFailure(this.index, spec.kind, outcome.error);
  }

  private readUsage(value: unknown): TokenUsage | undefined {
    if (this.spec.kind !== 'llm' || value === undefined) return undefined;
    try {
      return (this.spec.tokenUsage ?? this.run.engine.tokenUsage)(value) ?? undefined;
    } catch {
      return undefined;
    }
  }
}
