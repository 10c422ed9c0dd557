import { context, type Context, type Span } from '@opentelemetry/api';
import type { AgentEventName } from '../core/events/agent-event.js';
import type { UnboundEvent } from '../core/events/build-event.js';
import type { TracedSpan } from '../core/integration.js';
import { applyEvent, failSpan } from './genai-mapping.js';

/** Two lowercase hex digits, as `traceparent` and the log data model write flags. */
export const flagsHex = (flags: number): string => (flags === 1 ? '01' : flags === 0 ? '00' : (flags & 0xff).toString(16).padStart(2, '0'));

/**
 * The OpenTelemetry span of one run or step. Core adopts its ids, enters its
 * context while the run's or step's code runs, and tells it each event; the
 * mapping turns those into attributes and ends it.
 */
export class OtelSpan implements TracedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: string;

  constructor(
    private readonly span: Span,
    /** The context with this span (and, for a run, its baggage) set: the parent of everything inside. */
    readonly context: Context,
    readonly parentSpanId: string | undefined,
    private readonly requestModel: string | undefined,
  ) {
    const ids = span.spanContext();
    this.traceId = ids.traceId;
    this.spanId = ids.spanId;
    this.traceFlags = flagsHex(ids.traceFlags);
  }

  onEvent(event: UnboundEvent<AgentEventName>): void {
    applyEvent(this.span, event as unknown as Record<string, unknown>, this.requestModel);
  }

  enter<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  fail(errorType: string): void {
    failSpan(this.span, errorType);
  }
}
