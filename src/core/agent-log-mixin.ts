import { currentFrame } from './run-context.js';
import { emittingEvent } from './sink/emitting-event.js';
import { AGENT_LOG_MIXIN } from './sink/line-format.js';

/**
 * A pino `mixin` that adds `run_id` and `trace_id` to every log line written
 * inside a run, so the application's own logs correlate with the run.
 *
 * @example
 * LoggerModule.forRoot({ pinoHttp: { mixin: agentLogMixin } })
 */
export function agentLogMixin(): object {
  // A fresh object every time: pino's default merge strategy assigns the
  // line's own fields into whatever the mixin returns.
  if (emittingEvent.active) return {};
  const run = currentFrame()?.run;
  return run ? { run_id: run.runId, trace_id: run.traceId } : {};
}

// Marked, so the sink knows this mixin adds nothing to its own lines whichever copy of the package made it.
Object.defineProperty(agentLogMixin, AGENT_LOG_MIXIN, { value: true });
