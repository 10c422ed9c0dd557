import type { Span } from '../outcome.js';
import type { Frame } from '../run-context.js';
import { isAsyncIterable, isAsyncIterator, wrapAsyncIterable, wrapAsyncIterator } from './async-iterator.js';
import { isObservable, observeObservable } from './observable.js';

/**
 * Branches on what a wrapped method returned and ends the span when that value
 * is done: at once for a plain value (a sync method stays sync), when a
 * Promise settles, when an Observable or async iterator finishes. Thenables are
 * told apart by duck typing, never by the function being `async`.
 *
 * A Promise (or another thenable, adopted once: calling `then` twice on a lazy
 * thenable would run it twice) comes back as the Promise of the same outcome,
 * with the span's end chained first, so run_finished is written before the
 * caller's own continuation runs. Chaining rather than observing on a side
 * branch keeps Node's crash semantics: a rejection nobody handles still raises
 * `unhandledRejection`, with the same error. A Promise subclass (an SDK's
 * `APIPromise` with its `withResponse()`) keeps its class and methods: only
 * its `then`, `catch` and `finally` go through the chain.
 *
 * `followResolvedStream` (runs and model calls): a Promise of a stream (an
 * SDK's `await client.create({ stream: true })`) keeps the span open until the
 * stream itself ends.
 */
export function settle(result: unknown, span: Span, frame: Frame, followResolvedStream = false): unknown {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    span.end({ type: 'ok', value: result });
    return result;
  }
  let shape: 'promise' | 'observable' | 'iterator' | 'iterable' | 'plain';
  try {
    shape =
      result instanceof Promise || typeof (result as { then?: unknown }).then === 'function'
        ? 'promise'
        : isObservable(result)
          ? 'observable'
          : isAsyncIterator(result)
            ? 'iterator'
            : isAsyncIterable(result)
              ? 'iterable'
              : 'plain';
  } catch {
    shape = 'plain'; // a Proxy whose traps throw: treat it as the value it claims to be
  }
  switch (shape) {
    case 'promise': {
      const chained = Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => (followResolvedStream && isSdkStream(value) ? settle(value, span, frame) : endOk(span, value)),
        (error: unknown) => {
          span.end({ type: 'error', error });
          throw error;
        },
      );
      return isPromiseSubclass(result) ? keepingClass(result, chained) : chained;
    }
    case 'observable':
      return observeObservable(result as never, span, frame);
    case 'iterator':
      return wrapAsyncIterator(result as never, span, frame);
    case 'iterable':
      return wrapAsyncIterable(result as never, span, frame);
    default:
      return endOk(span, result);
  }
}

function endOk(span: Span, value: unknown): unknown {
  span.end({ type: 'ok', value });
  return value;
}

/**
 * A stream worth following when a Promise resolves to it: an Observable, or an
 * async iterable that is not a Node or web stream. Those are read with `pipe`,
 * `on('data')` or a reader as often as with `for await`, and a span waiting for
 * an iteration that never comes would hold its run until the timeout.
 */
function isSdkStream(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  try {
    const v = value as { pipe?: unknown; getReader?: unknown };
    return isObservable(value) || (isAsyncIterable(value) && typeof v.pipe !== 'function' && typeof v.getReader !== 'function');
  } catch {
    return false;
  }
}

const isPromiseSubclass = (value: unknown): value is Promise<unknown> =>
  value instanceof Promise && Object.getPrototypeOf(value) !== Promise.prototype;

/**
 * The original Promise subclass, seen through a Proxy whose `then`, `catch`
 * and `finally` are the chained Promise's: awaiting it is observed, while
 * `instanceof`, its own methods (`withResponse()`) and its async iteration (a
 * paginated list) are the original's.
 */
function keepingClass(original: Promise<unknown>, chained: Promise<unknown>): Promise<unknown> {
  return new Proxy(original, {
    get(target, key) {
      if (key === 'then' || key === 'catch' || key === 'finally') {
        const method = chained[key] as (...args: unknown[]) => unknown;
        return method.bind(chained);
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
