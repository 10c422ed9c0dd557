import { withAgentRun, withAgentTool } from '../../src/core/agent-context';
import { installEngine } from '../support/engine-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('latencies and timestamps', () => {
  const HOUR = 3_600_000;
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    // Only the wall clock is faked: timers and performance.now() stay real.
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    jest.setSystemTime(new Date('2026-03-29T01:30:00.000Z'));
    harness = installEngine();
  });
  afterEach(() => {
    harness.uninstall();
    jest.useRealTimers();
  });

  it('measures latency on the monotonic clock, so a wall clock stepped back an hour mid-step changes nothing', async () => {
    const tool = withAgentTool('clock_jump', async () => {
      await sleep(5);
      jest.setSystemTime(Date.now() - HOUR); // an NTP correction, a VM resumed from a snapshot
      await sleep(5);
    });
    await withAgentRun('clock', async () => tool())();
    const events = harness.capture.events;
    const started = events[0];
    const result = events.find((e) => e.event === 'tool_result')!;
    const finished = events.at(-1)!;
    // The timestamps tell the wall clock's story, jump included...
    expect(Date.parse(finished.timestamp as string)).toBeLessThan(Date.parse(started.timestamp as string));
    // ...the latencies the real one: never negative, nowhere near an hour.
    expect(result.latency_ms as number).toBeGreaterThan(0);
    expect(result.latency_ms as number).toBeLessThan(HOUR / 2);
    expect(finished.total_latency_ms as number).toBeGreaterThanOrEqual(result.latency_ms as number);
    expect(finished.total_latency_ms as number).toBeLessThan(HOUR / 2);
  });
});
