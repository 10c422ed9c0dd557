import { Observable, interval } from 'rxjs';
import {
  AgentLlm,
  AgentRun,
  AgentRunTimeoutError,
  AgentTool,
  MaxStepsExceededError,
  currentAgentRun,
  setStopReason,
} from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';

class ToolFailure extends Error {
  override name = 'ToolFailure';
}

class Tools {
  calls = 0;
  @AgentTool('work')
  async work(fail = false) {
    this.calls += 1;
    await tick(1);
    if (fail) throw new ToolFailure('tool failed');
    return 'done';
  }
  @AgentTool('sync_work')
  syncWork() {
    return 'done';
  }
  /** Still open when the run's signal is aborted; settles a little after that. */
  @AgentTool('until_aborted')
  async untilAborted(signal: AbortSignal) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await tick(2);
    return 'late';
  }
  @AgentLlm('model')
  async think(fail = false) {
    await tick(1);
    if (fail) throw new TypeError('model failed');
    return { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  }
}

describe('stop reasons', () => {
  let harness: ReturnType<typeof installEngine>;
  const tools = new Tools();
  afterEach(() => harness.uninstall());

  /** The one run of this test, checked for well-formedness; returns its run_finished. */
  async function finished() {
    await tick(5);
    const runs = [...runsIn(harness.capture.events).values()];
    expect(runs).toHaveLength(1);
    return expectWellFormedRun(runs[0]);
  }

  describe('from the body', () => {
    beforeEach(() => {
      harness = installEngine();
    });

    class Agent {
      @AgentRun('completes')
      async completes() {
        await tools.work();
        await tools.think();
        return 'answer';
      }
      @AgentRun('tool_fails')
      async toolFails() {
        await tools.work(true);
      }
      @AgentRun('tool_fails_wrapped')
      async toolFailsWrapped() {
        try {
          await tools.work(true);
        } catch (err) {
          throw new Error('could not answer', { cause: new Error('step', { cause: err }) });
        }
      }
      @AgentRun('model_fails')
      async modelFails() {
        await tools.think(true);
      }
      @AgentRun('recovers')
      async recovers() {
        await tools.work(true).catch(() => undefined);
        return 'answered anyway';
      }
      @AgentRun('own_error')
      async ownError() {
        await tools.work();
        throw new RangeError('body');
      }
      @AgentRun('catch_throws_again')
      async catchThrowsAgain() {
        try {
          await tools.work(true);
        } catch {
          throw new SyntaxError('while handling the first');
        }
      }
      @AgentRun('finally_throws')
      async finallyThrows() {
        try {
          throw new RangeError('first');
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new EvalError('second, from finally');
        }
      }
      @AgentRun('sync_throws_in_catch')
      syncThrowsInCatch() {
        try {
          tools.syncWork();
          throw new RangeError('first');
        } catch {
          throw new URIError('second');
        }
      }
    }
    const agent = new Agent();

    it('completed', async () => {
      await expect(agent.completes()).resolves.toBe('answer');
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 2, errors: 0 });
    });

    it('tool_error: the run threw the failed tool step\'s error', async () => {
      await expect(agent.toolFails()).rejects.toBeInstanceOf(ToolFailure);
      expect(await finished()).toMatchObject({
        status: 'error', stop_reason: 'tool_error', errors: 1, first_error_step_index: 1, error_class: 'ToolFailure',
      });
    });

    it('tool_error also when the tool\'s error is in the cause chain of what the run threw', async () => {
      await expect(agent.toolFailsWrapped()).rejects.toThrow('could not answer');
      expect(await finished()).toMatchObject({ stop_reason: 'tool_error', error_class: 'Error' });
    });

    it('step_error: a failed model step ended the run', async () => {
      await expect(agent.modelFails()).rejects.toBeInstanceOf(TypeError);
      expect(await finished()).toMatchObject({ status: 'error', stop_reason: 'step_error', llm_calls: 1, first_error_step_index: 1 });
    });

    it('completed, with the error counted, when the body recovers from a failed tool', async () => {
      await agent.recovers();
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'completed', errors: 1, first_error_step_index: 1 });
    });

    it('error: the body threw an error of its own', async () => {
      await expect(agent.ownError()).rejects.toBeInstanceOf(RangeError);
      expect(await finished()).toMatchObject({ status: 'error', stop_reason: 'error', errors: 0, error_class: 'RangeError' });
    });

    it.each([
      ['a catch block that throws again', 'catchThrowsAgain', SyntaxError, 1],
      ['a finally that throws', 'finallyThrows', EvalError, 0],
      ['a sync catch that throws again', 'syncThrowsInCatch', URIError, 0],
    ] as const)('exactly one run_finished for %s, naming the error that escaped', async (_l, method, type, errors) => {
      let thrown: unknown;
      try {
        await (agent[method] as () => unknown).call(agent);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(type);
      expect(await finished()).toMatchObject({ status: 'error', stop_reason: 'error', error_class: type.name, errors });
    });

    it('a sync run that throws in its catch throws synchronously', () => {
      expect(() => agent.syncThrowsInCatch()).toThrow(URIError);
    });
  });

  describe('max_steps', () => {
    class Agent {
      @AgentRun('greedy')
      async greedy(n: number) {
        for (let i = 0; i < n; i++) await tools.work();
        return 'all done';
      }
      @AgentRun({ name: 'tight', maxSteps: 1 })
      async tight() {
        await tools.work();
        await tools.work();
      }
      @AgentRun({ name: 'loose', maxSteps: 5 })
      async loose() {
        for (let i = 0; i < 4; i++) await tools.work();
      }
      @AgentRun('catches_the_guard')
      async catchesTheGuard() {
        try {
          for (;;) await tools.work();
        } catch (err) {
          if (!(err instanceof MaxStepsExceededError)) throw err;
          return 'best answer so far';
        }
      }
      @AgentRun('parallel')
      async parallel() {
        return Promise.allSettled([tools.work(), tools.work(), tools.work()]);
      }
    }
    const agent = new Agent();

    it('the module default refuses the step that would exceed it, with the exported error, and ends max_steps', async () => {
      harness = installEngine({ maxSteps: 2 });
      const before = tools.calls;
      const error = await agent.greedy(5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MaxStepsExceededError);
      expect(error).toMatchObject({ agent: 'greedy', maxSteps: 2, name: 'MaxStepsExceededError' });
      expect(tools.calls - before).toBe(2); // the refused step never ran
      expect(await finished()).toMatchObject({ status: 'error', stop_reason: 'max_steps', total_steps: 2, error_class: 'MaxStepsExceededError' });
    });

    it('per run, tighter than the module default', async () => {
      harness = installEngine({ maxSteps: 10 });
      await expect(agent.tight()).rejects.toBeInstanceOf(MaxStepsExceededError);
      expect(await finished()).toMatchObject({ stop_reason: 'max_steps', total_steps: 1 });
    });

    it('per run, looser than the module default', async () => {
      harness = installEngine({ maxSteps: 2 });
      await agent.loose();
      expect(await finished()).toMatchObject({ stop_reason: 'completed', total_steps: 4 });
    });

    it('still max_steps when the body catches the refusal and returns', async () => {
      harness = installEngine({ maxSteps: 3 });
      await expect(agent.catchesTheGuard()).resolves.toBe('best answer so far');
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'max_steps', total_steps: 3, errors: 0 });
    });

    it('refuses an async step with a rejected Promise, as the method itself would fail, not a synchronous throw', async () => {
      harness = installEngine({ maxSteps: 2 });
      const settled = await agent.parallel();
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(MaxStepsExceededError);
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'max_steps', total_steps: 2 });
    });

    it('refuses a step in the shape its declared return type says, async or not', async () => {
      harness = installEngine({ maxSteps: 1 });
      class Declared {
        // Not `async`: a client's Promise passed through, and an Observable.
        @AgentTool('passes_a_promise')
        fetchIt(): Promise<number> {
          return Promise.resolve(1);
        }
        @AgentTool('an_observable')
        watch(): Observable<number> {
          return interval(1);
        }
        @AgentRun('declared')
        async run() {
          const first = await Promise.allSettled([this.fetchIt(), this.fetchIt()]);
          const error = await new Promise((resolve) => this.watch().subscribe({ error: resolve }));
          return { first, error };
        }
      }
      const { first, error } = await new Declared().run();
      expect(first.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
      expect(error).toBeInstanceOf(MaxStepsExceededError);
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'max_steps', total_steps: 1 });
    });

    it('refuses a sync step by throwing synchronously', async () => {
      harness = installEngine({ maxSteps: 1 });
      class SyncAgent {
        @AgentRun('sync_greedy')
        run() {
          tools.syncWork();
          return tools.syncWork();
        }
      }
      expect(() => new SyncAgent().run()).toThrow(MaxStepsExceededError);
      expect(await finished()).toMatchObject({ stop_reason: 'max_steps', total_steps: 1 });
    });
  });

  describe('cancelled and timeout', () => {
    beforeEach(() => {
      harness = installEngine();
    });

    class Agent {
      signalSeen?: AbortSignal;
      @AgentRun('stream')
      stream(): Observable<number> {
        this.signalSeen = currentAgentRun()!.signal;
        return interval(1);
      }
      @AgentRun({ name: 'slow_run', timeoutMs: 10 })
      async slowRun() {
        this.signalSeen = currentAgentRun()!.signal;
        tools.syncWork();
        const late = await tools.untilAborted(this.signalSeen); // still open when the timeout fires
        await tools.work(); // begun after the run ended: belongs to no run
        return late;
      }
      @AgentRun({ name: 'late_reader', timeoutMs: 5 })
      async lateReader() {
        await tick(20);
        return currentAgentRun()!.signal;
      }
      @AgentRun({ name: 'rejects_late', timeoutMs: 5 })
      async rejectsLate() {
        await tick(20);
        throw new RangeError('after the timeout');
      }
      @AgentRun({ name: 'sets_then_times_out', timeoutMs: 5 })
      async setsThenTimesOut() {
        setStopReason('answer_found');
        await tick(20);
      }
    }
    const agent = new Agent();

    it('cancelled: unsubscribed, and the run\'s signal is aborted', async () => {
      const sub = agent.stream().subscribe();
      await tick(3);
      expect(agent.signalSeen!.aborted).toBe(false);
      sub.unsubscribe();
      expect(agent.signalSeen!.aborted).toBe(true);
      expect(agent.signalSeen!.reason).toMatchObject({ name: 'AbortError' });
      expect(await finished()).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled', level: 30 });
    });

    it('timeout: the signal is aborted with AgentRunTimeoutError; a step open then is closed cancelled; later steps write nothing', async () => {
      const result = agent.slowRun();
      await new Promise((resolve) => agent.signalSeen!.addEventListener('abort', resolve));
      expect(agent.signalSeen!.reason).toBeInstanceOf(AgentRunTimeoutError);
      // The body is not interrupted: it finishes on its own, with its own value.
      await expect(result).resolves.toBe('late');
      const events = [...runsIn(harness.capture.events).values()][0];
      const fin = await finished();
      expect(fin).toMatchObject({ status: 'error', stop_reason: 'timeout', total_steps: 2, errors: 0, level: 50 });
      expect(events.filter((e) => e.event === 'tool_result').map((e) => e.status)).toEqual(['ok', 'cancelled']);
      expect(events.at(-1)!.event).toBe('run_finished');
    });

    it('the signal is already aborted when first read after the timeout', async () => {
      const signal = await agent.lateReader();
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(AgentRunTimeoutError);
      expect(await finished()).toMatchObject({ stop_reason: 'timeout' });
    });

    it('a Promise rejected after the timeout reaches the caller and writes nothing more', async () => {
      await expect(agent.rejectsLate()).rejects.toBeInstanceOf(RangeError);
      const fin = await finished();
      expect(fin).toMatchObject({ stop_reason: 'timeout' });
      expect(fin.error_class).toBeUndefined();
    });

    it('a timeout wins over a reason the code set', async () => {
      await agent.setsThenTimesOut();
      expect(await finished()).toMatchObject({ stop_reason: 'timeout' });
    });
  });

  describe('a reason the code sets', () => {
    beforeEach(() => {
      harness = installEngine({ maxSteps: 1 });
    });

    class Agent {
      @AgentRun('handover')
      async handover(then: 'return' | 'throw' | 'max_steps' | 'invalid') {
        if (then === 'invalid') {
          expect(setStopReason('Not Snake')).toBe(false);
          expect(setStopReason('x'.repeat(65))).toBe(false);
          return;
        }
        expect(setStopReason('handed_to_human')).toBe(true);
        if (then === 'throw') await tools.work(true);
        if (then === 'max_steps') {
          await tools.work();
          await tools.work();
        }
        return 'escalated';
      }
      @AgentRun('cancelled_anyway')
      stream(): Observable<number> {
        setStopReason('handed_to_human');
        return interval(1);
      }
    }
    const agent = new Agent();

    it('is the stop_reason of a run that returns', async () => {
      await agent.handover('return');
      expect(await finished()).toMatchObject({ status: 'ok', stop_reason: 'handed_to_human' });
    });

    it('wins over the failure\'s kind (the status still says error)', async () => {
      await expect(agent.handover('throw')).rejects.toBeInstanceOf(ToolFailure);
      expect(await finished()).toMatchObject({ status: 'error', stop_reason: 'handed_to_human', errors: 1 });
    });

    it('wins over max_steps', async () => {
      await expect(agent.handover('max_steps')).rejects.toBeInstanceOf(MaxStepsExceededError);
      expect(await finished()).toMatchObject({ stop_reason: 'handed_to_human' });
    });

    it('loses to a cancellation', async () => {
      const sub = agent.stream().subscribe();
      sub.unsubscribe();
      expect(await finished()).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    });

    it('an invalid reason is refused and changes nothing; outside a run it is refused too', async () => {
      expect(setStopReason('handed_to_human')).toBe(false);
      await agent.handover('invalid');
      expect(await finished()).toMatchObject({ stop_reason: 'completed' });
    });
  });
});
