// nestjs-agent-logging/prometheus: agent metrics on a prom-client registry. Loads prom-client, an optional peer.

export { prometheusMetrics, type PrometheusMetricsOptions } from './prometheus-metrics.js';
