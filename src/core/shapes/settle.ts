import type { Span } from '../outcome';
import type { Frame } from '../run-context';
import { isAsyncIterable, isAsyncIterator, wrapAsyncIterable, wrapAsyncIterator } from './async-iterator';
import { isObservable, observeObservable } from './observable';

/**
 * Branches on what a wrapped method returned and ends the span when that value
 * is done: at once for a plain value (a sync method stays sync), when a
 * Promise settles, when an Observable or async iterator finishes. Thenables are
 * told apart by duck typing, never by the function being `async`.
 *
 * A native Promise is returned as is (same identity): the span observes it on
 * a side branch registered first, so run_finished is written before the
 * caller's own continuation runs. Other thenables are adopted once into a
 * Promise, since calling `then` twice on a lazy thenable (a query builder)
 * would run it twice.
 */
export function settle(result: unknown, span: Span, frame: Frame): unknown {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    span.end({ type: 'ok', value: result });
    return result;
  }
  if (result instanceof Promise) {
    Promise.prototype.then.call(
      result,
      (value: unknown) => span.end({ type: 'ok', value }),
      (error: unknown) => span.end({ type: 'error', error }),
    );
    return result;
  }
  let shape: 'observable' | 'thenable' | 'iterator' | 'iterable' | 'plain';
  try {
    shape = isObservable(result)
      ? 'observable'
      : typeof (result as { then?: unknown }).then === 'function'
        ? 'thenable'
        : isAsyncIterator(result)
          ? 'iterator'
          : isAsyncIterable(result)
            ? 'iterable'
            : 'plain';
  } catch {
    shape = 'plain'; // a Proxy whose traps throw: treat it as the value it claims to be
  }
  switch (shape) {
    case 'observable':
      return observeObservable(result as never, span, frame);
    case 'thenable':
      return Promise.resolve(result).then(
        (value) => {
          span.end({ type: 'ok', value });
          return value;
        },
        (error: unknown) => {
          span.end({ type: 'error', error });
          throw error;
        },
      );
    case 'iterator':
      return wrapAsyncIterator(result as never, span, frame);
    case 'iterable':
      return wrapAsyncIterable(result as never, span, frame);
    default:
      span.end({ type: 'ok', value: result });
      return result;
  }
}
