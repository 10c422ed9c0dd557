import { elapsedMs, monotonicNow } from './clock.js';
import { describeError } from './describe-error.js';
import type { AgentEventName, RunLimit, StepStatus, StopReason, TokenUsage } from './events/agent-event.js';
import { SCHEMA_VERSION } from './events/agent-event.js';
import { buildEvent, type EventFields, type UnboundEvent } from './events/build-event.js';
import type { Engine } from './engine.js';
import type { EventRun, TracedSpan, TracePosition } from './integration.js';
import { AgentGuardError, AgentRunTimeoutError, BudgetExceededError, LoopDetectedError, MaxStepsExceededError } from './errors.js';
import type { LoopVerdict } from './guards/loop-guard.js';
import { RunGuards } from './guards/run-guards.js';
import { callSubject, type HashResult } from './hashing/hasher.js';
import { newRunId, newSpanId, newTraceId } from './ids.js';
import type { Outcome, Span } from './outcome.js';
import type { Frame, RequestScope } from './run-context.js';
import type { EventLevel, RunChannel } from './sink/event-sink.js';
import type { RunSpec, StepSpec } from './specs.js';
import { isStepCapError } from './step-cap-error.js';
import { Step } from './step.js';
import { addTokenUsage, isCompleteUsage } from './token-usage.js';

/** How a run can be ended from outside its body. */
export type ForcedEnd = 'timeout' | 'shutdown';

// The run's flags, folded into one small integer: a run in flight is held for
// as long as it runs, and every field of it counts (see README, Performance).
const FINISHED = 1;
/** Set once run_finished is written: nothing of this run is written after it. */
const CLOSED = 2;

/**
 * What only some runs need: a failure, a stop reason set by the code, an abort
 * signal, a timeout. Made on first use, so a run that needs none holds none.
 */
interface RunExtras {
  stopReason?: string;
  /** The first guard that refused a step (`max_steps`, `loop_detected`, `budget_exceeded`). */
  refusedBy?: StopReason;
  /** The limit behind that refusal, or a framework's own step cap, for run_finished. */
  limit?: RunLimit;
  errors: number;
  firstErrorStep?: number;
  /** What failed steps threw, to tell a step failure that ended the run from the body's own error. */
  failures?: StepFailures;
  controller?: AbortController;
  abortReason?: unknown;
  /** Removes this run's listener from the parent's signal, so many sub-agents do not pile listeners on it. */
  unlinkParent?: () => void;
  /** Some model step's usage was missing or incomplete: run_finished's token_usage says it is partial. */
  usagePartial?: boolean;
  /** The calling run in another service (W3C baggage), for a run with no parent run in this process. */
  remoteParentRunId?: string;
  timer?: NodeJS.Timeout;
}

/** How many thrown primitives (undefined, a string, a number...) are remembered; objects are held weakly, all of them. */
const PRIMITIVE_FAILURES = 4;

/**
 * What the run's failed steps threw, without keeping any of it alive: an
 * object (an Error, a frozen object, a Proxy) is a key of a WeakMap, so a run
 * with thousands of caught failures holds none of them; a thrown primitive
 * can be no key, so the last few are kept by value.
 */
class StepFailures {
  private readonly objects = new WeakMap<object, StepSpec['kind']>();
  private readonly primitives: { value: unknown; kind: StepSpec['kind'] }[] = [];

  add(error: unknown, kind: StepSpec['kind']): void {
    if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
      this.objects.set(error, kind);
      return;
    }
    if (this.primitives.length === PRIMITIVE_FAILURES) this.primitives.shift();
    this.primitives.push({ value: error, kind });
  }

  kindOf(error: unknown): StepSpec['kind'] | undefined {
    if ((typeof error === 'object' && error !== null) || typeof error === 'function') return this.objects.get(error);
    for (let i = this.primitives.length - 1; i >= 0; i--) if (Object.is(this.primitives[i].value, error)) return this.primitives[i].kind;
    return undefined;
  }
}

