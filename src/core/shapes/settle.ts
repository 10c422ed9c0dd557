import type { Span } from '../outcome.js';
import type { Frame } from '../run-context.js';
import { followApiPromise, followEnvelope, isApiPromise, isResponseEnvelope } from './api-promise.js';
import { isAsyncIterable, isAsyncIterator, wrapAsyncIterable, wrapAsyncIterator } from './async-iterator.js';
import { followEventStream, sdkEventStreamItems } from './event-stream.js';
import { forwardingGet } from './forward.js';
import { followLaterResult } from './later-result.js';
import { followSdkStream, isSdkStream } from './sdk-stream.js';
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
 * its `then`, `catch` and `finally` go through the chain. An SDK's lazy
 * `APIPromise` is not settled before the caller awaits it (see api-promise.ts).
 *
 * `followResolvedStream` (runs and model calls): a Promise of a stream (an
 * SDK's `await client.create({ stream: true })`) keeps the span open until the
 * stream itself ends; so does a result completed only once it is read (an AI
 * SDK `streamText` result, see later-result.ts).
 */
export function settle(result: unknown, span: Span, frame: Frame, followResolvedStream = false): unknown {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    span.end({ type: 'ok', value: result });
    return result;
  }
  let shape: Shape;
  try {
    shape = shapeOf(result);
  } catch {
    shape = 'plain'; // a Proxy whose traps throw: treat it as the value it claims to be
  }
  switch (shape) {
    case 'api-promise':
      return followApiPromise(result as Promise<unknown>, span, frame, (value) => resolved(value, span, frame, followResolvedStream));
    case 'promise': {
      const chained = Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => resolved(value, span, frame, followResolvedStream),
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
      return followSdkObject(result as object, span, frame) ?? wrapAsyncIterable(result as never, span, frame);
    default:
      // A stream helper without async iteration (the non-streaming tool runner) is an event emitter.
      return (followResolvedStream ? followSdkObject(result, span, frame) : undefined) ?? endOk(span, result);
  }
}

type Shape = 'api-promise' | 'promise' | 'observable' | 'iterator' | 'iterable' | 'plain';

function shapeOf(result: object): Shape {
  if (result instanceof Promise) return isPromiseSubclass(result) && isApiPromise(result) ? 'api-promise' : 'promise';
  if (typeof (result as { then?: unknown }).then === 'function') return 'promise';
  if (isObservable(result)) return 'observable';
  // A web stream that is its own iterator (LangChain's) is followed through a Proxy, keeping its own methods.
  if (isAsyncIterator(result) && !isWebStream(result)) return 'iterator';
  return isAsyncIterable(result) ? 'iterable' : 'plain';
}

/** What a Promise resolved to: followed when it is a stream worth following, else the end of the span. */
function resolved(value: unknown, span: Span, frame: Frame, followResolvedStream: boolean): unknown {
  if (!followResolvedStream || value === null || typeof value !== 'object') return endOk(span, value);
  // An SDK's `withResponse()` the method awaited: what is read and followed is its data.
  if (isResponseEnvelope(value)) return followEnvelope(value, span, (data) => resolved(data, span, frame, true));
  return followSdkObject(value, span, frame) ?? (isStreamToFollow(value) ? settle(value, span, frame) : endOk(span, value));
}

/**
 * An SDK's own stream objects, followed the SDK's way (see event-stream.ts
 * and sdk-stream.ts) rather than as a generic async iterable: they are read
 * in more ways than iteration. Undefined for anything else.
 */
function followSdkObject(value: object, span: Span, frame: Frame): unknown {
  let kind: 'events' | 'stream' | undefined;
  let itemEvents: readonly string[] | undefined;
  try {
    itemEvents = sdkEventStreamItems(value);
    kind = itemEvents !== undefined ? 'events' : isSdkStream(value) ? 'stream' : undefined;
  } catch {
    return undefined;
  }
  if (kind === 'events') return followEventStream(value, itemEvents!, span);
  if (kind === 'stream') return followSdkStream(value as never, span, frame);
  return followLaterResult(value, span);
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
function isStreamToFollow(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  try {
    const v = value as { pipe?: unknown; getReader?: unknown };
    if (isObservable(value) || isLangChainStream(value)) return true;
    return isAsyncIterable(value) && typeof v.pipe !== 'function' && typeof v.getReader !== 'function';
  } catch {
    return false;
  }
}

const isWebStream = (value: object): boolean => typeof (value as { getReader?: unknown }).getReader === 'function';

/**
 * LangChain's `IterableReadableStream` (what a chat model's `.stream()`
 * resolves to): a web stream that is also its own async iterator, because
 * `for await` is how LangChain documents reading it. Followed like an SDK's
 * stream; a plain web stream (no `next`) is not.
 */
const isLangChainStream = (value: object): boolean => isWebStream(value) && isAsyncIterator(value);

const isPromiseSubclass = (value: unknown): value is Promise<unknown> =>
  value instanceof Promise && Object.getPrototypeOf(value) !== Promise.prototype;

/**
 * The original Promise subclass, seen through a Proxy whose `then`, `catch`
 * and `finally` are the chained Promise's: awaiting it is observed, while
 * `instanceof`, its own methods (`withResponse()`) and its async iteration (a
 * paginated list) are the original's.
 */
function keepingClass(original: Promise<unknown>, chained: Promise<unknown>): Promise<unknown> {
  const forward = forwardingGet(original);
  const forwardChained = forwardingGet(chained);
  return new Proxy(original, {
    get(_target, key) {
      return key === 'then' || key === 'catch' || key === 'finally' ? forwardChained(key) : forward(key);
    },
  });
}
