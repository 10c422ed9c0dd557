import type { RequestScope } from './run-context.js';
import { parseTraceParent } from './traceparent.js';

/**
 * How a run is carried across a process boundary: W3C `traceparent` for the
 * trace and the calling span, and one W3C `baggage` entry naming the calling
 * run. Baggage rather than a header of our own because every OpenTelemetry
 * propagator (HTTP, gRPC, Kafka, AMQP, BullMQ's telemetry) already carries it,
 * proxies and gateways that forward trace headers forward it too, and nothing
 * new has to be allowed through CORS. (docs/opentelemetry.md, Propagation.)
 */
export const RUN_BAGGAGE_KEY = 'agent_log.run_id';

// A run id is a UUID (ours are version 7); anything else in the entry is ignored.
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** W3C Baggage: a header longer than this may be dropped by the receiver, so it is not read. */
const MAX_BAGGAGE = 8192;

export const isRunId = (value: unknown): value is string => typeof value === 'string' && RUN_ID.test(value);

/** The calling run named by a `baggage` header, or undefined for anything malformed or oversized. */
export function runIdFromBaggage(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_BAGGAGE) return undefined;
  for (const member of header.split(',')) {
    const eq = member.indexOf('=');
    if (eq === -1 || member.slice(0, eq).trim() !== RUN_BAGGAGE_KEY) continue;
    // Properties after `;` are not ours to read; a UUID needs no percent-decoding.
    const value = member.slice(eq + 1).split(';')[0].trim();
    return isRunId(value) ? value : undefined;
  }
  return undefined;
}

/** `baggage` with this run as the calling run: an entry of the same key (an upstream run's) is replaced, the rest kept. */
export function withRunBaggage(header: string | undefined, runId: string): string {
  const ours = `${RUN_BAGGAGE_KEY}=${runId}`;
  if (!header) return ours;
  const kept = header.split(',').filter((m) => {
    const eq = m.indexOf('=');
    return m.trim() !== '' && (eq === -1 || m.slice(0, eq).trim() !== RUN_BAGGAGE_KEY);
  });
  kept.push(ours);
  return kept.join(',');
}

/** The trace fields of a request scope, read from its `traceparent` and `baggage` headers. Never throws. */
export function traceScopeFrom(header: (name: string) => unknown): Pick<RequestScope, 'traceId' | 'parentSpanId' | 'traceFlags' | 'parentRunId'> {
  const scope: Pick<RequestScope, 'traceId' | 'parentSpanId' | 'traceFlags' | 'parentRunId'> = {};
  try {
    const parent = parseTraceParent(header('traceparent'));
    if (parent) {
      scope.traceId = parent.traceId;
      scope.parentSpanId = parent.parentSpanId;
      scope.traceFlags = parent.traceFlags;
    }
    const parentRunId = runIdFromBaggage(header('baggage'));
    if (parentRunId !== undefined) scope.parentRunId = parentRunId;
  } catch {
    // a carrier whose getter throws carries nothing
  }
  return scope;
}