/** `instanceof` that cannot throw: a revoked Proxy (thrown by the app) throws on the prototype lookup. */
function guardErrorOf(error: unknown): AgentGuardError | undefined {
  try {
    return error instanceof AgentGuardError ? error : undefined;
  } catch {
    return undefined;
  }
}

function onTimeout(run: Run): void {
  run.forceEnd('timeout');
}

/**
 * One agent run: run_started when it is created, run_finished exactly once,
 * whichever comes first of the body settling, a cancellation, the timeout or
 * shutdown. Holds the counters that run_finished reports.
 *
 * The run is also the frame its body executes in (`request`, `run`, `spanId`):
 * one object less per run in flight.
 */
export class Run implements Span, Frame, EventRun {
  readonly runId = newRunId();
  readonly spanId: string;
  readonly traceId: string;
  readonly traceFlags: string;
  readonly parentSpanId?: string;
  /** The request the run was started in, inherited by its steps and sub-agents. */
  readonly request?: RequestScope;
  /** The tracer's span of this run (OpenTelemetry), whose ids are the run's. */
  readonly traced?: TracedSpan;
  /** The run this one was started inside: its signal's abort reaches this run's signal. */
  private readonly parentRun?: Run;
  private readonly spec: RunSpec;
  private readonly channel: RunChannel;
  private readonly startedAt = monotonicNow();
  private seq = 0;
  private steps = 0;
  private toolCalls = 0;
  private state = 0;
  private usage?: TokenUsage;
  /** Loop guard and budgets, for runs that have any. */
  private readonly guards?: RunGuards;
  /**
   * Steps begun and not yet ended, oldest first, closed as `cancelled` if the
   * run ends first: a list threaded through the steps themselves, a fraction
   * of what adding to and deleting from a Set costs on every step.
   */
  private firstOpen?: Step;
  private lastOpen?: Step;
  private extras?: RunExtras;

  constructor(
    readonly engine: Engine,
    spec: RunSpec,
    parent: Frame | undefined,
    args: readonly unknown[],
  ) {
    const parentRun = parent?.run;
    const request = parent?.request;
    this.spec = spec;
    this.request = request;
    this.parentRun = parentRun;
    // Where the run sits: under the step that called it, else under the tracer's
    // active span (OpenTelemetry), else under the inbound traceparent, else a new trace.
    let position: TracePosition | undefined;
    let remoteParentRunId: string | undefined;
    if (parentRun) position = { traceId: parentRun.traceId, spanId: parent!.spanId ?? parentRun.spanId, traceFlags: parentRun.traceFlags };
    else {
      // A carrier the tracer could not take in (withAgentTraceContext) wins over its active span.
      const outer = request?.traceFromCarrier ? undefined : engine.outerContext();
      position = outer?.position ?? requestPosition(request);
      remoteParentRunId = outer?.parentRunId ?? request?.parentRunId;
    }
    // The tracer's span is started before the first event, so the events carry its ids.
    const traced = engine.tracer?.start !== undefined ? engine.startSpan({ kind: 'run', name: spec.agent, runId: this.runId, parent: parent?.traced, position }) : undefined;
    this.traced = traced;
    this.spanId = traced?.spanId ?? newSpanId();
    this.traceId = traced?.traceId ?? position?.traceId ?? newTraceId();
    this.traceFlags = traced?.traceFlags ?? position?.traceFlags ?? '01';
    this.parentSpanId = traced !== undefined ? traced.parentSpanId : position?.spanId;
    if (remoteParentRunId !== undefined) this.extra().remoteParentRunId = remoteParentRunId;
    try {
      this.channel = engine.sink.openRun({ run_id: this.runId, trace_id: this.traceId, trace_flags: this.traceFlags, agent: spec.agent, schema: SCHEMA_VERSION });
    } catch (err) {
      // No run, so no run_finished to end the span: it ends here, before the failure reaches instrument().
      failSpan(engine, traced, err);
      throw err;
    }

    const subject = callSubject(args);
    const task = engine.hash(subject);
    this.emit('info', 'run_started', this, {
      request_id: request?.requestId,
      user_id: request?.userId,
      parent_run_id: this.parentRunId,
      task_hash: task.hash,
      task_truncated: task.truncated || undefined,
      task: engine.capture('args', subject),
    });
    engine.track(this);
    const guards = engine.guardsOf(spec);
    if (guards) this.guards = new RunGuards(guards, engine.prices);
    if (!parentRun && request?.onRunStarted) {
      try {
        request.onRunStarted(this.runId);
      } catch (err) {
        engine.dropped(err);
      }
    }
    const timeoutMs = this.timeoutMs;
    if (timeoutMs !== undefined) {
      const timer = (this.extra().timer = setTimeout(onTimeout, timeoutMs, this));
      timer.unref();
    }
  }

