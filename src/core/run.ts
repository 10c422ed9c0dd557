import { elapsedMs, monotonicNow } from './clock';
import { describeError } from './describe-error';
import type { AgentEventName, StepStatus, StopReason, TokenUsage } from './events/agent-event';
import { SCHEMA_VERSION } from './events/agent-event';
import { buildEvent, type EventFields } from './events/build-event';
import type { Engine } from './engine';
import { AgentRunTimeoutError, MaxStepsExceededError } from './errors';
import { newRunId, newSpanId, newTraceId } from './ids';
import type { Outcome, Span } from './outcome';
import type { Frame } from './run-context';
import type { EventLevel, RunWriter } from './sink/event-sink';
import type { RunSpec, StepSpec } from './specs';
import { Step } from './step';
import { addTokenUsage } from './token-usage';

/** How a run can be ended from outside its body. */
export type ForcedEnd = 'timeout' | 'shutdown';

/**
 * One agent run: run_started when it is created, run_finished exactly once,
 * whichever comes first of the body settling, a cancellation, the timeout or
 * shutdown. Holds the counters that run_finished reports.
 */
export class Run implements Span {
  readonly runId = newRunId();
  readonly spanId = newSpanId();
  readonly traceId: string;
  readonly traceFlags?: string;
  readonly parentSpanId?: string;
  readonly parentRunId?: string;
  readonly agent: string;
  /** The frame the run's body executes in. */
  readonly frame: Frame;
  /** A reason set by the code through `setStopReason`; it wins over the inferred one. */
  stopReason?: string;

