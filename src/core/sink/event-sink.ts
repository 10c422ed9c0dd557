/** The fields fixed for a whole run, bound once when the run opens. */
export interface RunBindings {
  run_id: string;
  trace_id: string;
  agent: string;
  schema: string;
}

export type EventLevel = 'info' | 'error';

/** Writes one run's events; the run's fixed fields are already bound. */
export interface RunWriter {
  write(level: EventLevel, event: object): void;
}

/**
 * Where events go. The engine never knows about pino or Nest: the adapter
 * hands it a sink. A sink may throw; the engine counts that and carries on.
 */
export interface EventSink {
  openRun(bindings: RunBindings): RunWriter;
  /** Flushes buffered lines; called at shutdown and on a crash. */
  flush?(done: (err?: unknown) => void): void;
  /** Writes buffered lines before returning; called when the process exits (no event loop left). */
  flushSync?(): void;
}
