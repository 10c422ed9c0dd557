import { Observable, Subject, defer, delay, from, interval, map, mergeMap, take, timer } from 'rxjs';
import { AgentLlm, AgentRun, AgentTool, currentAgentRun, withAgentRun } from 'nestjs-agent-logging';
import { expectWellFormedRun, installEngine, runsIn, tick } from '../support/engine-harness';
import type { LogLine } from '../support/log-capture';

class ShapeError extends Error {
  override name = 'ShapeError';
}

type Kind = 'run' | 'tool' | 'llm';
const DECORATORS: Record<Kind, () => MethodDecorator> = {
  run: () => AgentRun('shape_run'),
  tool: () => AgentTool('shape_tool'),
  llm: () => AgentLlm('shape_model'),
};

/** Applies an agent decorator to every method of a class, exactly as TypeScript's decorator emit does. */
function decorateAll<T extends new () => object>(cls: T, decorator: () => MethodDecorator): T {
  for (const key of Object.getOwnPropertyNames(cls.prototype)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
    Object.defineProperty(cls.prototype, key, decorator()(cls.prototype, key, descriptor) ?? descriptor);
  }
  return cls;
}

const VALUE = { answer: 42 };

/** One method per return shape; each takes how it should end. */
class Shapes {
  thenCalls = 0;
  subject = new Subject<number>();
  lastPromise?: Promise<unknown>;

  sync(ending: string): unknown {
    if (ending === 'throw') throw new ShapeError('sync');
    return VALUE;
  }
  promise(ending: string): Promise<unknown> {
    if (ending === 'throw') throw new ShapeError('before the promise');
    this.lastPromise = new Promise((resolve, reject) =>
      setTimeout(() => (ending === 'error' ? reject(new ShapeError('rejected')) : resolve(VALUE)), 2),
    );
    return this.lastPromise;
  }
  thenable(ending: string): PromiseLike<unknown> {
    if (ending === 'throw') throw new ShapeError('before the thenable');
    return {
      then: (ok?: ((v: unknown) => unknown) | null, fail?: ((e: unknown) => unknown) | null) => {
        this.thenCalls += 1;
        setTimeout(() => (ending === 'error' ? fail?.(new ShapeError('thenable')) : ok?.(VALUE)), 2);
        return undefined as never;
      },
    };
  }
  cold(ending: string): Observable<number> {
    if (ending === 'throw') throw new ShapeError('before the observable');
    return interval(2).pipe(
      take(ending === 'unsubscribe' ? 100 : 3),
      map((i) => {
        if (ending === 'error' && i === 1) throw new ShapeError('cold');
        return i;
      }),
    );
  }
  hot(ending: string): Observable<number> {
    if (ending === 'throw') throw new ShapeError('before the subject');
    const subject = (this.subject = new Subject<number>());
    return subject.asObservable();
  }
  async *generator(ending: string): AsyncGenerator<number> {
    if (ending === 'throw') throw new ShapeError('on first next');
    for (let i = 0; i < 3; i++) {
      await tick(1);
      if (ending === 'error' && i === 1) throw new ShapeError('generator');
      yield i;
    }
  }
  iterable(ending: string): AsyncIterable<number> {
    if (ending === 'throw') throw new ShapeError('before the iterable');
    // The undecorated generator: only the iterable's own iterators are observed.
    return { [Symbol.asyncIterator]: () => rawGenerator.call(this, ending) };
  }
}
const rawGenerator = Shapes.prototype.generator; // eslint-disable-line @typescript-eslint/unbound-method

/** Makes a subclass holding its own, decorated copy of every shape method. */
function decoratedShapes(kind: Kind): Shapes {
  class Own extends Shapes {}
  for (const key of Object.getOwnPropertyNames(Shapes.prototype)) {
    if (key === 'constructor') continue;
    Object.defineProperty(Own.prototype, key, Object.getOwnPropertyDescriptor(Shapes.prototype, key)!);
  }
  return new (decorateAll(Own, DECORATORS[kind]))();
}

