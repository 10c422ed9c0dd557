import { elapsedMs, monotonicNow } from './clock.js';
import { describeError } from './describe-error.js';
import type { StepStatus } from './events/agent-event.js';
import { callSubject, type HashResult } from './hashing/hasher.js';
import { newSpanId } from './ids.js';
import type { Engine } from './engine.js';
import type { TracedSpan } from './integration.js';
import { ModelCall } from './model-call.js';
import type { ModelReading } from './providers/index.js';
import type { Outcome, Span } from './outcome.js';
import type { Run } from './run.js';
import type { Frame, RequestScope } from './run-context.js';
import { isValidName, type StepSpec } from './specs.js';

/**
 * One tool or model call inside a run: agent_step and tool_call when it
 * starts, tool_result or llm_result when it ends. Also the frame the call
 * executes in: its run, its own span, its run's request.
 */
export class Step implements Span, Frame {
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** The tracer's span of this step (OpenTelemetry), whose ids are the step's. */
  readonly traced?: TracedSpan;
  private readonly startedAt = monotonicNow();
  private done = false;
  /** A model call's answer, read as it arrives. */
  private readonly modelCall?: ModelCall;
  /** The model's id for this tool call, when a framework gave it. */
  private readonly toolCallId?: string;
  /** Its neighbours in its run's list of open steps (see Run). */
  prevOpen?: Step;
  nextOpen?: Step;

  constructor(
    readonly run: Run,
    readonly spec: StepSpec,
    readonly index: number,
    parent: Frame,
    args: readonly unknown[],
    /** The arguments' hash when the run's loop guard already computed it. */
    argsHash?: HashResult,
    toolCallId?: string,
  ) {
    // Model output: written only when it looks like an identifier.
    if (isValidName(toolCallId)) this.toolCallId = toolCallId;
    const parentSpanId = (this.parentSpanId = parent.spanId);
    const engine = run.engine;
    // Started before the first event, so the events carry the span's ids.
    const traced =
      engine.tracer?.start !== undefined
        ? engine.startSpan({
            kind: spec.kind,
            name: spec.kind === 'tool' ? spec.tool : spec.model,
            runId: run.runId,
            parent: parent.traced,
            position: parentSpanId === undefined ? undefined : { traceId: run.traceId, spanId: parentSpanId, traceFlags: run.traceFlags },
          })
        : undefined;
    this.traced = traced;
    this.spanId = traced?.spanId ?? newSpanId();
    const subject = callSubject(args);
    if (spec.kind === 'tool') {
      // Hashed first (if the loop guard has not already), so that agent_step and tool_call are written together.
      const args_ = argsHash ?? run.engine.hash(subject);
      run.emitTwo('info', this, 'agent_step', { step_index: index, step_type: 'tool_call', tool: spec.tool }, 'tool_call', {
        tool: spec.tool,
        step_index: index,
        tool_call_id: this.toolCallId,
        args_hash: args_.hash,
        args_truncated: args_.truncated || undefined,
        args: run.engine.capture('args', subject),
      });
    } else {
      this.modelCall = new ModelCall(spec, spec.tokenUsage ?? run.engine.tokenUsage, this.startedAt);
      const prompt = run.engine.capture('prompts', subject);
      run.emit('info', 'agent_step', this, { step_index: index, step_type: 'llm_call', model: spec.model, prompt });
    }
  }

  get request(): RequestScope | undefined {
    return this.run.request;
  }

  get engine(): Engine {
    return this.run.engine;
  }

  observe(item: unknown): void {
    const call = this.modelCall;
    if (!call) return;
    call.observe(item);
    // A budget counts a stream's usage as it arrives; without one nothing more is read here.
    if (this.run.hasBudget) {
      const soFar = call.soFar();
      if (soFar.usage) this.run.usageObserved(this, soFar.usage, soFar.model);
    }
  }

  note(facts: ModelReading): void {
    this.modelCall?.note(facts);
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
    const latency = elapsedMs(this.startedAt);
    // The outcome's fields are written out in each event, not spread in: an object spread costs more than the rest of the event.
    if (spec.kind === 'tool') {
      // A stream's outcome carries no value (its items are not the result), nor
      // does a void tool: a hash of nothing would be the same for every one of them.
      const hashable = outcome.type === 'ok' && outcome.value !== undefined && run.engine.hashResults;
      const result = hashable ? run.engine.hash(outcome.value) : undefined;
      run.emit(level, 'tool_result', this, {
        tool: spec.tool,
        tool_call_id: this.toolCallId,
        step_index: this.index,
        latency_ms: latency,
        status,
        error_class: error?.error_class,
        error_message: error?.error_message,
        result_hash: result?.hash,
        result_truncated: result?.truncated || undefined,
        result: outcome.type === 'ok' ? run.engine.capture('results', outcome.value) : undefined,
      });
    } else {
      const { model, ...read } = this.modelCall!.fields(outcome);
      run.emit(level, 'llm_result', this, {
        model,
        step_index: this.index,
        latency_ms: latency,
        status,
        error_class: error?.error_class,
        error_message: error?.error_message,
        ...read,
        output: run.engine.capture('outputs', outcome.type === 'ok' ? outcome.value : undefined),
      });
      run.addUsage(this, read.token_usage, model, status);
    }
    if (outcome.type === 'error') run.recordFailure(this.index, spec.kind, outcome.error);
  }
}
