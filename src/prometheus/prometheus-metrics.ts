import { register as defaultRegistry, type Registry } from 'prom-client';
import { AgentLoggingConfigError } from '../core/errors.js';
import type { AgentLoggingIntegration, IntegrationHost } from '../core/integration.js';
import { CALL_SECONDS_BUCKETS, RUN_SECONDS_BUCKETS } from '../core/metrics/buckets.js';
import { checkMetricsOptions, type CommonMetricsOptions } from '../core/metrics/metric-options.js';
import { MetricView } from '../core/metrics/metric-view.js';
import { FamilyCollector, histogramCollector, valueCollector } from './family-collector.js';
import { PrometheusFamilies, PrometheusRecorder } from './prometheus-recorder.js';

/** Options of `prometheusMetrics()`. */
export interface PrometheusMetricsOptions extends CommonMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global registry, the one `@willsoto/nestjs-prometheus` serves on /metrics. */
  registry?: Registry;
  /** Prepended to every metric name. Default `agent_`. */
  prefix?: string;
}

const KNOWN = ['registry', 'prefix', 'maxLabelValues', 'prices', 'buckets'];
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,63}$/;

/**
 * The metrics of one registry and prefix, shared by every integration
 * registering there (two apps in one process, the ESM and the CommonJS copy
 * of this package): a registry refuses a name registered twice. Kept on the
 * registry object under a `Symbol.for` key, so both copies find it.
 */
interface Shared {
  families: PrometheusFamilies;
  /** Bucket boundaries, to refuse a second integration that asks for other ones. */
  buckets: string;
  /** Engines attached; their dropped counts, plus those of engines already closed, make the dropped counter. */
  hosts: Set<IntegrationHost>;
  droppedByClosed: number;
}

const SHARED = Symbol.for('nestjs-agent-logging/prometheus');
type WithShared = Registry & { [SHARED]?: Map<string, Shared> };

function register(registry: Registry, prefix: string, shared: Shared): void {
  const f = shared.families;
  const n = (name: string) => `${prefix}${name}`;
  const collectors: FamilyCollector[] = [
    valueCollector(n('runs_started_total'), 'Agent runs started.', 'counter', f.runsStarted),
    valueCollector(n('runs_total'), 'Agent runs finished, by status and stop reason.', 'counter', f.runs),
    valueCollector(n('runs_in_flight'), 'Agent runs started and not yet finished.', 'gauge', f.runsInFlight),
    histogramCollector(n('run_duration_seconds'), 'Agent run duration.', f.runDuration),
    histogramCollector(n('run_steps'), 'Steps (tool and model calls) per finished run.', f.runSteps),
    histogramCollector(n('run_tool_calls'), 'Tool calls per finished run.', f.runToolCalls),
    valueCollector(n('tool_calls_total'), 'Tool calls finished, by status.', 'counter', f.toolCalls),
    histogramCollector(n('tool_duration_seconds'), 'Tool call duration.', f.toolDuration),
    valueCollector(n('llm_calls_total'), 'Model calls finished, by status.', 'counter', f.llmCalls),
    histogramCollector(n('llm_duration_seconds'), 'Model call duration.', f.llmDuration),
    valueCollector(
      n('llm_tokens_total'),
      'Tokens reported by model calls, by kind (input counts cache reads and writes too; reasoning is part of output).',
      'counter',
      f.llmTokens,
    ),
    valueCollector(n('llm_cost_usd_total'), 'Cost of model calls in USD, from the price table.', 'counter', f.llmCost),
    valueCollector(n('loops_detected_total'), 'Loops the loop guard detected, by action (warned, refused).', 'counter', f.loops),
    new FamilyCollector(
      n('events_dropped_total'),
      'Events that could not be written (a failing log destination or integration).',
      'counter',
      () => {
        let total = shared.droppedByClosed;
        for (const host of shared.hosts) total += host.droppedCount;
        return [{ value: total, labels: {} }];
      },
      () => undefined,
    ),
  ];
  for (const collector of collectors) registry.registerMetric(collector.asMetric());
}

function sharedFor(registry: Registry, prefix: string, runBuckets: readonly number[], callBuckets: readonly number[]): Shared {
  const holder = registry as WithShared;
  const byPrefix = (holder[SHARED] ??= new Map());
  const buckets = JSON.stringify([runBuckets, callBuckets]);
  const existing = byPrefix.get(prefix);
  if (existing) {
    if (existing.buckets !== buckets) {
      throw new AgentLoggingConfigError(`prometheusMetrics: the metrics "${prefix}*" are already registered with other buckets on this registry; give the same buckets, or another prefix`);
    }
    return existing;
  }
  const clash = registry.getSingleMetric(`${prefix}runs_total`);
  if (clash) {
    throw new AgentLoggingConfigError(`prometheusMetrics: a metric named "${prefix}runs_total" is already registered by someone else; give another prefix`);
  }
  const shared: Shared = { families: new PrometheusFamilies(runBuckets, callBuckets), buckets, hosts: new Set(), droppedByClosed: 0 };
  register(registry, prefix, shared);
  byPrefix.set(prefix, shared);
  return shared;
}

/**
 * Agent metrics on a Prometheus registry, counted from the events: runs by
 * agent, status and stop reason, durations, steps, tool and model calls,
 * tokens, cost, loops, runs in flight and events dropped (docs/metrics.md).
 * Labels carry agent, tool and model names only, capped in number; never a
 * run, trace, request or user id.
 *
 * @example
 * // with @willsoto/nestjs-prometheus, whose /metrics serves the same default registry:
 * imports: [PrometheusModule.register(), AgentLoggingModule.forRoot({ integrations: [prometheusMetrics()] })]
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): AgentLoggingIntegration {
  const common = checkMetricsOptions('prometheusMetrics', options, KNOWN);
  const registry = options.registry ?? defaultRegistry;
  if (typeof (registry as Partial<Registry>)?.getSingleMetric !== 'function' || typeof (registry as Partial<Registry>).registerMetric !== 'function') {
    throw new AgentLoggingConfigError('prometheusMetrics: option "registry" must be a prom-client Registry');
  }
  const prefix = options.prefix ?? 'agent_';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new AgentLoggingConfigError(`prometheusMetrics: option "prefix" must be a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(String(prefix))}`);
  }
  const shared = sharedFor(registry, prefix, common.runBuckets ?? RUN_SECONDS_BUCKETS, common.callBuckets ?? CALL_SECONDS_BUCKETS);
  const view = new MetricView(new PrometheusRecorder(shared.families), common);
  let host: IntegrationHost | undefined;
  return {
    name: 'prometheus',
    attach(engine) {
      host = engine;
      shared.hosts.add(engine);
      view.attach(engine);
    },
    onEvent(run, event) {
      view.onEvent(run, event);
    },
    close() {
      if (host && shared.hosts.delete(host)) shared.droppedByClosed += host.droppedCount;
    },
  };
}
