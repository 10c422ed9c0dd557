// nestjs-agent-logging/opentelemetry-metrics: agent metrics through the OpenTelemetry metrics API
// (GenAI conventions). Loads @opentelemetry/api, an optional peer.

export { openTelemetryMetrics, type OpenTelemetryMetricsOptions } from './opentelemetry-metrics.js';
export { GENAI_SEMCONV } from './genai-metric-names.js';
