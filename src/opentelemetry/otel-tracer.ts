import { context, propagation, trace, type Context, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { AgentTracer, OuterContext, SpanRequest, TracedSpan, TracePosition } from '../core/integration.js';
import { RUN_BAGGAGE_KEY, isRunId } from '../core/trace-headers.js';
import { GENAI_SCHEMA_URL, spanKind, spanName, startAttributes } from './genai-mapping.js';
import { OtelSpan, flagsHex } from './otel-span.js';

const TRACER_NAME = 'nestjs-agent-logging';

const positionOf = (ctx: Context): TracePosition | undefined => {
  const ids = trace.getSpanContext(ctx);
  return ids !== undefined && trace.isSpanContextValid(ids) ? { traceId: ids.traceId, spanId: ids.spanId, traceFlags: flagsHex(ids.traceFlags) } : undefined;
};

/** Where runs take their trace from: OpenTelemetry's active span, and the calling run its baggage names. */
function outer(): OuterContext | undefined {
  const active = context.active();
  const position = positionOf(active);
  const entry = propagation.getBaggage(active)?.getEntry(RUN_BAGGAGE_KEY)?.value;
  const parentRunId = isRunId(entry) ? entry : undefined;
  return position !== undefined || parentRunId !== undefined ? { position, parentRunId } : undefined;
}

/**
 * The context a span starts under: its parent's span when it has one, else
 * the active context when core placed it under the active span, else the
 * position core chose (an inbound traceparent, a run whose step had no span)
 * as a remote parent, else no span at all (a new trace). The active context's
 * baggage is kept in every case.
 */
function parentContext(request: SpanRequest): Context {
  if (request.parent instanceof OtelSpan) return request.parent.context;
  const active = context.active();
  const at = request.position;
  if (at === undefined) return trace.deleteSpan(active);
  const current = trace.getSpanContext(active);
  if (current?.spanId === at.spanId && current.traceId === at.traceId) return active;
  return trace.setSpanContext(active, { traceId: at.traceId, spanId: at.spanId, traceFlags: parseInt(at.traceFlags, 16), isRemote: true });
}

/** The OpenTelemetry tracer of `openTelemetry()`: spans per run and step, or (spans: false) the trace alone. */
export function createOtelTracer(spans: boolean, provider: TracerProvider | undefined): AgentTracer {
  let tracer: Tracer | undefined;
  // Looked up on first use, not at boot: the app may register its SDK after the module is built.
  const tracerOf = (): Tracer => (tracer ??= (provider ?? trace.getTracerProvider()).getTracer(TRACER_NAME, undefined, { schemaUrl: GENAI_SCHEMA_URL }));

  const start = (request: SpanRequest): TracedSpan | undefined => {
    const parent = parentContext(request);
    const span = tracerOf().startSpan(spanName(request.kind, request.name), { kind: spanKind(request.kind), attributes: startAttributes(request) }, parent);
    const ids = span.spanContext();
    const parentSpanId = trace.getSpanContext(parent)?.spanId;
    // No SDK registered (the API's no-op tracer) or tracing suppressed: no span
    // of its own, only its parent's ids or none. Core makes the ids then.
    if (!trace.isSpanContextValid(ids) || ids.spanId === parentSpanId) return undefined;
    let ctx = trace.setSpan(parent, span);
    if (request.kind === 'run') {
      // Outbound calls from inside the run name it as their caller, through every OpenTelemetry propagator.
      const baggage = (propagation.getBaggage(ctx) ?? propagation.createBaggage()).setEntry(RUN_BAGGAGE_KEY, { value: request.runId });
      ctx = propagation.setBaggage(ctx, baggage);
    }
    return new OtelSpan(span, ctx, parentSpanId, request.kind === 'llm' ? request.name : undefined);
  };

  return {
    outer,
    start: spans ? start : undefined,
    inject(carrier) {
      propagation.inject(context.active(), carrier);
    },
    extract(carrier, fn) {
      // The carrier's trace and baggage replace the active ones; a carrier without them leaves none.
      const base = propagation.deleteBaggage(trace.deleteSpan(context.active()));
      return context.with(propagation.extract(base, carrier), fn);
    },
  };
}
