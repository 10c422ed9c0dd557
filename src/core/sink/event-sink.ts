/** The fields fixed for a whole run, bound once when the run opens. */
export interface RunBindings {
  run_id: string;
  trace_id: string;
  trace_flags: string;
  agent: string;
  schema: string;
}

export type EventLevel = 'info' | 'warn' | 'error';

/**
 * What a sink hands back for one run and is handed with each of its events
 * (for pino, the child logger carrying the run's bindings). Opaque to the
 * engine; a run holds it and nothing else of the sink.
 */
export type RunChannel = object;

/**
 * Where events go. The engine never knows about pino or Nest: the adapter
 * hands it a sink. A sink may throw; the engine counts that and carries on.
 */
export interface EventSink {
  openRun(bindings: RunBindings): RunChannel;
  /** Writes one event of the run `channel` was opened for; its fixed fields are already bound. */
  write(channel: RunChannel, level: EventLevel, event: object): void;
  /** Flushes buffered lines; called at shutdown and on a crash. */
  flush?(done: (err?: unknown) => void): void;
  /** Writes buffered lines before returning; called when the process exits (no event loop left). */
  flushSync?(): void;
}
