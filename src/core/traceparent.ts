/** The parts of a W3C `traceparent` header this library uses. */
export interface TraceParent {
  traceId: string;
  parentSpanId: string;
  traceFlags: string;
}

// version "00" is exactly 55 characters; later versions may append fields after
// a dash, which a version-00 parser must ignore (W3C Trace Context, section 3.2.4).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const MAX_LENGTH = 512;

/**
 * Parses an inbound `traceparent`. Anything malformed, oversized, all-zero or of
 * the forbidden version `ff` gives `undefined`: a bad header starts a fresh
 * trace, it never fails the request.
 */
export function parseTraceParent(header: unknown): TraceParent | undefined {
  if (typeof header !== 'string' || header.length > MAX_LENGTH) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, parentSpanId, traceFlags, rest] = m;
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentSpanId)) return undefined;
  return { traceId, parentSpanId, traceFlags };
}

/** Formats a version-00 `traceparent` for outbound calls. */
export function formatTraceParent(traceId: string, spanId: string, traceFlags = '01'): string {
  return `00-${traceId}-${spanId}-${traceFlags}`;
}
