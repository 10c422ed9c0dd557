import { Observable, isObservable } from 'rxjs';
import type { Span } from '../outcome.js';
import { runInFrame, type Frame } from '../run-context.js';

export { isObservable };

/**
 * An Observable does its work when subscribed, not when returned: the span
 * stays open until the first subscription completes, errors or is
 * unsubscribed (`cancelled`), and the source is subscribed inside the frame so
 * every callback of a cold stream (timers, promises, tool calls in a pipe)
 * belongs to the run. Values are forwarded inside the frame too, for
 * downstream operators of a hot source.
 *
 * A consumer that unsubscribes while a value is being delivered to it
 * (`firstValueFrom`, `take(1)`, `first()`: the usual way to read a one-value
 * Observable such as `HttpService.get()`) took what it asked for: the span
 * ends `ok`. Only an unsubscription from outside (a client disconnecting) is
 * `cancelled`.
 *
 * A later subscription (a retry, a second subscriber) does the work again in
 * the run's context; once the run has finished it writes nothing more.
 */
export function observeObservable<T>(source: Observable<T>, span: Span, frame: Frame): Observable<T> {
  return new Observable<T>((subscriber) => {
    let settled = false;
    // Deliveries in progress (re-entrant when the consumer feeds the source), and
    // whether the consumer closed itself while receiving a value: a source that
    // emits during subscribe has the teardown run only after subscribe returns.
    let delivering = 0;
    let consumerDone = false;
    const subscription = runInFrame(frame, () =>
      source.subscribe({
        next: (value) => {
          span.observe?.(value);
          delivering += 1;
          try {
            runInFrame(frame, () => subscriber.next(value));
          } finally {
            delivering -= 1;
            if (subscriber.closed && !settled) consumerDone = true;
          }
        },
        error: (error: unknown) => {
          settled = true;
          span.end({ type: 'error', error });
          runInFrame(frame, () => subscriber.error(error));
        },
        complete: () => {
          settled = true;
          span.end({ type: 'ok', value: undefined });
          runInFrame(frame, () => subscriber.complete());
        },
      }),
    );
    return () => {
      // The source's teardown (finalize, a model client's abort) runs inside the run too.
      runInFrame(frame, () => subscription.unsubscribe());
      if (!settled) span.end(delivering > 0 || consumerDone ? { type: 'ok', value: undefined } : { type: 'cancelled' });
    };
  });
}
