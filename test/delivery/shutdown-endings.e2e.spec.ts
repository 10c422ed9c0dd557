import { runsIn } from '../support/engine-harness';
import { endBusyApp } from './support/busy-child';

// Real child processes (test/delivery/fixtures/busy-app.js on the built package), stopped by a signal while
// work keeps arriving from sources no shutdown hook stops, or while nobody reads their log.

describe('every run_started has its run_finished, whatever arrives during and after shutdown', () => {
  it('with runs arriving from a setInterval and an EventEmitter through a slow drain, and runs parked on their signal', async () => {
    const { code, signal, events, stderr } = await endBusyApp({ DEST: 'file', WORK: '1', PARK: '3', SLOW_HOOKS: '150' });
    expect({ code, signal, stderr }).toEqual({ code: null, signal: 'SIGTERM', stderr: '' });
    const started = events.filter((e) => e.event === 'run_started');
    const finished = events.filter((e) => e.event === 'run_finished');
    expect(started.length).toBeGreaterThan(20);
    expect(finished.length).toBe(started.length);
    for (const [, list] of runsIn(events)) {
      expect(list.filter((e) => e.event === 'run_started')).toHaveLength(1);
      expect(list.filter((e) => e.event === 'run_finished')).toHaveLength(1);
      expect(list.at(-1)!.event).toBe('run_finished');
    }
    // Some runs started after shutdown began (after the first run it ended) and were still logged whole.
    const ends = finished.filter((e) => e.stop_reason === 'shutdown');
    expect(ends.filter((e) => e.agent === 'parked')).toHaveLength(3);
    const firstShutdown = Math.min(...ends.map((e) => Date.parse(e.timestamp as string)));
    expect(started.some((e) => Date.parse(e.timestamp as string) > firstShutdown)).toBe(true);
  });
});

describe('the process ends as it would without the library, whatever the log reader does', () => {
  // A reader that never reads: the child's stdout pipe fills, and the log's writes stall for good.
  it.each([
    ['an asynchronous pino.destination on a pipe nobody reads', 'stdout'],
    ['a pino/file transport on a pipe nobody reads', 'transport'],
  ] as const)('%s: dies of SIGTERM, as the same app without the library does', async (_label, dest) => {
    // 3,000 lines of 250 bytes: far more than a pipe holds.
    const [without, withLibrary] = await Promise.all([endBusyApp({ DEST: dest, LIB: '0', FLOOD: '3000', PARK: '2' }), endBusyApp({ DEST: dest, FLOOD: '3000', PARK: '2' })]);
    expect(without).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect({ code: withLibrary.code, signal: withLibrary.signal }).toEqual({ code: without.code, signal: without.signal });
  });

});