  /** The frame's own run: the run itself. */
  get run(): Run {
    return this;
  }

  get agent(): string {
    return this.spec.agent;
  }

  get parentRunId(): string | undefined {
    return this.parentRun?.runId ?? this.extras?.remoteParentRunId;
  }

  /** A reason set by the code through `setStopReason`; it wins over the inferred one. */
  get stopReason(): string | undefined {
    return this.extras?.stopReason;
  }

  set stopReason(reason: string | undefined) {
    this.extra().stopReason = reason;
  }

  private get maxSteps(): number | undefined {
    return this.spec.maxSteps ?? this.engine.maxSteps;
  }

  private get timeoutMs(): number | undefined {
    return this.spec.timeoutMs ?? this.engine.timeoutMs;
  }

  private extra(): RunExtras {
    return (this.extras ??= { errors: 0 });
  }

  /** Aborted when the run is cancelled, times out or the process shuts down. */
  get signal(): AbortSignal {
    const extras = this.extra();
    if (!extras.controller) {
      const controller = (extras.controller = new AbortController());
      // Read for the first time after the run was cancelled or timed out: already aborted.
      if (extras.abortReason !== undefined) controller.abort(extras.abortReason);
      else if (this.parentRun && !this.isFinished) {
        // A sub-agent stops when its parent is cancelled or times out.
        const parent = this.parentRun.signal;
        if (parent.aborted) controller.abort(parent.reason);
        else {
          const follow = () => controller.abort(parent.reason);
          parent.addEventListener('abort', follow, { once: true });
          extras.unlinkParent = () => parent.removeEventListener('abort', follow);
        }
      }
    }
    return extras.controller.signal;
  }

  /** True once the run has ended: steps begun after that belong to no run. */
  get isFinished(): boolean {
    return (this.state & FINISHED) !== 0;
  }

  /** True once run_finished is written: a step settling after that writes nothing. */
  get isClosed(): boolean {
    return (this.state & CLOSED) !== 0;
  }

  /** Writes one event of this run or of one of its steps; a failing sink is counted, never thrown into the app. */
  emit<N extends AgentEventName>(level: EventLevel, event: N, of: Run | Step, fields: EventFields<N>): void {
    if ((this.state & CLOSED) !== 0) return;
    const engine = this.engine;
    let built: UnboundEvent<N> | undefined;
    try {
      built = buildEvent(event, ++this.seq, of.spanId, of.parentSpanId, fields);
      engine.sink.write(this.channel, level, built);
    } catch (err) {
      engine.dropped(err);
    }
    if (built !== undefined) this.told(of, built);
  }

