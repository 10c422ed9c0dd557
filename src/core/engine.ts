import { createCapture, type Capture, type CaptureOptions } from './capture/capture.js';
import { resolveLoopGuard, type LoopGuardSetting } from './guards/loop-guard.js';
import type { GuardConfig } from './guards/run-guards.js';
import { createHasher, type Hasher, type HashResult } from './hashing/hasher.js';
import { AgentLoggingConfigError } from './errors.js';
import type { AgentLoggingIntegration, AgentTracer, EventRun, IntegrationHost, OuterContext, SpanRequest, TracedSpan } from './integration.js';
import type { PriceTable } from './pricing/price-table.js';
import { createScrubber, type Scrubber, type ScrubberOptions } from './redaction/scrubber.js';
import { registry } from './registry.js';
import type { ForcedEnd, Run } from './run.js';
import type { Frame } from './run-context.js';
import type { EventSink } from './sink/event-sink.js';
import type { RunSpec } from './specs.js';
import type { UsageExtractor } from './token-usage.js';

/**
 * How long shutdown may wait for the destination, in total: both of the
 * module's shutdown hooks flush, and they share this one deadline.
 */
export const SHUTDOWN_FLUSH_BOUND_MS = 3000;

/** Everything the engine needs, already validated by the adapter. */
export interface EngineConfig {
  sink: EventSink;
  maxSteps?: number;
  timeoutMs?: number;
  hashSecret?: string | Buffer;
  hashMaxBytes?: number;
  hashResults?: boolean;
  errorMessages?: ScrubberOptions;
  /** Opt-in raw values; scrubbed with `errorMessages.patterns` too. */
  capture?: CaptureOptions;
  /** Reads usage instead of the provider readers. */
  tokenUsage?: UsageExtractor;
  /** Views of the runs (OpenTelemetry, metrics), told every event. */
  integrations?: readonly AgentLoggingIntegration[];
  /** The loop guard for every run, unless a run says otherwise. Default: off. */
  loopGuard?: LoopGuardSetting;
  /** Budgets for every run, unless a run says otherwise. Default: none. */
  maxTokens?: number;
  maxCostUsd?: number;
  /** Model prices, for `maxCostUsd` and the metrics' cost. */
  prices?: PriceTable;
}

/**
 * The configured engine of one application: what runs and steps read their
 * settings from, and the set of its runs in flight (so its shutdown can close
 * them). A run belongs to the engine that owns the object whose method runs it
 * (the adapter tells which, `own`), else to the engine of the run or request
 * it is started in, else to the installed one: the application started last
 * and still open. With none, decorated methods simply call through.
 */
export class Engine implements IntegrationHost {
  readonly sink: EventSink;
  readonly maxSteps?: number;
  readonly timeoutMs?: number;
  readonly hashResults: boolean;
  readonly scrub: Scrubber;
  /** The opt-in `task`, `args`, `prompt`, `result`, `output` fields: undefined unless enabled. */
  readonly capture: Capture;
  /** A custom usage extractor; undefined: the provider readers decide. */
  readonly tokenUsage?: UsageExtractor;
  /** Integrations that listen to events; empty for most apps, so emitting checks one length. */
  readonly listeners: readonly AgentLoggingIntegration[];
  /** The one integration's tracer (OpenTelemetry), if any: where runs take their trace and span ids from. */
  readonly tracer?: AgentTracer;
  readonly prices?: PriceTable;
  private readonly integrations: readonly AgentLoggingIntegration[];
  private readonly hasher: Hasher;
  private readonly guardConfig: Pick<EngineConfig, 'loopGuard' | 'maxTokens' | 'maxCostUsd'>;
  /** Each run spec's guards, resolved on its first run (null: none). */
  private readonly guards = new WeakMap<RunSpec, GuardConfig | null>();
  private warnedUnpriced = false;
  private readonly inFlight = new Set<Run>();
  private droppedEvents = 0;
  private reportedDrop = false;
  private closedForRuns = false;
  /** The end of the shutdown flush bound, started by the first flush: one timer, shared by every flush. */
  private flushDeadline?: { readonly reached: Promise<void>; readonly timer: NodeJS.Timeout };

