// nestjs-agent-logging/opentelemetry: runs in OpenTelemetry traces, and (by default) a span per run and step.
import type { TracerProvider } from '@opentelemetry/api';
import { AgentLoggingConfigError } from '../core/errors.js';
import type { AgentLoggingIntegration } from '../core/integration.js';
import { createOtelTracer } from './otel-tracer.js';

export { GENAI_SCHEMA_URL } from './genai-mapping.js';

/** Options of `openTelemetry()`. */
export interface OpenTelemetryOptions {
  /**
   * A span per run (`invoke_agent {agent}`), tool step (`execute_tool {tool}`) and model step (`chat {model}`),
   * with the events' span ids. Default true. With false, runs only take their trace from the active context.
   */
  spans?: boolean;
  /** The provider the spans go to. Default: the global one the OpenTelemetry SDK registered. */
  tracerProvider?: TracerProvider;
}

const KNOWN = ['spans', 'tracerProvider'];

/**
 * Joins runs to OpenTelemetry: a run started inside an active span takes its
 * trace, parent span and flags; runs and steps become spans following the
 * GenAI semantic conventions, the step's span active while the step runs.
 * Needs `@opentelemetry/api` and an SDK the app registers (`@opentelemetry/sdk-node`).
 *
 * @example
 * AgentLoggingModule.forRoot({ integrations: [openTelemetry()] })
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): AgentLoggingIntegration {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AgentLoggingConfigError('openTelemetry(options): options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new AgentLoggingConfigError(`openTelemetry(options): unknown option "${key}" (known: ${KNOWN.join(', ')})`);
  }
  if (options.spans !== undefined && typeof options.spans !== 'boolean') {
    throw new AgentLoggingConfigError(`openTelemetry(options): spans must be a boolean, got ${typeof options.spans}`);
  }
  const provider = options.tracerProvider;
  if (provider !== undefined && (typeof provider !== 'object' || provider === null || typeof provider.getTracer !== 'function')) {
    throw new AgentLoggingConfigError('openTelemetry(options): tracerProvider must be an OpenTelemetry TracerProvider (with getTracer)');
  }
  return { name: 'opentelemetry', tracer: createOtelTracer(options.spans ?? true, provider) };
}