  /**
   * Writes two events of one span back to back, as `emit` each: the sink may
   * hand both lines to the destination in one write, which costs about what one does.
   */
  emitTwo<A extends AgentEventName, B extends AgentEventName>(
    level: EventLevel,
    of: Run | Step,
    first: A,
    firstFields: EventFields<A>,
    second: B,
    secondFields: EventFields<B>,
  ): void {
    if ((this.state & CLOSED) !== 0) return;
    const engine = this.engine;
    let a: UnboundEvent<A> | undefined;
    let b: UnboundEvent<B> | undefined;
    try {
      a = buildEvent(first, ++this.seq, of.spanId, of.parentSpanId, firstFields);
      b = buildEvent(second, ++this.seq, of.spanId, of.parentSpanId, secondFields);
      engine.sink.write(this.channel, level, a, b);
    } catch (err) {
      engine.dropped(err);
      if (b !== undefined) engine.dropped(err);
    }
    if (a !== undefined) this.told(of, a as UnboundEvent<AgentEventName>);
    if (b !== undefined) this.told(of, b as UnboundEvent<AgentEventName>);
  }

  /** A view of the run (a span, a metric) hears of each event, even one its log line could not carry. */
  private told(of: Run | Step, built: UnboundEvent<AgentEventName>): void {
    const traced = of.traced;
    if (traced !== undefined) {
      try {
        traced.onEvent(built);
      } catch (err) {
        this.engine.dropped(err);
      }
    }
    if (this.engine.listeners.length !== 0) this.engine.notify(this, built);
  }

  /** Opens a step, or throws an AgentGuardError when a guard refuses it (maxSteps, a budget, the loop guard). */
  beginStep(spec: StepSpec, parent: Frame, args: readonly unknown[], toolCallId?: string): Step {
    const maxSteps = this.maxSteps;
    if (maxSteps !== undefined && this.steps >= maxSteps) this.refuse(new MaxStepsExceededError(this.agent, maxSteps));
    let argsHash: HashResult | undefined;
    let loop: LoopVerdict | undefined;
    const guards = this.guards;
    if (guards !== undefined) {
      const overBudget = guards.budgetRefusal(this.agent);
      if (overBudget) this.refuse(overBudget);
      // What the agent decides to call, not what a tool calls in its own body: a tool step inside a tool step
      // (an AI SDK tool whose execute calls an @AgentTool) is that tool's work, and would count one decision twice.
      const insideTool = parent instanceof Step && parent.spec.kind === 'tool';
      const guard = spec.kind === 'tool' && !insideTool ? guards.loopFor(spec) : undefined;
      if (guard && spec.kind === 'tool') {
        // Hashed once, here, for the guard and the tool_call event alike.
        argsHash = this.engine.hash(callSubject(args));
        loop = guards.seeCall(spec.tool, argsHash, guard);
        if (loop?.action === 'refused') {
          // No step: the refused call is written on the run's span.
          this.emitLoop(this, spec.tool, argsHash.hash, loop, undefined);
          this.refuse(new LoopDetectedError(this.agent, spec.tool, argsHash.hash, loop.repeats));
        }
      }
    }
    this.steps += 1;
    if (spec.kind === 'tool') this.toolCalls += 1;
    const step = new Step(this, spec, this.steps, parent, args, argsHash, toolCallId);
    step.prevOpen = this.lastOpen;
    if (this.lastOpen) this.lastOpen.nextOpen = step;
    else this.firstOpen = step;
    this.lastOpen = step;
    if (loop && argsHash && spec.kind === 'tool') this.emitLoop(step, spec.tool, argsHash.hash, loop, step.index);
    return step;
  }

  /** Records the first guard to refuse a step (it names the run's stop reason) and throws its error. */
  private refuse(error: AgentGuardError): never {
    this.stoppedBy(error.stopReason, limitOf(error));
    throw error;
  }

  /** The first limit that stops the run names its stop reason and its `limit`; later ones change nothing. */
  private stoppedBy(reason: StopReason, limit: RunLimit | undefined): void {
    const extras = this.extra();
    if (extras.refusedBy !== undefined) return;
    extras.refusedBy = reason;
    extras.limit = limit;
  }

  private emitLoop(of: Run | Step, tool: string, argsHash: string, loop: LoopVerdict, stepIndex: number | undefined): void {
    this.emit('warn', 'loop_detected', of, {
      tool,
      args_hash: argsHash,
      repeats: loop.repeats,
      rule: loop.rule,
      action: loop.action,
      step_index: stepIndex,
    });
  }

