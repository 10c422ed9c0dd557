import { currentFrame } from './run-context.js';
import { emittingEvent } from './sink/emitting-event.js';

/**
 * A pino `mixin` that adds `run_id`, `trace_id`, `span_id` (the current step's,
 * or the run's) and `trace_flags` to every log line written inside a run, so
 * the application's own logs correlate with the run, and log pipelines attach
 * them to the step's span.
 *
 * @example
 * LoggerModule.forRoot({ pinoHttp: { mixin: agentLogMixin } })
 */
export function agentLogMixin(): object {
  // A fresh object every time: pino's default merge strategy assigns the
  // line's own fields into whatever the mixin returns.
  if (emittingEvent.active) return {};
  const frame = currentFrame();
  const run = frame?.run;
  return run ? { run_id: run.runId, trace_id: run.traceId, span_id: frame.spanId ?? run.spanId, trace_flags: run.traceFlags } : {};
}
