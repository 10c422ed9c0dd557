import { BehaviorSubject, NEVER, Observable, concat, firstValueFrom, of, take } from 'rxjs';
import { AgentTool, withAgentRun } from 'nestjs-agent-logging';
import { installEngine, tick } from '../support/engine-harness';

class Http {
  // Like HttpService.get(): one value, then complete, both from an async callback.
  @AgentTool('http_get')
  get(url: string): Observable<{ url: string }> {
    return new Observable((subscriber) => {
      const timer = setTimeout(() => {
        subscriber.next({ url });
        subscriber.complete();
      }, 2);
      return () => clearTimeout(timer);
    });
  }

  @AgentTool('ticks')
  ticks(): Observable<number> {
    return new Observable((subscriber) => {
      let i = 0;
      const timer = setInterval(() => subscriber.next(i++), 2);
      return () => clearInterval(timer);
    });
  }
}

describe('consumers that take what they need from an Observable', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  const results = () => harness.capture.events.filter((e) => e.event === 'tool_result').map((e) => [e.tool, e.status]);

  it('ends the step ok for firstValueFrom and take(n), cancelled only for an unsubscription from outside', async () => {
    const http = new Http();
    await withAgentRun('consumers', async () => {
      expect(await firstValueFrom(http.get('/a'))).toEqual({ url: '/a' });
      await new Promise<void>((resolve) => http.ticks().pipe(take(2)).subscribe({ complete: resolve }));
      const open = http.ticks().subscribe();
      await new Promise((r) => setTimeout(r, 5));
      open.unsubscribe(); // a client going away
    })();
    await tick();
    expect(results()).toEqual([
      ['http_get', 'ok'],
      ['ticks', 'ok'],
      ['ticks', 'cancelled'],
    ]);
  });
});

describe('consumers of a source that emits while being subscribed', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  class Cache {
    readonly latest = new BehaviorSubject({ price: 42 });
    @AgentTool('cached_price')
    price(): Observable<{ price: number }> {
      return this.latest.asObservable();
    }
    @AgentTool('first_then_never')
    firstThenNever(): Observable<number> {
      return concat(of(1), NEVER);
    }
  }

  it('ends the step ok for firstValueFrom on a BehaviorSubject and take(1) on a source that never completes', async () => {
    const cache = new Cache();
    await withAgentRun('cache', async () => {
      expect(await firstValueFrom(cache.price())).toEqual({ price: 42 });
      expect(await firstValueFrom(cache.firstThenNever().pipe(take(1)))).toBe(1);
    })();
    await tick();
    expect(harness.capture.events.filter((e) => e.event === 'tool_result').map((e) => [e.tool, e.status])).toEqual([
      ['cached_price', 'ok'],
      ['first_then_never', 'ok'],
    ]);
  });
});
