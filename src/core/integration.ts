import type { AgentEventName } from './events/agent-event.js';
import type { UnboundEvent } from './events/build-event.js';
import type { PriceTable } from './pricing/price-table.js';

/** What an integration is told about the run an event belongs to: the fields the sink binds once per run. */
export interface EventRun {
  readonly runId: string;
  readonly traceId: string;
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
  /** The application is closing: release what the integration holds. */
  close?(): void;
}