interface Case {
  shape: keyof Shapes;
  ending: string;
  /** Drives the returned value to the ending; resolves to what the caller saw. */
  consume(s: Shapes, value: unknown): Promise<{ value?: unknown; error?: unknown }>;
  status: 'ok' | 'error' | 'cancelled';
}

const settled = (p: PromiseLike<unknown>) =>
  Promise.resolve(p).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

function subscribeAll(s: Shapes, value: unknown, opts: { unsubscribeAfter?: number; hot?: 'complete' | 'error' } = {}) {
  return new Promise<{ value?: unknown; error?: unknown }>((resolve) => {
    const seen: number[] = [];
    const sub = (value as Observable<number>).subscribe({
      next: (v) => {
        seen.push(v);
        if (opts.unsubscribeAfter !== undefined && seen.length === opts.unsubscribeAfter) {
          // From outside the delivery, as a client going away does (inside it, take(n) style, is an `ok` end).
          setImmediate(() => {
            sub.unsubscribe();
            resolve({ value: seen });
          });
        }
      },
      error: (error: unknown) => resolve({ error }),
      complete: () => resolve({ value: seen }),
    });
    if (opts.hot) {
      setTimeout(() => {
        s.subject.next(1);
        s.subject.next(2);
        if (opts.hot === 'error') s.subject.error(new ShapeError('hot'));
        else if (opts.unsubscribeAfter === undefined) s.subject.complete();
      }, 2);
    }
  });
}

async function iterate(value: unknown, opts: { breakAfter?: number; returnAfter?: number; throwAfter?: number } = {}) {
  const seen: number[] = [];
  try {
    if (opts.returnAfter !== undefined || opts.throwAfter !== undefined) {
      const it = (value as AsyncIterable<number>)[Symbol.asyncIterator]();
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        seen.push(r.value);
        if (seen.length === opts.returnAfter) {
          await it.return!(undefined);
          break;
        }
        if (seen.length === opts.throwAfter) {
          await it.throw!(new ShapeError('thrown in by the consumer'));
        }
      }
    } else {
      for await (const v of value as AsyncIterable<number>) {
        seen.push(v);
        if (seen.length === opts.breakAfter) break;
      }
    }
    return { value: seen };
  } catch (error) {
    return { error };
  }
}

const CASES: Case[] = [
  { shape: 'sync', ending: 'value', status: 'ok', consume: async (_s, v) => ({ value: v }) },
  { shape: 'promise', ending: 'value', status: 'ok', consume: async (_s, v) => settled(v as Promise<unknown>) },
  { shape: 'promise', ending: 'error', status: 'error', consume: async (_s, v) => settled(v as Promise<unknown>) },
  { shape: 'thenable', ending: 'value', status: 'ok', consume: async (_s, v) => settled(v as Promise<unknown>) },
  { shape: 'thenable', ending: 'error', status: 'error', consume: async (_s, v) => settled(v as Promise<unknown>) },
  { shape: 'cold', ending: 'complete', status: 'ok', consume: (s, v) => subscribeAll(s, v) },
  { shape: 'cold', ending: 'error', status: 'error', consume: (s, v) => subscribeAll(s, v) },
  { shape: 'cold', ending: 'unsubscribe', status: 'cancelled', consume: (s, v) => subscribeAll(s, v, { unsubscribeAfter: 2 }) },
  { shape: 'hot', ending: 'complete', status: 'ok', consume: (s, v) => subscribeAll(s, v, { hot: 'complete' }) },
  { shape: 'hot', ending: 'error', status: 'error', consume: (s, v) => subscribeAll(s, v, { hot: 'error' }) },
  { shape: 'hot', ending: 'unsubscribe', status: 'cancelled', consume: (s, v) => subscribeAll(s, v, { hot: 'complete', unsubscribeAfter: 1 }) },
  { shape: 'generator', ending: 'done', status: 'ok', consume: (_s, v) => iterate(v) },
  { shape: 'generator', ending: 'error', status: 'error', consume: (_s, v) => iterate(v) },
  { shape: 'generator', ending: 'break', status: 'cancelled', consume: (_s, v) => iterate(v, { breakAfter: 1 }) },
  { shape: 'generator', ending: 'return()', status: 'cancelled', consume: (_s, v) => iterate(v, { returnAfter: 2 }) },
  { shape: 'generator', ending: 'throw()', status: 'error', consume: (_s, v) => iterate(v, { throwAfter: 1 }) },
  { shape: 'iterable', ending: 'done', status: 'ok', consume: (_s, v) => iterate(v) },
  { shape: 'iterable', ending: 'error', status: 'error', consume: (_s, v) => iterate(v) },
  { shape: 'iterable', ending: 'break', status: 'cancelled', consume: (_s, v) => iterate(v, { breakAfter: 1 }) },
];
// Every shape can also throw before it returns anything.
for (const shape of ['sync', 'promise', 'thenable', 'cold', 'hot', 'generator', 'iterable'] as const) {
  CASES.push({ shape, ending: 'throw', status: 'error', consume: async (_s, v) => (shape === 'generator' ? iterate(v) : { value: v }) });
}