  private readonly writer: RunWriter;
  private readonly startedAt = monotonicNow();
  private readonly maxSteps?: number;
  private readonly timeoutMs?: number;
  private seq = 0;
  private steps = 0;
  private toolCalls = 0;
  private llmCalls = 0;
  private errors = 0;
  private usage?: TokenUsage;
  private firstErrorStep?: number;
  private maxStepsTripped = false;
  /** Errors of failed steps, to tell a step failure that ended the run from the body's own error. */
  private failures?: { error: unknown; kind: StepSpec['kind'] }[];
  private finished = false;
  /** Set once run_finished is written: nothing of this run is written after it. */
  private closed = false;
  /** Steps begun and not yet ended, closed as `cancelled` if the run ends first. Made with the first step. */
  private openSteps?: Set<Step>;
  private controller?: AbortController;
  private abortReason?: unknown;
  /** The run this one was started inside: its signal's abort reaches this run's signal. */
  private readonly parentRun?: Run;
  /** Removes this run's listener from the parent's signal, so many sub-agents do not pile listeners on it. */
  private unlinkParent?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly engine: Engine,
    spec: RunSpec,
    parent: Frame | undefined,
    args: readonly unknown[],
  ) {
    const parentRun = parent?.run;
    const request = parent?.request;
    this.agent = spec.agent;
    this.traceId = parentRun?.traceId ?? request?.traceId ?? newTraceId();
    this.traceFlags = parentRun ? parentRun.traceFlags : request?.traceFlags;
    this.parentSpanId = parentRun ? parent?.spanId : request?.parentSpanId;
    this.parentRunId = parentRun?.runId;
    this.parentRun = parentRun;
    this.maxSteps = spec.maxSteps ?? engine.maxSteps;
    this.frame = { request, run: this, spanId: this.spanId };
    this.writer = engine.sink.openRun({ run_id: this.runId, trace_id: this.traceId, agent: this.agent, schema: SCHEMA_VERSION });

    const subject = args.length === 1 ? args[0] : args;
    const task = engine.hash(subject);
    this.emit('info', 'run_started', { span_id: this.spanId, parent_span_id: this.parentSpanId }, {
      request_id: request?.requestId,
      user_id: request?.userId,
      parent_run_id: this.parentRunId,
      task_hash: task.hash,
      task_truncated: task.truncated || undefined,
      trace_flags: this.traceFlags,
      task: engine.capture('args', subject),
    });
    engine.track(this);
    this.timeoutMs = spec.timeoutMs ?? engine.timeoutMs;
    if (this.timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.forceEnd('timeout'), this.timeoutMs);
      this.timer.unref();
    }
  }

  /** Aborted when the run is cancelled, times out or the process shuts down. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      // Read for the first time after the run was cancelled or timed out: already aborted.
      if (this.abortReason !== undefined) controller.abort(this.abortReason);
      else if (this.parentRun && !this.finished) {
        // A sub-agent stops when its parent is cancelled or times out.
        const parent = this.parentRun.signal;
        if (parent.aborted) controller.abort(parent.reason);
        else {
          const follow = () => controller.abort(parent.reason);
          parent.addEventListener('abort', follow, { once: true });
          this.unlinkParent = () => parent.removeEventListener('abort', follow);
        }
      }
    }
    return this.controller.signal;
  }

  /** True once the run has ended: steps begun after that belong to no run. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** True once run_finished is written: a step settling after that writes nothing. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes one event; a failing sink is counted, never thrown into the app. */
  emit<N extends AgentEventName>(level: EventLevel, event: N, head: { span_id: string; parent_span_id?: string }, fields: EventFields<N>): void {
    if (this.closed) return;
    try {
      this.writer.write(level, buildEvent(event, ++this.seq, head, fields));
    } catch (err) {
      this.engine.dropped(err);
    }
  }

  /** Opens a step, or throws MaxStepsExceededError when the run's step budget is spent. */
  beginStep(spec: StepSpec, parentSpanId: string | undefined, args: readonly unknown[]): Step {
    if (this.maxSteps !== undefined && this.steps >= this.maxSteps) {
      this.maxStepsTripped = true;
      throw new MaxStepsExceededError(this.agent, this.maxSteps);
    }
    this.steps += 1;
    if (spec.kind === 'tool') this.toolCalls += 1;
    else this.llmCalls += 1;
    const step = new Step(this, spec, this.steps, parentSpanId, args);
    (this.openSteps ??= new Set()).add(step);
    return step;
  }

  stepEnded(step: Step): void {
    this.openSteps?.delete(step);
  }

  addUsage(usage: TokenUsage): void {
    this.usage = addTokenUsage(this.usage, usage);
  }

  recordFailure(stepIndex: number, kind: StepSpec['kind'], error: unknown): void {
    this.errors += 1;
    this.firstErrorStep ??= stepIndex;
    (this.failures ??= []).push({ error, kind });
  }

  end(outcome: Outcome): void {
    if (this.finished) return;
    if (outcome.type === 'cancelled') this.abort(new DOMException('agent run cancelled', 'AbortError'));
    this.finish(outcome.type, outcome.type === 'error' ? outcome.error : undefined, this.reasonFor(outcome));
  }

  /** Ends the run from outside its body: its timeout elapsed, or the process is stopping. */
  forceEnd(reason: ForcedEnd): void {
    if (this.finished) return;
    // A cancellation is an AbortError, as fetch and the model SDKs expect of an abort they should not retry.
    const cause = reason === 'timeout' ? new AgentRunTimeoutError(this.agent, this.timeoutMs ?? 0) : new DOMException('process shutting down', 'AbortError');
    this.abort(cause);
    this.finish('error', undefined, reason);
  }

  private abort(reason: unknown): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  private reasonFor(outcome: Outcome): StopReason {
    if (outcome.type === 'cancelled') return 'cancelled';
    if (this.stopReason !== undefined) return this.stopReason;
    if (this.maxStepsTripped) return 'max_steps';
    if (outcome.type === 'ok') return 'completed';
    if (outcome.error instanceof MaxStepsExceededError) return 'max_steps';
    const failed = this.failedStepKind(outcome.error);
    if (failed) return failed === 'tool' ? 'tool_error' : 'step_error';
    return 'error';
  }

  /** The kind of step whose failure this error is, following `cause` a few links. */
  private failedStepKind(error: unknown): StepSpec['kind'] | undefined {
    if (!this.failures) return undefined;
    let current: unknown = error;
    for (let depth = 0; depth < 5 && current !== undefined; depth++) {
      const hit = this.failures.find((f) => f.error === current);
      if (hit) return hit.kind;
      try {
        current = current !== null && typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  private finish(status: StepStatus, error: unknown, stopReason: StopReason): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.unlinkParent?.();
    this.engine.untrack(this);
    // Steps still open (a tool awaited past the timeout, a call the body did
    // not wait for) end with the run, so run_finished stays the last event and
    // its totals count every step.
    if (this.openSteps) for (const step of this.openSteps) step.end({ type: 'cancelled' });
    try {
      const described = status === 'error' && error !== undefined ? describeError(error, this.engine.scrub) : undefined;
      this.emit(status === 'error' ? 'error' : 'info', 'run_finished', { span_id: this.spanId, parent_span_id: this.parentSpanId }, {
        status,
        stop_reason: stopReason,
        total_steps: this.steps,
        total_latency_ms: elapsedMs(this.startedAt),
        tool_calls: this.toolCalls,
        llm_calls: this.llmCalls,
        errors: this.errors,
        token_usage: this.usage,
        first_error_step_index: this.firstErrorStep,
        ...described,
      });
    } catch (err) {
      this.engine.dropped(err);
    }
    this.closed = true;
    this.failures = undefined;
  }
}
