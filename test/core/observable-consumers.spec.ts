import { Observable, firstValueFrom, take } from 'rxjs';
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