const STOP: Record<Case['status'], string> = { ok: 'completed', error: 'error', cancelled: 'cancelled' };

describe('every return shape, every ending', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  describe.each(['run', 'tool', 'llm'] as const)('@Agent%s', (kind) => {
    it.each(CASES.map((c) => [`${c.shape} / ${c.ending}`, c] as const))('%s', async (_label, c) => {
      const shapes = decoratedShapes(kind);
      const call = async () => {
        let returned: unknown;
        try {
          returned = (shapes[c.shape] as (e: string) => unknown)(c.ending);
        } catch (error) {
          return { sync: true, outcome: { error } as { value?: unknown; error?: unknown }, returned };
        }
        return { sync: false, outcome: await c.consume(shapes, returned), returned };
      };
      // A step needs a run to belong to; the host run just consumes it.
      const result = kind === 'run' ? await call() : await withAgentRun('host', call)();
      await tick(5);

      // What the caller saw is what the undecorated method gives.
      if (c.ending === 'throw') {
        expect(result.sync).toBe(c.shape !== 'generator');
        expect(result.outcome.error).toBeInstanceOf(ShapeError);
      } else if (c.status === 'error') {
        expect(result.outcome.error).toBeInstanceOf(ShapeError);
      } else {
        expect(result.outcome.error).toBeUndefined();
      }
      if (c.shape === 'sync' && c.ending === 'value') expect(result.returned).toBe(VALUE); // still sync, same object
      if (c.shape === 'promise' && c.ending !== 'throw') {
        // The Promise of the same outcome: the very value, or the very error, the original settled with.
        expect(result.returned).toBeInstanceOf(Promise);
        const original = await shapes.lastPromise!.then((value) => ({ value, error: undefined }), (error: unknown) => ({ value: undefined, error }));
        expect(result.outcome.value).toBe(original.value);
        expect(result.outcome.error).toBe(original.error);
      }
      if (c.shape === 'thenable' && c.ending !== 'throw') expect(shapes.thenCalls).toBe(1); // adopted once

      const runs = runsIn(harness.capture.events);
      expect(runs.size).toBe(1);
      const events = [...runs.values()][0];
      const finished = expectWellFormedRun(events);
      if (kind === 'run') {
        expect(finished).toMatchObject({ agent: 'shape_run', status: c.status, stop_reason: STOP[c.status], total_steps: 0 });
        expect(finished.level).toBe(c.status === 'error' ? 50 : 30);
        if (c.status === 'error') expect(finished.error_class).toBe('ShapeError');
      } else {
        const resultEvent = events.find((e) => e.event === (kind === 'tool' ? 'tool_result' : 'llm_result'))!;
        expect(resultEvent).toMatchObject({ step_index: 1, status: c.status });
        expect(resultEvent.level).toBe(c.status === 'error' ? 50 : 30);
        if (c.status === 'error') expect(resultEvent.error_class).toBe('ShapeError');
        expect(finished).toMatchObject({ agent: 'host', status: 'ok', stop_reason: 'completed', total_steps: 1 });
        expect(finished.errors).toBe(c.status === 'error' ? 1 : 0);
      }
    });
  });
});

