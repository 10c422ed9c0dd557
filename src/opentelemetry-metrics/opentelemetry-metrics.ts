import { metrics, type MeterProvider, type ObservableCounter, type ObservableResult } from '@opentelemetry/api';
import { AgentLoggingConfigError } from '../core/errors.js';
import type { AgentLoggingIntegration, IntegrationHost } from '../core/integration.js';
import { checkMetricsOptions, type CommonMetricsOptions } from '../core/metrics/metric-options.js';
import { MetricView } from '../core/metrics/metric-view.js';
import { METRIC } from './genai-metric-names.js';
import { OpenTelemetryRecorder } from './opentelemetry-recorder.js';

/** Options of `openTelemetryMetrics()`. */
export interface OpenTelemetryMetricsOptions extends CommonMetricsOptions {
  /** Where the meter comes from. Default: the global MeterProvider, as it is when the module starts (register the SDK before). */
  meterProvider?: MeterProvider;
}

const KNOWN = ['meterProvider', 'maxLabelValues', 'prices', 'buckets'];
const METER = 'nestjs-agent-logging';

/**
 * Agent metrics through the OpenTelemetry metrics API, with the GenAI
 * conventions' names (semantic-conventions-genai 0.1.0; see
 * genai-metric-names.ts and docs/metrics.md): model, tool and agent
 * durations, token counters, plus runs by stop reason, loops, cost, runs in
 * flight and events dropped. Counted from the events; attributes carry agent,
 * tool and model names only, capped in number.
 *
 * @example
 * AgentLoggingModule.forRoot({ integrations: [openTelemetryMetrics()] })
 */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions = {}): AgentLoggingIntegration {
  const common = checkMetricsOptions('openTelemetryMetrics', options, KNOWN);
  const given = options.meterProvider;
  if (given !== undefined && typeof (given as Partial<MeterProvider>)?.getMeter !== 'function') {
    throw new AgentLoggingConfigError('openTelemetryMetrics: option "meterProvider" must be an OpenTelemetry MeterProvider');
  }
  let view: MetricView | undefined;
  let dropped: ObservableCounter | undefined;
  let observeDropped: ((result: ObservableResult) => void) | undefined;
  return {
    name: 'opentelemetry-metrics',
    // The meter is taken when the module starts, not when forRoot is evaluated: an app module is often
    // imported before main.ts registers the SDK, and instruments made on the no-op provider stay no-ops.
    attach(host: IntegrationHost) {
      const meter = (given ?? metrics.getMeterProvider()).getMeter(METER);
      view = new MetricView(new OpenTelemetryRecorder(meter, common.runBuckets, common.callBuckets), common);
      view.attach(host);
      dropped = meter.createObservableCounter(METRIC.dropped, { unit: '{event}', description: 'Events that could not be written (a failing log destination or integration).' });
      observeDropped = (result) => result.observe(host.droppedCount);
      dropped.addCallback(observeDropped);
    },
    onEvent(run, event) {
      view?.onEvent(run, event);
    },
    close() {
      if (dropped && observeDropped) dropped.removeCallback(observeDropped);
    },
  };
}
