import { Engine, SHUTDOWN_FLUSH_BOUND_MS } from '../../src/core/engine';
import type { EventSink } from '../../src/core/sink/event-sink';

// The documented bound is the total of a shutdown, not of each of the module's two flushes. Fake timers: no
// wall-clock assertion, only what the engine's own timers do.
describe('the shutdown flush bound', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A destination whose reader never drains: its flush never calls back. */
  const stalled = (): EventSink => ({ openRun: () => ({}), write: () => undefined, flush: () => undefined });

  it('is shared by every flush of one shutdown: the second waits only for what is left of it', async () => {
    const engine = new Engine({ sink: stalled() });
    const settled: string[] = [];
    void engine.flush().then(() => settled.push('before shutdown hooks'));
    await jest.advanceTimersByTimeAsync(SHUTDOWN_FLUSH_BOUND_MS - 1000);
    expect(settled).toEqual([]);
    void engine.flush().then(() => settled.push('final flush'));
    await jest.advanceTimersByTimeAsync(1000);
    // Both are done at the bound, counted from the first.
    expect(settled.sort()).toEqual(['before shutdown hooks', 'final flush']);
    // Once it is spent, a further flush does not wait at all.
    let late = false;
    void engine.flush().then(() => (late = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(late).toBe(true);
  });

  it('resolves as soon as the destination is flushed, well before the bound', async () => {
    const engine = new Engine({ sink: { ...stalled(), flush: (done) => setTimeout(done, 10) } });
    let done = false;
    void engine.flush().then(() => (done = true));
    await jest.advanceTimersByTimeAsync(10);
    expect(done).toBe(true);
  });

  it('keeps the event loop alive while it waits, so shutdown goes on to its end', async () => {
    jest.useRealTimers();
    // An unref'd timer let a process whose server had closed drain out with exit code 0 instead of dying of its signal.
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const engine = new Engine({ sink: stalled() });
    void engine.flush();
    expect(timers()).toBe(before + 1);
    // And once shutdown is over (the engine uninstalled), it holds nothing.
    engine.uninstall();
    expect(timers()).toBe(before);
  });

  it('closes the engine for runs before the final flush: those in flight end with shutdown, later ones are not logged', () => {
    const engine = new Engine({ sink: stalled() });
    expect(engine.acceptsRuns).toBe(true);
    engine.close();
    expect(engine.acceptsRuns).toBe(false);
  });
});
