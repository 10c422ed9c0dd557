import { isoNow } from '../clock.js';
import type { AgentEvent, AgentEventName } from './agent-event.js';

type EventOf<N extends AgentEventName> = Extract<AgentEvent, { event: N }>;
type Bound = 'run_id' | 'trace_id' | 'trace_flags' | 'agent' | 'schema';

/** An event as the engine builds it: the run's fixed fields are bound by the sink, once per run. */
export type UnboundEvent<N extends AgentEventName> = Omit<EventOf<N>, Bound>;

/** The span an event belongs to. */
export interface EventSpan {
  span_id: string;
  parent_span_id?: string;
}

/** What the caller supplies beyond the head. Optional fields may be passed as undefined. */
export type EventFields<N extends AgentEventName> = Omit<UnboundEvent<N>, 'event' | 'timestamp' | 'seq' | keyof EventSpan>;

/**
 * Builds one event in schema order, leaving out fields that are undefined
 * rather than writing them as null, so lines stay small and stable. One
 * object per event: this runs three times per tool call.
 */
export function buildEvent<N extends AgentEventName>(
  event: N,
  seq: number,
  spanId: string,
  parentSpanId: string | undefined,
  fields: EventFields<N>,
): UnboundEvent<N> {
  const out: Record<string, unknown> = { event, timestamp: isoNow(), seq, span_id: spanId };
  if (parentSpanId !== undefined) out.parent_span_id = parentSpanId;
  for (const key in fields) {
    const value = (fields as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as UnboundEvent<N>;
}
