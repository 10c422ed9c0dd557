import { AsyncResource } from 'node:async_hooks';
import { Observable, Subject, finalize, interval, map, mergeMap, take } from 'rxjs';
import { AgentRun, AgentTool, currentAgentRun } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';

class EdgeError extends Error {
  override name = 'EdgeError';
}

/** Edge cases of streams: what the consumer does to the iterator or Observable, beyond a plain ending. */
describe('stream edges', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  const onlyRun = () => {
    const runs = [...runsIn(harness.capture.events).values()];
    expect(runs).toHaveLength(1);
    return runs[0];
  };

  class Tools {
    @AgentTool('echo')
    async echo(n: number) {
      await tick(1);
      return n;
    }
  }
  const tools = new Tools();

  describe('async iterators', () => {
    class Gen {
      @AgentRun('recovering')
      async *recovering(): AsyncGenerator<string> {
        try {
          yield 'first';
        } catch {
          yield 'recovered';
        }
        yield 'last';
      }

      @AgentRun('stubborn')
      async *stubborn(): AsyncGenerator<string> {
        try {
          yield 'first';
          yield 'second';
        } finally {
          // A finally that yields: return() does not end the generator yet.
          yield 'cleanup';
        }
      }

      @AgentRun('slow')
      async *slow(): AsyncGenerator<number> {
        for (let i = 0; ; i++) {
          await tick(5);
          yield await tools.echo(i);
        }
      }
    }

    it('throw() that the generator catches keeps the run open; it ends when the generator finishes', async () => {
      const it = new Gen().recovering();
      expect(await it.next()).toEqual({ done: false, value: 'first' });
      expect(await it.throw(new EdgeError('x'))).toEqual({ done: false, value: 'recovered' });
      await tick();
      expect(harness.capture.events.some((e) => e.event === 'run_finished')).toBe(false);
      expect(await it.next()).toEqual({ done: false, value: 'last' });
      expect(await it.next()).toEqual({ done: true, value: undefined });
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'ok', stop_reason: 'completed' });
    });

    it('throw() that the generator does not catch ends the run with error, the same error object', async () => {
      const it = new Gen().stubborn();
      await it.next();
      const error = new EdgeError('from the consumer');
      // The finally yields, so the error is suspended there, then thrown on the next call.
      expect(await it.throw(error)).toEqual({ done: false, value: 'cleanup' });
      expect(harness.capture.events.some((e) => e.event === 'run_finished')).toBe(false);
      await expect(it.next()).rejects.toBe(error);
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'error', stop_reason: 'error', error_class: 'EdgeError' });
    });

    it('return() into a finally that yields keeps the run open until the generator is really done', async () => {
      const it = new Gen().stubborn();
      await it.next();
      expect(await it.return('early')).toEqual({ done: false, value: 'cleanup' });
      expect(harness.capture.events.some((e) => e.event === 'run_finished')).toBe(false);
      expect(await it.next()).toEqual({ done: true, value: 'early' });
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
    });

    it('return() while a next() is pending: one ending, the pending step still gets its result', async () => {
      const it = new Gen().slow();
      const pending = it.next();
      const returned = it.return(undefined);
      expect(await pending).toEqual({ done: false, value: 0 });
      expect(await returned).toEqual({ done: true, value: undefined });
      await tick(5);
      const events = onlyRun();
      expect(expectWellFormedRun(events)).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled', total_steps: 1 });
      expect(events.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'ok' });
    });

    it('next() after the end writes nothing more', async () => {
      const it = new Gen().recovering();
      for await (const v of it) void v;
      await it.next();
      await it.return(undefined);
      expect(expectWellFormedRun(onlyRun()).status).toBe('ok');
    });

    it('an iterable whose [Symbol.asyncIterator]() throws ends the run with that error', async () => {
      const error = new EdgeError('no iterator today');
      class Broken {
        @AgentRun('broken_iterable')
        stream(): AsyncIterable<number> {
          return {
            [Symbol.asyncIterator]: () => {
              throw error;
            },
          };
        }
      }
      const iterable = new Broken().stream();
      expect(() => iterable[Symbol.asyncIterator]()).toThrow(error);
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'error', stop_reason: 'error', error_class: 'EdgeError' });
    });

    it('await using / Symbol.asyncDispose closes the stream as cancelled', async () => {
      const it = new Gen().slow() as AsyncGenerator<number> & { [Symbol.asyncDispose](): Promise<void> };
      await it.next();
      await it[Symbol.asyncDispose]();
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'cancelled' });
    });
  });

  describe('Observables', () => {
    class Streams {
      @AgentRun('observable_agent')
      stream(): Observable<number> {
        return interval(1).pipe(take(2), mergeMap((n) => tools.echo(n)));
      }
      @AgentRun({ name: 'lazy_agent', timeoutMs: 20 })
      lazy(): Observable<number> {
        return interval(1).pipe(take(1));
      }
      @AgentRun('endless_agent')
      endless(seen: (string | undefined)[]): Observable<number> {
        return interval(1).pipe(finalize(() => seen.push(currentAgentRun()?.runId)));
      }
    }
    const drain = (o: Observable<number>) => new Promise<number[]>((r, j) => {
      const out: number[] = [];
      o.subscribe({ next: (v) => out.push(v), error: j, complete: () => r(out) });
    });

    it('a second subscription after the run finished does the work again but writes nothing after run_finished', async () => {
      const obs = new Streams().stream();
      expect(await drain(obs)).toEqual([0, 1]);
      expect(await drain(obs)).toEqual([0, 1]);
      await tick(5);
      const events = onlyRun();
      expect(expectWellFormedRun(events)).toMatchObject({ status: 'ok', total_steps: 2 });
    });

    it('two subscriptions at once: the run follows the first; the second writes nothing after run_finished', async () => {
      const obs = new Streams().stream();
      await Promise.all([drain(obs), drain(obs)]);
      await tick(5);
      expectWellFormedRun(onlyRun());
    });

    it('an Observable never subscribed leaves its run open until the timeout ends it', async () => {
      void new Streams().lazy();
      await tick(5);
      expect(harness.capture.events.map((e) => e.event)).toEqual(['run_started']);
      await tick(40);
      expect(expectWellFormedRun(onlyRun())).toMatchObject({ status: 'error', stop_reason: 'timeout' });
    });

    it('a hot source fed from outside the run: operators run in the emitter\'s context unless bound to the run', async () => {
      const bus = new Subject<number>(); // shared, fed by code outside any run
      class HotAgent {
        @AgentRun('unbound')
        unbound(): Observable<number> {
          return bus.pipe(take(1), mergeMap((n) => tools.echo(n)));
        }
        @AgentRun('bound')
        bound(): Observable<number> {
          // AsyncResource.bind captures the run's context when the pipe is built.
          return bus.pipe(take(1), mergeMap(AsyncResource.bind((n: number) => tools.echo(n))));
        }
      }
      const agent = new HotAgent();
      const done = Promise.all([agent.unbound(), agent.bound()].map((o) => new Promise((r) => o.subscribe({ complete: () => r(undefined) }))));
      bus.next(7);
      await done;
      await tick(5);
      const runs = [...runsIn(harness.capture.events).values()];
      const byAgent = Object.fromEntries(runs.map((r) => [r[0].agent as string, r]));
      // Unbound: the tool ran outside any run, so it wrote nothing, and nothing leaked into the other run.
      expect(expectWellFormedRun(byAgent.unbound)).toMatchObject({ stop_reason: 'completed', total_steps: 0 });
      expect(expectWellFormedRun(byAgent.bound)).toMatchObject({ stop_reason: 'completed', total_steps: 1 });
    });

    it('unsubscribing runs the teardown inside the run, and aborts its signal', async () => {
      const seen: (string | undefined)[] = [];
      let signal: AbortSignal | undefined;
      const sub = new Streams().endless(seen).pipe(map((v) => ((signal = currentAgentRun()?.signal), v))).subscribe();
      await tick(5);
      sub.unsubscribe();
      const events = onlyRun();
      expect(expectWellFormedRun(events)).toMatchObject({ status: 'cancelled', stop_reason: 'cancelled' });
      expect(seen).toEqual([events[0].run_id]);
      expect(signal?.aborted).toBe(true);
    });
  });
});
