import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { OTLPTraceExporter as Exporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor, type Sampler } from '@opentelemetry/sdk-trace-base';
import { OtlpReceiver } from './otlp-receiver';

// The OTLP exporter loads `http` with a dynamic import(), which Jest's module
// runtime refuses (it wants --experimental-vm-modules): the exporter, unchanged,
// is loaded by Node's own require instead of Jest's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeModule = require('node:module') as { _load(request: string, parent: null, isMain: boolean): unknown };
const { OTLPTraceExporter } = nodeModule._load(require.resolve('@opentelemetry/exporter-trace-otlp-http'), null, false) as { OTLPTraceExporter: typeof Exporter };

/**
 * The real OpenTelemetry SDK as an app registers it (what sdk-node does):
 * AsyncLocalStorage context, W3C trace context and baggage propagation, and
 * spans exported by the OTLP/HTTP exporter to a local receiver.
 */
export function useOtelSdk(options: { sampler?: Sampler } = {}) {
  const receiver = new OtlpReceiver();
  let provider: BasicTracerProvider;
  beforeAll(async () => {
    const url = await receiver.start();
    provider = new BasicTracerProvider({ sampler: options.sampler, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
    await receiver.stop();
  });
  return {
    receiver,
    /** Waits until every span ended so far has reached the receiver. */
    flush: () => provider.forceFlush(),
    tracer: () => trace.getTracer('test'),
  };
}
