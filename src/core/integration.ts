import type { AgentEventName } from './events/agent-event.js';
import type { UnboundEvent } from './events/build-event.js';
import type { PriceTable } from './pricing/price-table.js';

/** What an integration is told about the run an event belongs to: the fields the sink binds once per run. */
export interface EventRun {
  readonly runId: string;
  readonly traceId: string;
  readonly traceFlags: string;
  readonly agent: string;
  readonly parentRunId?: string;
}

/** What an integration may read of the engine it is attached to, beyond the events. */
export interface IntegrationHost {
  /** Events that could not be written so far (a failing destination, a throwing integration). */
  readonly droppedCount: number;
  /** The module's price table (`prices`), when one is given. */
  readonly prices?: PriceTable;
}

/** A place in a W3C trace: a trace id (32 hex), a span id (16 hex) and the flags (2 hex, `01` sampled). */
export interface TracePosition {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: string;
}

/** Where the code starting a run outside any run stands, as the tracer sees it (OpenTelemetry's active span). */
export interface OuterContext {
  /** The active span, if there is a valid one. */
  readonly position?: TracePosition;
  /** The calling run, named by the context's W3C baggage (`agent_log.run_id`), if any. */
  readonly parentRunId?: string;
}

/** What a tracer is asked to open a span for: a run, a tool step or a model step, before its first event. */
export interface SpanRequest {
  readonly kind: 'run' | 'tool' | 'llm';
  /** The agent's, the tool's or the model's name; a model step's may be unknown until its result. */
  readonly name: string | undefined;
  readonly runId: string;
  /** The enclosing run's or step's span, when the tracer started one. */
  readonly parent?: TracedSpan;
  /** Otherwise where the span goes, as core decided (parent run, active span, inbound `traceparent`); none: a new trace. */
  readonly position?: TracePosition;
}

/**
 * A span a tracer started for a run or a step. Its ids become the events' ids,
 * so a log line and its span are one thing.
 */
export interface TracedSpan extends TracePosition {
  /** The span it was started under, if any (16 hex). */
  readonly parentSpanId?: string;
  /** Each event of this run or step, after the sink took it; the run's or step's last event ends the span. Must not keep or change it. */
  onEvent(event: UnboundEvent<AgentEventName>): void;
  /** Calls `fn` with this span as the current context of the tracer's library, so work done inside nests under it. */
  enter<T>(fn: () => T): T;
  /** Ends the span with an error status: its run could not be opened (`errorType`, the failure's class), so no event of it will come. */
  fail?(errorType: string): void;
}

/**
 * How runs join an existing tracing system (OpenTelemetry): where a run takes
 * its trace from, and the spans whose ids the events adopt. Every method may
 * be absent; a throwing one is counted and core carries on with its own ids.
 */
export interface AgentTracer {
  /** Read when a run opens outside any run: the trace and calling run the code is in. */
  outer?(): OuterContext | undefined;
  /** Opens the span of a run or step, or returns undefined to leave the ids to core. */
  start?(request: SpanRequest): TracedSpan | undefined;
  /** Writes the propagation headers of the current context (`traceparent`, `tracestate`, `baggage`) into `carrier`. */
  inject?(carrier: Record<string, string>): void;
  /**
   * Calls `fn` once, inside the context `carrier`'s propagation headers
   * describe (`withAgentTraceContext`): its trace and baggage in place of the
   * active ones, so the app's own spans inside join the caller's trace too.
   */
  extract?<T>(carrier: Record<string, string>, fn: () => T): T;
}

/**
 * An optional view of the runs (OpenTelemetry, metrics), given to the module
 * as `integrations: [...]` from its own entry point. Events stay the source of
 * truth: an integration is told each event once it is written, and may read
 * nothing the event does not carry, so a span or a metric never holds what the
 * log would not. Each hook is called inside a try: a throwing integration is
 * counted as a dropped event, never thrown into the app.
 */
export interface AgentLoggingIntegration {
  /** A short name, for error messages (`opentelemetry`, `prometheus`). */
  readonly name: string;
  /** The engine this integration serves, once, when the module starts. */
  attach?(host: IntegrationHost): void;
  /** One event of `run`, after the sink took it. The event object must not be kept or changed. */
  onEvent?<N extends AgentEventName>(run: EventRun, event: UnboundEvent<N>): void;
  /** Where runs take their trace context and span ids from. At most one integration of an app has one. */
  readonly tracer?: AgentTracer;
  /** The application is closing: release what the integration holds. */
  close?(): void;
}