  /** A framework's own step or turn cap ended its loop: the run ends `max_steps` unless the code set a reason. */
  reachedStepCap(): void {
    this.stoppedBy('max_steps', { name: 'framework_step_cap' });
  }

  stepEnded(step: Step): void {
    const { prevOpen, nextOpen } = step;
    if (prevOpen) prevOpen.nextOpen = nextOpen;
    else if (this.firstOpen === step) this.firstOpen = nextOpen;
    if (nextOpen) nextOpen.prevOpen = prevOpen;
    else if (this.lastOpen === step) this.lastOpen = prevOpen;
    step.prevOpen = step.nextOpen = undefined;
  }

  /** Usage a model step reported so far (a stream, as it arrives): counted toward the run's budget at once. */
  usageObserved(step: Step, usage: TokenUsage, model: string | undefined): void {
    this.guards?.budget?.observe(step, usage, model);
  }

  /** True when the run has a budget: only then is a stream's usage read as it arrives. */
  get hasBudget(): boolean {
    return this.guards?.budget !== undefined;
  }

  /**
   * A model step's final usage (or none): summed into run_finished and into
   * the budget, replacing what it streamed. A step that got an answer (not
   * `error`) without both counts makes the run's sum partial.
   */
  addUsage(step: Step, usage: TokenUsage | undefined, model: string | undefined, status: StepStatus): void {
    if (usage) this.usage = addTokenUsage(this.usage, usage);
    if (status !== 'error' && !isCompleteUsage(usage)) this.extra().usagePartial = true;
    this.guards?.budget?.settle(step, usage, model);
  }

  recordFailure(stepIndex: number, kind: StepSpec['kind'], error: unknown): void {
    const extras = this.extra();
    extras.errors += 1;
    extras.firstErrorStep ??= stepIndex;
    (extras.failures ??= new StepFailures()).add(error, kind);
  }

  end(outcome: Outcome): void {
    if (this.isFinished) return;
    if (outcome.type === 'cancelled') this.abort(new DOMException('agent run cancelled', 'AbortError'));
    this.finish(outcome.type, outcome.type === 'error' ? outcome : undefined, this.reasonFor(outcome));
  }

  /** Ends the run from outside its body: its timeout elapsed, or the process is stopping. */
  forceEnd(reason: ForcedEnd): void {
    if (this.isFinished) return;
    // A cancellation is an AbortError, as fetch and the model SDKs expect of an abort they should not retry.
    const cause = reason === 'timeout' ? new AgentRunTimeoutError(this.agent, this.timeoutMs ?? 0) : new DOMException('process shutting down', 'AbortError');
    this.abort(cause);
    this.finish('error', undefined, reason);
  }

  private abort(reason: unknown): void {
    const extras = this.extra();
    extras.abortReason = reason;
    extras.controller?.abort(reason);
  }

  private reasonFor(outcome: Outcome): StopReason {
    if (outcome.type === 'cancelled') return 'cancelled';
    const stopReason = this.stopReason;
    if (stopReason !== undefined) return stopReason;
    const refusedBy = this.extras?.refusedBy;
    if (refusedBy !== undefined) return refusedBy;
    if (outcome.type === 'ok') return 'completed';
    // A sub-agent's refusal, rethrown by this run's body.
    const refused = guardErrorOf(outcome.error);
    if (refused) return refused.stopReason;
    if (isStepCapError(outcome.error)) return 'max_steps';
    const failed = this.failedStepKind(outcome.error);
    if (failed) return failed === 'tool' ? 'tool_error' : 'step_error';
    return 'error';
  }

  /**
   * The kind of step whose failure this thrown value is, following `cause` a
   * few links: whatever was thrown (undefined, null, a string, a frozen object),
   * and only along a `cause` that is really there.
   */
  private failedStepKind(error: unknown): StepSpec['kind'] | undefined {
    const failures = this.extras?.failures;
    if (!failures) return undefined;
    let current: unknown = error;
    for (let depth = 0; depth < 5; depth++) {
      const kind = failures.kindOf(current);
      if (kind) return kind;
      try {
        if (current === null || typeof current !== 'object' || !('cause' in current)) return undefined;
        current = (current as { cause?: unknown }).cause;
      } catch {
        return undefined; // a Proxy whose traps throw
      }
    }
    return undefined;
  }

