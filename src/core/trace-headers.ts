import { installedEngine } from './engine.js';
import type { Run } from './run.js';
import { currentFrame, runInRequestScope, throughTracer, type RequestScope } from './run-context.js';
import { formatTraceParent, parseTraceParent } from './traceparent.js';

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

/**
 * One `baggage` header from several, with this run as the calling run: each
 * key once, the first header's entry winning (the caller's own, then the
 * tracer's context), and the run's entry ours in place of any upstream one.
 */
export function withRunBaggage(runId: string, ...headers: (string | undefined)[]): string {
  const seen = new Set<string>([RUN_BAGGAGE_KEY]);
  const kept: string[] = [];
  for (const header of headers) {
    if (!header) continue;
    for (const raw of header.split(',')) {
      const member = raw.trim();
      const eq = member.indexOf('=');
      const key = (eq === -1 ? member : member.slice(0, eq)).trim();
      if (member === '' || seen.has(key)) continue;
      seen.add(key);
      kept.push(member);
    }
  }
  kept.push(`${RUN_BAGGAGE_KEY}=${runId}`);
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

/** Headers as fetch, axios and the model SDKs take them. */
export type HeadersLike = Headers | Iterable<readonly [string, string] | readonly string[]> | Record<string, string | readonly string[] | number | undefined>;

function plainHeaders(base: HeadersLike | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (base === undefined || base === null) return out;
  if (typeof (base as Headers).forEach === 'function' && !Array.isArray(base)) {
    (base as Headers).forEach((value, key) => (out[key.toLowerCase()] = value));
  } else if (typeof (base as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [key, value] of base as Iterable<readonly string[]>) out[String(key).toLowerCase()] = String(value);
  } else {
    for (const [key, value] of Object.entries(base)) if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * The propagation headers for a call made at `spanId` of `run`: the tracer's
 * (its active context: a span the app opened inside the step, or with
 * `spans: false` the span the run sits under) when they are in the run's
 * trace, else the run's own `traceparent`. The one source of the
 * `traceparent` that `agentTraceHeaders()` and `currentAgentRun()` give.
 */
export function outboundHeaders(run: Run, spanId: string): Record<string, string> {
  const carrier: Record<string, string> = {};
  const tracer = run.engine.tracer;
  if (tracer?.inject !== undefined) {
    try {
      tracer.inject(carrier);
    } catch (err) {
      run.engine.dropped(err);
    }
  }
  if (parseTraceParent(carrier.traceparent)?.traceId !== run.traceId) {
    // Another trace's context (or none): its tracestate is not this trace's either.
    delete carrier.tracestate;
    carrier.traceparent = formatTraceParent(run.traceId, spanId, run.traceFlags);
  }
  return carrier;
}

/**
 * The headers that carry the current run and step to another service: W3C
 * `traceparent` (the current step's span), and `baggage` naming the run, so a
 * service with this package records its run as a child of the calling step.
 * With the OpenTelemetry integration, the active context's headers
 * (`tracestate`, its baggage entries) come too. Returns `base` (as a plain
 * object, keys lower-cased) with them added, `base`'s own baggage entries
 * kept; outside a run, `base` alone.
 *
 * @example
 * await fetch(url, { headers: agentTraceHeaders({ 'content-type': 'application/json' }) });
 * await openai.chat.completions.create(body, { headers: agentTraceHeaders() });
 */
export function agentTraceHeaders(base?: HeadersLike): Record<string, string> {
  const out = plainHeaders(base);
  const frame = currentFrame();
  const run = frame?.run;
  if (!run) return out;
  const { baggage, ...trace } = outboundHeaders(run, frame.spanId ?? run.spanId);
  const own = out.baggage;
  Object.assign(out, trace);
  out.baggage = withRunBaggage(run.runId, own, baggage);
  return out;
}

/**
 * Runs `fn` in the trace its carrier came from (`traceparent`, `baggage`), so
 * runs started inside are children of the calling step and run: for work that
 * no interceptor sees — a BullMQ job, a TCP payload, a message read by hand.
 * The carrier wins over the trace `fn` is called in (an enclosing request, an
 * active OpenTelemetry span): the trace, parent span, flags and calling run
 * are all the carrier's, or none of them. With the OpenTelemetry integration
 * `fn` runs in the carrier's extracted context, so the app's own spans join
 * the caller's trace too. A malformed carrier starts a fresh trace, never an error.
 *
 * @example
 * // producer, inside a run:   await queue.add('summarize', { ...data, trace: agentTraceHeaders() });
 * // worker:                   new Worker('q', (job) => withAgentTraceContext(job.data.trace, () => agent.summarize(job.data)));
 */
export function withAgentTraceContext<T>(carrier: unknown, fn: () => T): T {
  let headers: Record<string, string>;
  try {
    headers = carrier !== null && typeof carrier === 'object' ? plainHeaders(carrier as HeadersLike) : {};
  } catch {
    headers = {}; // a carrier whose getters throw carries nothing
  }
  const frame = currentFrame();
  // The request the caller is in (its request_id, user_id) stays; its trace gives way to the carrier's, whole.
  const scope: RequestScope = {
    ...frame?.request,
    traceId: undefined,
    parentSpanId: undefined,
    traceFlags: undefined,
    parentRunId: undefined,
    traceFromCarrier: undefined,
    ...traceScopeFrom((name) => headers[name]),
  };
  // Its app's engine stays too: runs started inside are that application's, and its tracer takes the carrier in.
  const own = frame?.engine;
  const tracer = (own ?? installedEngine())?.tracer;
  if (tracer?.extract === undefined) return runInRequestScope({ ...scope, traceFromCarrier: true }, fn, own);
  let extracted = false;
  return throughTracer(
    (inner) =>
      tracer.extract!(headers, () => {
        extracted = true;
        return inner();
      }),
    // Where the tracer could not take the carrier in, its active span is not the run's parent.
    () => runInRequestScope(extracted ? scope : { ...scope, traceFromCarrier: true }, fn, own),
    (err) => (own ?? installedEngine())?.dropped(err),
  );
}
