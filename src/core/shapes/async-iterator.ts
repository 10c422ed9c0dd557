import type { Span } from '../outcome.js';
import { runInFrame, type Frame } from '../run-context.js';
import { forwardingGet } from './forward.js';

type AnyAsyncIterator = AsyncIterator<unknown, unknown, unknown>;

const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === 'function';

/** An async generator, or any object that is its own async iterator. */
export function isAsyncIterator(value: object): value is AnyAsyncIterator & AsyncIterable<unknown> {
  const v = value as Record<PropertyKey, unknown>;
  return isFunction(v[Symbol.asyncIterator]) && isFunction(v.next);
}

/** An async iterable that makes its iterators on demand (an SDK's stream object, a Readable). */
export function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return isFunction((value as Record<PropertyKey, unknown>)[Symbol.asyncIterator]);
}

/**
 * Async generators lose AsyncLocalStorage context between `next()` calls
 * (node #42237): each `next`, `return` and `throw` is run inside the frame.
 * The span ends when the iterator is done, throws, or is abandoned early by
 * `break` or `return()` (`cancelled`).
 */
export function wrapAsyncIterator(source: AnyAsyncIterator, span: Span, frame: Frame): AsyncGenerator<unknown, unknown, unknown> {
  let done = false;
  // Once the consumer called return(), the eventual end is an abandonment, even
  // if a `finally` in the generator still yields before it is done.
  let abandoned = false;
  const finish = (outcome: Parameters<Span['end']>[0]) => {
    if (done) return;
    done = true;
    span.end(outcome);
  };
  const call = async (method: 'next' | 'return' | 'throw', arg: unknown): Promise<IteratorResult<unknown, unknown>> => {
    if (method === 'return') abandoned = true;
    const fn = source[method];
    if (!isFunction(fn)) {
      // An iterator without return/throw: finishing early is still an ending.
      finish(method === 'throw' ? { type: 'error', error: arg } : { type: 'cancelled' });
      if (method === 'throw') throw arg;
      return { done: true, value: arg };
    }
    let result: IteratorResult<unknown, unknown>;
    try {
      result = await runInFrame(frame, () => fn.call(source, arg) as Promise<IteratorResult<unknown, unknown>>);
    } catch (error) {
      finish({ type: 'error', error });
      throw error;
    }
    // A generator may catch what throw() sent in and go on yielding, or yield
    // from a `finally` after return(): only `done` ends the span.
    if (!result.done) span.observe?.(result.value);
    else finish(abandoned ? { type: 'cancelled' } : { type: 'ok', value: result.value });
    return result;
  };
  const wrapped: AsyncGenerator<unknown, unknown, unknown> = {
    next: (...args: [] | [unknown]) => call('next', args[0]),
    return: (value?: unknown) => call('return', value),
    throw: (error?: unknown) => call('throw', error),
    [Symbol.asyncIterator]() {
      return wrapped;
    },
    // Node 20 has Symbol.asyncDispose; `await using` on the stream then closes it.
    [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]: async () => {
      await call('return', undefined);
    },
  } as AsyncGenerator<unknown, unknown, unknown>;
  return wrapped;
}

/**
 * The `[Symbol.asyncIterator]` method of a followed iterable: each call makes
 * the source's iterator (`make`) inside the frame and follows it with the span;
 * one that cannot be made ends the span with its error.
 */
export function followIteration(make: () => AnyAsyncIterator, span: Span, frame: Frame): () => AsyncGenerator<unknown, unknown, unknown> {
  return () => {
    let iterator: AnyAsyncIterator;
    try {
      iterator = runInFrame(frame, make);
    } catch (error) {
      span.end({ type: 'error', error });
      throw error;
    }
    return wrapAsyncIterator(iterator, span, frame);
  };
}

/**
 * An iterable that is not itself an iterator keeps its identity's behaviour
 * (methods, instanceof) through a Proxy; only the iterators it makes are
 * wrapped. The span follows the first iteration.
 */
export function wrapAsyncIterable<T extends AsyncIterable<unknown>>(source: T, span: Span, frame: Frame): T {
  const forward = forwardingGet(source);
  const iterate = followIteration(() => source[Symbol.asyncIterator]() as AnyAsyncIterator, span, frame);
  return new Proxy(source, {
    get(_target, key) {
      return key === Symbol.asyncIterator ? iterate : forward(key);
    },
  });
}