  constructor(config: EngineConfig) {
    this.sink = config.sink;
    this.maxSteps = config.maxSteps;
    this.timeoutMs = config.timeoutMs;
    this.hashResults = config.hashResults ?? true;
    this.hasher = createHasher({ secret: config.hashSecret, maxBytes: config.hashMaxBytes });
    this.scrub = createScrubber(config.errorMessages);
    this.capture = createCapture(config.capture, config.errorMessages?.patterns);
    this.tokenUsage = config.tokenUsage;
    this.integrations = config.integrations ?? [];
    this.listeners = this.integrations.filter((i) => typeof i.onEvent === 'function');
    const tracers = this.integrations.filter((i) => i.tracer !== undefined && i.tracer !== null);
    if (tracers.length > 1) {
      throw new AgentLoggingConfigError(`integrations: only one may trace runs, got ${tracers.map((i) => i.name).join(', ')}`);
    }
    this.tracer = tracers[0]?.tracer;
    this.prices = config.prices;
    this.guardConfig = { loopGuard: config.loopGuard, maxTokens: config.maxTokens, maxCostUsd: config.maxCostUsd };
    for (const integration of this.integrations) {
      try {
        integration.attach?.(this);
      } catch (err) {
        this.dropped(err);
      }
    }
  }

  /**
   * The guards a run of this spec works with: its own settings over the
   * module's, resolved once per spec. Undefined when it has none.
   */
  guardsOf(spec: RunSpec): GuardConfig | undefined {
    let config = this.guards.get(spec);
    if (config === undefined) {
      const loop = resolveLoopGuard(this.guardConfig.loopGuard, spec.loopGuard);
      const maxTokens = spec.maxTokens ?? this.guardConfig.maxTokens;
      let maxCostUsd = spec.maxCostUsd ?? this.guardConfig.maxCostUsd;
      if (maxCostUsd !== undefined && !this.prices) {
        // A run's maxCostUsd is checked when its class is defined, before any module exists.
        this.warnUnpriced(spec.agent);
        maxCostUsd = undefined;
      }
      const limits = maxTokens !== undefined || maxCostUsd !== undefined ? { maxTokens, maxCostUsd } : undefined;
      config = loop || limits ? { loop, limits } : null;
      this.guards.set(spec, config);
    }
    return config ?? undefined;
  }

  private warnUnpriced(agent: string): void {
    if (this.warnedUnpriced) return;
    this.warnedUnpriced = true;
    process.emitWarning(`nestjs-agent-logging: @AgentRun("${agent}") sets maxCostUsd but AgentLoggingModule has no "prices"; the cost limit is ignored`, {
      code: 'AGENT_LOGGING_NO_PRICES',
    });
  }

  /** The tracer's view of where a run outside any run starts; undefined without a tracer, or if it throws. */
  outerContext(): OuterContext | undefined {
    const tracer = this.tracer;
    if (tracer?.outer === undefined) return undefined;
    try {
      return tracer.outer();
    } catch (err) {
      this.dropped(err);
      return undefined;
    }
  }

  /** A span from the tracer for a run or step about to open; undefined leaves the ids to core. */
  startSpan(request: SpanRequest): TracedSpan | undefined {
    try {
      return this.tracer!.start!(request);
    } catch (err) {
      this.dropped(err);
      return undefined;
    }
  }

  /** Tells each listening integration of one event; a throwing one is counted, never thrown into the app. */
  notify(run: EventRun, event: object): void {
    for (const integration of this.listeners) {
      try {
        integration.onEvent!(run, event as never);
      } catch (err) {
        this.dropped(err);
      }
    }
  }

  hash(value: unknown): HashResult {
    return this.hasher(value);
  }

  /**
   * Tells the engine that runs started by `object`'s methods (a provider, a
   * controller) are its runs, whichever application was started last. It
   * stays so once the engine is closed: those runs then call through unlogged
   * rather than land in another application's log.
   */
  own(object: object): void {
    owners.set(object, this);
  }

  /**
   * False once the engine is closed: runs started then are not logged at all
   * (they call through), so none can get a run_started without its run_finished.
   */
  get acceptsRuns(): boolean {
    return !this.closedForRuns;
  }

  /**
   * The last step of shutdown, before the final flush: no run starts any
   * more, and those still in flight (started while the app was draining) end
   * with `shutdown`.
   */
  close(): void {
    this.closedForRuns = true;
    this.endAll('shutdown');
  }

  track(run: Run): void {
    this.inFlight.add(run);
  }

  untrack(run: Run): void {
    this.inFlight.delete(run);
  }

  get runsInFlight(): number {
    return this.inFlight.size;
  }

  get droppedCount(): number {
    return this.droppedEvents;
  }

  /**
   * Counts an event the sink could not take (or a fault in our own code) and
   * says so once per engine (once per app), never on every event: a logging
   * failure must not flood the very logs that are failing, nor reach the
   * application.
   */
  dropped(err: unknown): void {
    this.droppedEvents += 1;
    if (this.reportedDrop) return;
    this.reportedDrop = true;
    try {
      const code = (err as { code?: unknown } | null)?.code;
      const reason = typeof code === 'string' ? code : err instanceof Error ? err.name : typeof err;
      process.emitWarning(`nestjs-agent-logging: an event could not be written (${reason}); further failures are only counted`, {
        code: 'AGENT_LOGGING_DROPPED',
      });
    } catch {
      // nothing left to tell
    }
  }