  /** `thrown` is what the body threw (possibly undefined); absent for a run ended from outside. */
  private finish(status: StepStatus, thrown: { error: unknown } | undefined, stopReason: StopReason): void {
    if (this.isFinished) return;
    this.state |= FINISHED;
    const extras = this.extras;
    if (extras?.timer) clearTimeout(extras.timer);
    extras?.unlinkParent?.();
    this.engine.untrack(this);
    // Steps still open (a tool awaited past the timeout, a call the body did
    // not wait for) end with the run, so run_finished stays the last event and
    // its totals count every step.
    for (let step = this.firstOpen; step !== undefined; ) {
      const next = step.nextOpen;
      step.end({ type: 'cancelled' });
      step = next;
    }
    try {
      const described = thrown ? describeError(thrown.error, this.engine.scrub) : undefined;
      this.emit(status === 'error' ? 'error' : 'info', 'run_finished', this, {
        status,
        stop_reason: stopReason,
        total_steps: this.steps,
        total_latency_ms: elapsedMs(this.startedAt),
        tool_calls: this.toolCalls,
        // Every step is a tool call or a model call.
        llm_calls: this.steps - this.toolCalls,
        errors: extras?.errors ?? 0,
        token_usage: this.usage,
        token_usage_partial: this.usage !== undefined && extras?.usagePartial === true ? true : undefined,
        first_error_step_index: extras?.firstErrorStep,
        error_class: described?.error_class,
        error_message: described?.error_message,
        limit: stopReason === extras?.refusedBy ? extras?.limit : thrown && limitOfThrown(thrown.error, stopReason),
      });
    } catch (err) {
      this.engine.dropped(err);
    }
    this.state |= CLOSED;
    if (extras) extras.failures = undefined;
  }
}

/** What run_finished says of the guard that refused a step: the limit and what was spent of it. */
function limitOf(error: AgentGuardError): RunLimit | undefined {
  if (error instanceof MaxStepsExceededError) return { name: 'maxSteps', value: error.maxSteps };
  if (error instanceof BudgetExceededError) return { name: error.limit, value: error.budget, spent: error.spent };
  return undefined; // the loop guard: its loop_detected events say it all
}

/**
 * The limit behind a stop the body's error explains: a framework's step cap
 * error (maxTurns, the recursion limit). A guard error here is another run's
 * refusal (a sub-agent's, rethrown): its limit is that run's, written on its
 * own run_finished, and not this one's.
 */
function limitOfThrown(error: unknown, stopReason: StopReason): RunLimit | undefined {
  if (stopReason !== 'max_steps' || guardErrorOf(error) || !isStepCapError(error)) return undefined;
  try {
    // Our guard's error from the other build of the package: not an instance of this one's, and not a framework's.
    if ((error as { name?: unknown }).name === 'MaxStepsExceededError') return undefined;
  } catch {
    return undefined;
  }
  return { name: 'framework_step_cap' };
}

/** Ends the tracer's span of a run that could not open; a throwing tracer is counted. */
function failSpan(engine: Engine, traced: TracedSpan | undefined, err: unknown): void {
  if (traced?.fail === undefined) return;
  try {
    traced.fail(describeError(err, engine.scrub).error_class);
  } catch (fault) {
    engine.dropped(fault);
  }
}

/** The caller's place from an inbound `traceparent`, if the request had a valid one. */
function requestPosition(request: RequestScope | undefined): TracePosition | undefined {
  if (request?.traceId === undefined || request.parentSpanId === undefined) return undefined;
  return { traceId: request.traceId, spanId: request.parentSpanId, traceFlags: request.traceFlags ?? '01' };
}
