import { withAgentLlm, withAgentRun, withAgentTool } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';

// The failure a run threw is recognised as its step's, whatever value the step threw.
const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();

const THROWN: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['an empty string', () => ''],
  ['a string', () => 'upstream said no'],
  ['0', () => 0],
  ['a number', () => 42],
  ['NaN', () => Number.NaN],
  ['false', () => false],
  ['a symbol', () => Symbol('failure')],
  ['a bigint', () => 7n],
  ['a frozen object', () => Object.freeze({ code: 'E_FROZEN' })],
  ['a revoked Proxy', () => revoked],
  ['a function', () => () => 'thrown'],
  ['an Error', () => new Error('boom')],
];

describe('a run that rethrows its step failure ends tool_error / step_error, whatever was thrown', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  async function finishedRun() {
    await tick(2);
    const runs = [...runsIn(harness.capture.events).values()];
    expect(runs).toHaveLength(1);
    return expectWellFormedRun(runs[0]);
  }

  it.each(THROWN)('a tool rejecting with %s', async (_label, make) => {
    const value = make();
    const tool = withAgentTool('fails', async () => {
      throw value;
    });
    const run = withAgentRun('rethrows', async () => {
      await tool();
    });
    // Boxed: a revoked Proxy cannot be resolved to (its `then` is read).
    const caught = await run().then(
      () => ({ resolved: true }),
      (err: unknown) => ({ err }),
    );
    expect(Object.is((caught as { err?: unknown }).err, value)).toBe(true); // the same value, untouched
    expect(await finishedRun()).toMatchObject({ status: 'error', stop_reason: 'tool_error', errors: 1, first_error_step_index: 1 });
  });

  it.each(THROWN)('a synchronous model call throwing %s', async (_label, make) => {
    const value = make();
    const model = withAgentLlm('m', () => {
      throw value;
    });
    const run = withAgentRun('rethrows', () => model());
    let caught: { err: unknown } | undefined;
    try {
      run();
    } catch (err) {
      caught = { err };
    }
    expect(Object.is(caught?.err, value)).toBe(true);
    expect(await finishedRun()).toMatchObject({ stop_reason: 'step_error' });
  });

  it('follows a cause that is there, even an undefined one', async () => {
    const tool = withAgentTool('fails', async () => {
      throw undefined;
    });
    const run = withAgentRun('wraps', async () => {
      try {
        await tool();
      } catch (err) {
        throw new Error('lookup failed', { cause: err });
      }
    });
    await run().catch(() => undefined);
    expect(await finishedRun()).toMatchObject({ stop_reason: 'tool_error' });
  });

  it('does not take a cause that is absent for one (undefined) that a step threw', async () => {
    const tool = withAgentTool('fails', async () => {
      throw undefined;
    });
    const run = withAgentRun('own_error', async () => {
      await tool().catch(() => undefined);
      throw new Error('the body itself failed');
    });
    await run().catch(() => undefined);
    expect(await finishedRun()).toMatchObject({ stop_reason: 'error', error_class: 'Error', errors: 1 });
  });

  it('tells the body throwing undefined itself from a step that threw something else', async () => {
    const tool = withAgentTool('fails', async () => {
      throw null;
    });
    const run = withAgentRun('own_undefined', async () => {
      await tool().catch(() => undefined);
      throw undefined;
    });
    await run().catch(() => undefined);
    expect(await finishedRun()).toMatchObject({ stop_reason: 'error', error_class: 'undefined' });
  });
});
