import type { LogLine } from '../../support/log-capture';
import { expectWellFormedRun, runsIn } from '../../support/engine-harness';

/**
 * A run's events as short lines, for asserting the exact sequence a
 * framework's loop produced: `agent_step llm_call`, `tool_result weather ok`.
 */
export function timeline(events: LogLine[]): string[] {
  return events.map((e) => {
    switch (e.event) {
      case 'agent_step':
        return `agent_step ${e.step_type as string}${e.tool ? ` ${e.tool as string}` : ''}`;
      case 'tool_call':
        return `tool_call ${e.tool as string}`;
      case 'tool_result':
        return `tool_result ${e.tool as string} ${e.status as string}`;
      case 'llm_result':
        return `llm_result ${e.status as string}`;
      case 'run_finished':
        return `run_finished ${e.status as string} ${e.stop_reason as string}`;
      default:
        return e.event as string;
    }
  });
}

/** The runs in a log, each well formed, in the order they started. */
export function wellFormedRuns(events: LogLine[]): LogLine[][] {
  const runs = [...runsIn(events).values()];
  for (const run of runs) expectWellFormedRun(run);
  return runs;
}

/** The events of one kind in a run. */
export const eventsOf = (run: LogLine[], event: string): LogLine[] => run.filter((e) => e.event === event);
