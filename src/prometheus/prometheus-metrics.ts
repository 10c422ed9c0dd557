import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import { AgentLoggingConfigError } from '../core/errors.js';
import type { AgentLoggingIntegration, IntegrationHost } from '../core/integration.js';
import { CALL_SECONDS_BUCKETS, RUN_SECONDS_BUCKETS, STEPS_PER_RUN_BUCKETS } from '../core/metrics/buckets.js';
import { checkMetricsOptions, type CommonMetricsOptions } from '../core/metrics/metric-options.js';
import { MetricView } from '../core/metrics/metric-view.js';
import { PrometheusRecorder, type PrometheusInstruments } from './prometheus-recorder.js';

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
 * The instruments of one registry and prefix, shared by every integration
 * registering there (two apps in one process, the ESM and the CommonJS copy
 * of this package): prom-client refuses a name registered twice. Kept on the
 * registry object under a `Symbol.for` key, so both copies find it.
 */
interface Shared {
  instruments: PrometheusInstruments;
  /** Bucket boundaries, to refuse a second integration that asks for other ones. */
  buckets: string;
  /** Engines attached; their dropped counts, plus those of engines already closed, make the dropped counter. */
  hosts: Set<IntegrationHost>;
  droppedByClosed: number;
}

const SHARED = Symbol.for('nestjs-agent-logging/prometheus');
type WithShared = Registry & { [SHARED]?: Map<string, Shared> };

function makeInstruments(registry: Registry, prefix: string, runBuckets: readonly number[], callBuckets: readonly number[], shared: () => Shared): PrometheusInstruments {
  const registers = [registry];
  const name = (n: string) => `${prefix}${n}`;
  return {
    runsStarted: new Counter({ name: name('runs_started_total'), help: 'Agent runs started.', labelNames: ['agent'], registers }),
    runs: new Counter({ name: name('runs_total'), help: 'Agent runs finished, by status and stop reason.', labelNames: ['agent', 'status', 'stop_reason'], registers }),
    runsInFlight: new Gauge({ name: name('runs_in_flight'), help: 'Agent runs started and not yet finished.', labelNames: ['agent'], registers }),
    runDuration: new Histogram({ name: name('run_duration_seconds'), help: 'Agent run duration.', labelNames: ['agent', 'status'], buckets: [...runBuckets], registers }),
    runSteps: new Histogram({ name: name('run_steps'), help: 'Steps (tool and model calls) per finished run.', labelNames: ['agent'], buckets: [...STEPS_PER_RUN_BUCKETS], registers }),
    runToolCalls: new Histogram({ name: name('run_tool_calls'), help: 'Tool calls per finished run.', labelNames: ['agent'], buckets: [...STEPS_PER_RUN_BUCKETS], registers }),
    toolCalls: new Counter({ name: name('tool_calls_total'), help: 'Tool calls finished, by status.', labelNames: ['agent', 'tool', 'status'], registers }),
    toolDuration: new Histogram({ name: name('tool_duration_seconds'), help: 'Tool call duration.', labelNames: ['tool', 'status'], buckets: [...callBuckets], registers }),
    llmCalls: new Counter({ name: name('llm_calls_total'), help: 'Model calls finished, by status.', labelNames: ['agent', 'model', 'status'], registers }),
    llmDuration: new Histogram({ name: name('llm_duration_seconds'), help: 'Model call duration.', labelNames: ['model', 'status'], buckets: [...callBuckets], registers }),
    llmTokens: new Counter({
      name: name('llm_tokens_total'),
      help: 'Tokens reported by model calls, by kind (input counts cache reads and writes too; reasoning is part of output).',
      labelNames: ['agent', 'model', 'kind'],
      registers,
    }),
    llmCost: new Counter({ name: name('llm_cost_usd_total'), help: 'Cost of model calls in USD, from the price table.', labelNames: ['agent', 'model'], registers }),
    loops: new Counter({ name: name('loops_detected_total'), help: 'Loops the loop guard detected, by action (warned, refused).', labelNames: ['agent', 'tool', 'action'], registers }),
    dropped: new Counter({
      name: name('events_dropped_total'),
      help: 'Events that could not be written (a failing log destination or integration).',
      registers,
      collect(this: Counter) {
        const s = shared();
        let total = s.droppedByClosed;
        for (const host of s.hosts) total += host.droppedCount;
        this.reset();
        if (total > 0) this.inc(total);
      },
    }),
  };
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
  const shared: Shared = { instruments: undefined as never, buckets, hosts: new Set(), droppedByClosed: 0 };
  shared.instruments = makeInstruments(registry, prefix, runBuckets, callBuckets, () => shared);
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
  const view = new MetricView(new PrometheusRecorder(shared.instruments), common);
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