  /** Ends every run in flight, e.g. with `shutdown` when the process stops. */
  endAll(reason: ForcedEnd): void {
    for (const run of [...this.inFlight]) run.forceEnd(reason);
  }

  /**
   * Writes out what the destination still holds at shutdown; resolves when it
   * is done, and never rejects. Every flush of one shutdown shares one
   * deadline, SHUTDOWN_FLUSH_BOUND_MS after the first began: a destination
   * whose reader stalled (a backed-up log shipper, a pipe nobody reads) holds
   * shutdown that long in total, never longer. The timer keeps the event loop
   * alive until then, so shutdown goes on to its end (Nest re-raising the
   * signal) instead of the process draining out with exit code 0.
   */
  flush(): Promise<void> {
    this.flushDeadline ??= startDeadline(SHUTDOWN_FLUSH_BOUND_MS);
    const flushed = new Promise<void>((resolve) => {
      const done = () => resolve();
      try {
        if (this.sink.flush) this.sink.flush(done);
        else done();
      } catch {
        done();
      }
    });
    return Promise.race([flushed, this.flushDeadline.reached]);
  }

  /**
   * Last chance when the process exits without a graceful shutdown (an
   * uncaught exception, an unhandled rejection, `process.exit()`): runs in
   * flight get their run_finished and the destination is flushed, synchronously
   * since no event loop is left. A listener on 'exit' observes the ending
   * without changing it, unlike one on 'uncaughtException', which would keep
   * a crashed process alive. Prepended, so it runs before pino's own exit-time
   * flush of the same destination.
   */
  private readonly onExit = (): void => {
    try {
      this.endAll('shutdown');
      this.sink.flushSync?.();
    } catch {
      // exiting anyway
    }
  };

  /**
   * Makes this the process's engine, the one runs fall back to. An engine
   * installed earlier (another application in the same process) keeps its
   * own runs and steps back in when this one is uninstalled.
   */
  install(): void {
    const earlier = registry.earlier as Engine[];
    const current = registry.engine as Engine | undefined;
    removeFrom(earlier, this);
    if (current && current !== this) earlier.push(current);
    registry.engine = this;
    this.attachToProcess();
  }

  /** Removes this engine; the one installed before it, if still open, is the process's engine again. */
  uninstall(): void {
    this.closedForRuns = true;
    // Shutdown is over: the bound's timer must not hold the process a moment longer.
    if (this.flushDeadline) clearTimeout(this.flushDeadline.timer);
    this.detachFromProcess();
    for (const integration of this.integrations) {
      try {
        integration.close?.();
      } catch (err) {
        this.dropped(err);
      }
    }
    const earlier = registry.earlier as Engine[];
    removeFrom(earlier, this);
    if (registry.engine !== this) return;
    registry.engine = earlier.pop();
  }

  private attachToProcess(): void {
    process.removeListener('exit', this.onExit);
    process.prependListener('exit', this.onExit);
  }

  private detachFromProcess(): void {
    process.removeListener('exit', this.onExit);
  }
}

/** A timer (ref'd: it keeps the event loop alive until then) and the promise it resolves. */
function startDeadline(ms: number): { reached: Promise<void>; timer: NodeJS.Timeout } {
  let timer!: NodeJS.Timeout;
  const reached = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { reached, timer };
}

function removeFrom(list: Engine[], engine: Engine): void {
  const at = list.indexOf(engine);
  if (at !== -1) list.splice(at, 1);
}

const owners = registry.owners as WeakMap<object, Engine>;

/** The installed engine, if any. */
export const installedEngine = (): Engine | undefined => registry.engine as Engine | undefined;

/** The engine told it owns `object`, if any. */
export const ownerOf = (object: unknown): Engine | undefined =>
  (typeof object === 'object' && object !== null) || typeof object === 'function' ? owners.get(object) : undefined;

/**
 * The engine a new run belongs to: the one that owns the object whose method
 * runs it (its application's), else the one of the run or request it starts
 * in, else the installed one. Undefined when that engine is closed: the run
 * calls through unlogged rather than being written to another application's
 * log, or getting a run_started that no run_finished would follow.
 */
export function engineForRun(owner: unknown, parent: Frame | undefined): Engine | undefined {
  const engine = ownerOf(owner) ?? parent?.engine ?? installedEngine();
  return engine?.acceptsRuns ? engine : undefined;
}
