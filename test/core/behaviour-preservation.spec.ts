import 'reflect-metadata';
import { SetMetadata } from '@nestjs/common';
import { of, type Observable } from 'rxjs';
import { AgentLlm, AgentLoggingConfigError, AgentRun, AgentTool } from 'nestjs-agent-logging';
import { installEngine, tick } from '../support/engine-harness';

const VALUE = { same: 'object' };
const ERROR = new RangeError('the very same');
const PROMISE = Promise.resolve(VALUE);
const OBSERVABLE = of(1);

class Service {
  factor = 3;

  @AgentRun('scaled')
  scaled(a: number, b: number, _c?: number) {
    return (a + b) * this.factor;
  }
  @AgentRun('same_value')
  sameValue() {
    return VALUE;
  }
  @AgentRun('same_promise')
  samePromise() {
    return PROMISE;
  }
  @AgentRun('same_error')
  sameError() {
    throw ERROR;
  }
  @AgentRun('same_rejection')
  async sameRejection() {
    await tick();
    throw ERROR;
  }
  @AgentRun('an_observable')
  anObservable(): Observable<number> {
    return OBSERVABLE;
  }

  // Metadata set before (below) and after (above) the agent decorator.
  @SetMetadata('after', 'a')
  @AgentTool('tagged')
  @SetMetadata('before', 'b')
  @SetMetadata('roles', ['admin'])
  tagged() {
    return this.factor;
  }
  @AgentLlm('model_x')
  @SetMetadata('before', 'llm')
  model() {
    return 'reply';
  }
}