describe('the run context inside every callback of a stream', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  class Tools {
    seen: (string | undefined)[] = [];
    @AgentTool('lookup')
    async lookup(n: number) {
      this.seen.push(currentAgentRun()?.runId);
      await tick(1);
      this.seen.push(currentAgentRun()?.runId);
      return n * 2;
    }
    @AgentTool('lookup_stream')
    lookupStream(n: number): Observable<number> {
      return timer(1).pipe(map(() => {
        this.seen.push(currentAgentRun()?.runId);
        return n;
      }));
    }
  }

  class StreamingAgent {
    constructor(readonly tools: Tools) {}
    @AgentRun('pipe_agent')
    pipe(): Observable<number> {
      return interval(1).pipe(
        take(3),
        delay(1),
        mergeMap((n) => this.tools.lookup(n)),
        mergeMap((n) => defer(() => from(this.tools.lookup(n)))),
        mergeMap((n) => this.tools.lookupStream(n)),
      );
    }
    @AgentRun('generator_agent')
    async *generate(): AsyncGenerator<number> {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        yield await this.tools.lookup(i);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  }

  function expectAllIn(events: LogLine[], runId: string, steps: number) {
    expect(events.filter((e) => e.event === 'tool_result').every((e) => e.run_id === runId && e.status === 'ok')).toBe(true);
    expect(events.filter((e) => e.event === 'tool_result')).toHaveLength(steps);
  }

  it('tool calls made in an Observable pipe (interval, delay, mergeMap, defer, timers) belong to the run', async () => {
    const tools = new Tools();
    const agent = new StreamingAgent(tools);
    // Two runs at once, interleaving their timers.
    const [a, b] = await Promise.all([agent.pipe(), agent.pipe()].map((o) => new Promise((r) => o.subscribe({ complete: () => r(undefined) }))));
    void a; void b;
    await tick(5);
    const runs = runsIn(harness.capture.events);
    expect(runs.size).toBe(2);
    for (const [runId, events] of runs) {
      expectWellFormedRun(events);
      expectAllIn(events, runId, 9);
      expect(events.at(-1)).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 9 });
    }
    expect(tools.seen.every((id) => id !== undefined && runs.has(id))).toBe(true);
  });

  it('tool calls made in an async generator body belong to the run, between next() calls from anywhere', async () => {
    const tools = new Tools();
    const agent = new StreamingAgent(tools);
    const consume = async () => {
      const out: number[] = [];
      for await (const v of agent.generate()) out.push(v);
      return out;
    };
    expect(await Promise.all([consume(), consume()])).toEqual([[0, 2, 4], [0, 2, 4]]);
    await tick(5);
    const runs = runsIn(harness.capture.events);
    expect(runs.size).toBe(2);
    for (const [runId, events] of runs) {
      expectWellFormedRun(events);
      expectAllIn(events, runId, 3);
    }
    expect(tools.seen.every((id) => id !== undefined && runs.has(id))).toBe(true);
  });

  it('a hot source created inside the run carries the run into its operators', async () => {
    const tools = new Tools();
    class HotAgent {
      @AgentRun('hot_agent')
      stream(): Observable<number> {
        const subject = new Subject<number>();
        setTimeout(() => {
          subject.next(1);
          subject.next(2);
          subject.complete();
        }, 2);
        return subject.pipe(mergeMap((n) => tools.lookup(n)));
      }
    }
    const values: number[] = [];
    await new Promise((r) => new HotAgent().stream().subscribe({ next: (v) => values.push(v), complete: () => r(undefined) }));
    await tick(5);
    expect(values).toEqual([2, 4]);
    const [[runId, events]] = [...runsIn(harness.capture.events)];
    expectWellFormedRun(events);
    expectAllIn(events, runId, 2);
  });
});
