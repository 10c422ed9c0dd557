import { runsIn } from '../support/engine-harness';
import { ChildApp, type Destination } from './support/child-app';
import type { LogLine } from '../support/log-capture';

// Real child processes (the fixture app on the built package) writing to a
// file, stopped by a signal or a crash mid-run; the test counts what they left.

const QUICK = 3;
const PARKED = 5;
const EVENTS_PER_RUN = 8; // run_started, 2 × (agent_step, tool_call, tool_result), run_finished

/** Every run has one run_started, one run_finished last, and a result for every step begun. */
function assertComplete(events: LogLine[]): Map<string, LogLine[]> {
  const runs = runsIn(events);
  for (const [, list] of runs) {
    expect(list.map((e) => e.seq)).toEqual(list.map((_, i) => i + 1)); // nothing missing in the middle
    expect(list.filter((e) => e.event === 'run_started')).toHaveLength(1);
    expect(list.filter((e) => e.event === 'run_finished')).toHaveLength(1);
    expect(list[list.length - 1].event).toBe('run_finished');
    const calls = list.filter((e) => e.event === 'tool_call').map((e) => e.span_id);
    const results = list.filter((e) => e.event === 'tool_result').map((e) => e.span_id);
    expect(results.sort()).toEqual(calls.sort());
  }
  return runs;
}

async function quickRuns(app: ChildApp): Promise<void> {
  for (let i = 0; i < QUICK; i++) expect(await (await app.get('answer')).text()).toBe('done');
}

function finishes(runs: Map<string, LogLine[]>): LogLine[] {
  return [...runs.values()].map((list) => list[list.length - 1]);
}

describe('a signal mid-run: every run in flight ends with shutdown and the log is flushed', () => {
  const cases: [Destination, NodeJS.Signals][] = [
    ['sync', 'SIGTERM'],
    ['async', 'SIGTERM'],
    ['async', 'SIGINT'],
    ['transport', 'SIGTERM'],
  ];

  it.each(cases)('pino %s destination, %s', async (dest, signal) => {
    const app = await ChildApp.start({ DEST: dest });
    try {
      await quickRuns(app);
      await app.park(PARKED);
      app.kill(signal);
      // Nest re-raises the signal after its shutdown hooks: the process still dies of it.
      expect(await app.exited).toEqual({ code: null, signal });

      const events = app.events();
      expect(events).toHaveLength((QUICK + PARKED) * EVENTS_PER_RUN);
      const runs = assertComplete(events);
      expect(runs.size).toBe(QUICK + PARKED);
      const ends = finishes(runs);
      expect(ends.filter((e) => e.stop_reason === 'completed')).toHaveLength(QUICK);
      const shutdown = ends.filter((e) => e.stop_reason === 'shutdown');
      expect(shutdown).toHaveLength(PARKED);
      for (const e of shutdown) expect(e).toMatchObject({ agent: 'parked', status: 'error', level: 50, total_steps: 2 });
      // The step cut short is closed before its run, as cancelled: not an error of the tool.
      const cut = events.filter((e) => e.tool === 'wait_for_model' && e.event === 'tool_result');
      expect(cut).toHaveLength(PARKED);
      for (const e of cut) expect(e.status).toBe('cancelled');
    } finally {
      app.dispose();
    }
  });
});

describe('a crash mid-run: what was logged is flushed and the crash stays a crash', () => {
  const cases: [Destination, 'uncaught' | 'rejection'][] = [
    ['async', 'uncaught'],
    ['async', 'rejection'],
    ['transport', 'uncaught'],
  ];

  it.each(cases)('pino %s destination, %s', async (dest, crash) => {
    const app = await ChildApp.start({ DEST: dest, CRASH: crash });
    try {
      await quickRuns(app);
      await app.park(PARKED);
      await app.get('crash');
      // Node's own behaviour is untouched: the error is printed and the exit code is 1.
      expect(await app.exited).toEqual({ code: 1, signal: null });
      expect(app.stderr).toContain(crash === 'uncaught' ? 'boom: uncaught exception' : 'boom: unhandled rejection');

      const events = app.events();
      expect(events).toHaveLength((QUICK + PARKED) * EVENTS_PER_RUN);
      const runs = assertComplete(events);
      const ends = finishes(runs);
      expect(ends.filter((e) => e.stop_reason === 'completed')).toHaveLength(QUICK);
      expect(ends.filter((e) => e.stop_reason === 'shutdown')).toHaveLength(PARKED);
    } finally {
      app.dispose();
    }
  });
});