describe('behaviour preservation', () => {
  const proto = Service.prototype;

  describe.each([
    ['with the engine installed', true],
    ['without the module (no engine): calls straight through', false],
  ])('%s', (_label, installed) => {
    let harness: ReturnType<typeof installEngine>;
    beforeEach(() => {
      harness = installEngine();
      if (!installed) harness.uninstall();
    });
    afterEach(() => harness.uninstall());

    it('keeps this, arguments and the return value; a sync method stays sync', async () => {
      const s = new Service();
      expect(s.scaled(1, 2)).toBe(9);
      expect(s.sameValue()).toBe(VALUE);
      // A Promise comes back as the Promise of the very same value (chained, so
      // that an unhandled rejection still surfaces); without the engine, as is.
      const promise = s.samePromise();
      if (installed) expect(promise).toBeInstanceOf(Promise);
      else expect(promise).toBe(PROMISE);
      await expect(promise).resolves.toBe(VALUE);
      expect(s.tagged()).toBe(3);
    });

    it('throws the very same error object, sync and async', async () => {
      const s = new Service();
      let thrown: unknown;
      try {
        s.sameError();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBe(ERROR);
      await expect(s.sameRejection()).rejects.toBe(ERROR);
    });

    it('writes events only when the engine is installed', async () => {
      const s = new Service();
      s.sameValue();
      await new Promise((r) => s.anObservable().subscribe({ complete: () => r(undefined) }));
      await tick();
      expect(harness.capture.events.filter((e) => e.event === 'run_finished')).toHaveLength(installed ? 2 : 0);
    });
  });

  it('a tool called outside any run, or after its run ended, is called exactly once and throws the same error', async () => {
    const harness = installEngine();
    try {
      let calls = 0;
      class Tools {
        @AgentTool('fails_outside')
        fails() {
          calls += 1;
          throw ERROR;
        }
      }
      const tools = new Tools();
      expect(() => tools.fails()).toThrow(ERROR);
      expect(calls).toBe(1);
      class Late {
        later?: Promise<unknown>;
        @AgentRun('late')
        run() {
          this.later = tick(1).then(() => tools.fails()); // after the run has returned
          return 'early';
        }
      }
      const late = new Late();
      late.run();
      await expect(late.later).rejects.toBe(ERROR);
      expect(calls).toBe(2);
      expect(harness.capture.events.map((e) => e.event)).toEqual(['run_started', 'run_finished']);
      expect(harness.engine.droppedCount).toBe(0);
    } finally {
      harness.uninstall();
    }
  });

  it('keeps name and length', () => {
    expect(proto.scaled.name).toBe('scaled');
    expect(proto.scaled.length).toBe(3);
    expect(proto.tagged.name).toBe('tagged');
  });

  it('keeps every reflect-metadata key, set before or after the agent decorator', () => {
    expect(Reflect.getMetadata('before', proto.tagged)).toBe('b');
    expect(Reflect.getMetadata('roles', proto.tagged)).toEqual(['admin']);
    expect(Reflect.getMetadata('after', proto.tagged)).toBe('a');
    expect(Reflect.getMetadata('before', proto.model)).toBe('llm');
    // TypeScript's own design-time metadata stays on the class, as Nest reads it.
    expect(Reflect.getMetadata('design:paramtypes', proto, 'scaled')).toEqual([Number, Number, Number]);
  });

  describe('misuse fails at class definition with AgentLoggingConfigError', () => {
    const define = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };

    it('a getter', () => {
      const err = define(() => {
        class Bad {
          @AgentTool('getter')
          get value() {
            return 1;
          }
        }
        return Bad;
      });
      expect(err).toBeInstanceOf(AgentLoggingConfigError);
      expect((err as Error).message).toMatch(/@AgentTool on Bad\.value: an accessor; decorate a method/);
    });

    it('a static method', () => {
      const err = define(() => {
        class Bad {
          @AgentRun('static_run')
          static run() {
            return 1;
          }
        }
        return Bad;
      });
      expect(err).toBeInstanceOf(AgentLoggingConfigError);
      expect((err as Error).message).toMatch(/@AgentRun on Bad\.run: static methods are not supported/);
    });

    it('a non-function (a property, or a descriptor holding a value)', () => {
      const decorator = AgentLlm('m') as unknown as (t: object, k: string, d?: PropertyDescriptor) => void;
      class Bad {}
      const onProperty = define(() => decorator(Bad.prototype, 'field'));
      expect(onProperty).toBeInstanceOf(AgentLoggingConfigError);
      expect((onProperty as Error).message).toMatch(/@AgentLlm on Bad\.field: not a method/);
      const onValue = define(() => decorator(Bad.prototype, 'answer', { value: 42, writable: true }));
      expect(onValue).toBeInstanceOf(AgentLoggingConfigError);
    });

    it('two agent decorators on one method', () => {
      const err = define(() => {
        class Bad {
          @AgentRun('twice')
          @AgentTool('twice')
          both() {
            return 1;
          }
        }
        return Bad;
      });
      expect(err).toBeInstanceOf(AgentLoggingConfigError);
      expect((err as Error).message).toMatch(/already decorated as a tool/);
    });

    it('an invalid name', () => {
      const bad = (decorator: MethodDecorator) =>
        define(() => {
          class Bad {
            method() {
              return 1;
            }
          }
          decorator(Bad.prototype, 'method', Object.getOwnPropertyDescriptor(Bad.prototype, 'method')!);
        });
      expect(bad(AgentTool('has spaces'))).toBeInstanceOf(AgentLoggingConfigError);
      expect(bad(AgentRun({ name: 'ok', maxSteps: 0 }))).toBeInstanceOf(AgentLoggingConfigError);
      expect(bad(AgentRun({ name: 'ok', timeoutMs: 2 ** 31 }))).toBeInstanceOf(AgentLoggingConfigError);
      expect((bad(AgentRun({ name: 'ok', timeoutMs: 2 ** 31 })) as Error).message).toMatch(/at most 2147483647 ms/);
    });

    it('but never a default name the user did not choose: it is cleaned up', async () => {
      const harness = installEngine();
      try {
        const sym = Symbol('complete');
        // A minifier's `$`, a symbol key, a bound function: all fine, with or without an explicit model.
        class $Minified {
          @AgentLlm('gpt-4o')
          $complete() {
            return { ok: 1 };
          }
          @AgentTool()
          [sym]() {
            return 2;
          }
          @AgentRun()
          run() {
            this.$complete();
            return this[sym]();
          }
        }
        expect(new $Minified().run()).toBe(2);
        await tick();
        const events = harness.capture.events;
        expect(events[0].agent).toBe('_Minified.run');
        expect(events.find((e) => e.event === 'llm_result')!.model).toBe('gpt-4o');
        expect(events.find((e) => e.event === 'tool_call')!.tool).toBe('_Minified.Symbol_complete_');
      } finally {
        harness.uninstall();
      }
    });
  });
});
