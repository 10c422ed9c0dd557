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
 * A Promise (or another thenable, adopted once: calling `then` twice on a lazy
 * thenable would run it twice) comes back as the Promise of the same outcome,
 * with the span's end chained first, so run_finished is written before the
 * caller's own continuation runs. Chaining rather than observing on a side
 * branch keeps Node's crash semantics: a rejection nobody handles still raises
 * `unhandledRejection`, with the same error. The value it resolves to is
 * settled in turn, so a Promise of a stream (an SDK's
 * `await client.create({ stream: true })`) keeps the span open until the
 * stream itself ends.
 */
export function settle(result: unknown, span: Span, frame: Frame): unknown {
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
    case 'promise':
      return Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => settle(value, span, frame),
        (error: unknown) => {
          span.end({ type: 'error', error });
          throw error;
        },
      );
    case 'observable':
      return observeObservable(result as never, span, frame);
    case 'iterator':
      return wrapAsyncIterator(result as never, span, frame);
    case 'iterable':
      return wrapAsyncIterable(result as never, span, frame);
    default:
      span.end({ type: 'ok', value: result });
      return result;
  }
}
