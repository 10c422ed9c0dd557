import type { Outcome, Span } from '../outcome.js';
import { runInFrame, type Frame } from '../run-context.js';
import { followIteration } from './async-iterator.js';
import { forwardingGet } from './forward.js';

type Fn = (...args: unknown[]) => unknown;
type SdkStream = AsyncIterable<unknown> & { controller: AbortController; tee(): unknown[]; toReadableStream(): ReadableStream<Uint8Array> };

/**
 * The `Stream` of the OpenAI and Anthropic SDKs (what `create({ stream: true })`
 * resolves to): an async iterable with its request's `controller`, `tee()`
 * and `toReadableStream()`. It reads nothing until it is consumed, in one of
 * those three ways.
 */
export function isSdkStream(value: object): value is SdkStream {
  const v = value as Record<string, unknown>;
  const controller = v.controller as { signal?: unknown; abort?: unknown } | undefined;
  return typeof v.tee === 'function' && typeof v.toReadableStream === 'function'
    && typeof controller?.abort === 'function' && typeof controller.signal === 'object';
}

/**
 * Follows an SDK stream whichever way it is consumed: iterated (`for await`),
 * as a ReadableStream of JSON lines (`toReadableStream()`, what a server
 * pipes to its client), or split by `tee()`. Each item reaches the span; it
 * ends when the consumption does: `ok` at the end of the stream, `error` with
 * the SDK's error, `cancelled` when abandoned (`break`, `cancel()`) or when
 * the request was aborted (the SDK then ends the iteration quietly).
 * `constructor`, `instanceof` and every other member are the original's.
 */
export function followSdkStream(stream: SdkStream, span: Span, frame: Frame): SdkStream {
  const forward = forwardingGet(stream);
  // The SDK ends an aborted stream as if it were done: that is a cancellation.
  const ending: Span = {
    end: (outcome: Outcome) => span.end(outcome.type === 'ok' && stream.controller.signal.aborted ? { type: 'cancelled' } : outcome),
    observe: (item) => span.observe?.(item),
  };
  const methods: Record<PropertyKey, Fn> = {
    [Symbol.asyncIterator]: followIteration(() => (forward(Symbol.asyncIterator) as () => AsyncIterator<unknown>)(), ending, frame),
    toReadableStream: () => followReadable(runInFrame(frame, () => (forward('toReadableStream') as () => ReadableStream<Uint8Array>)()), ending, frame),
    tee: () => {
      const branches = (forward('tee') as () => SdkStream[])();
      const shared = sharedBy(ending, branches.length);
      return branches.map((branch, i) => followSdkStream(branch, shared[i]!, frame));
    },
  };
  return new Proxy(stream, {
    get(_target, key) {
      return Object.prototype.hasOwnProperty.call(methods, key) ? methods[key] : forward(key);
    },
  });
}

/**
 * The SDK's ReadableStream (one JSON value per line), passed through chunk
 * for chunk, pulled only when its reader asks (so nothing is read ahead), with
 * each line's value shown to the span.
 */
function followReadable(source: ReadableStream<Uint8Array>, span: Span, frame: Frame): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  const observeLines = (text: string) => {
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line) {
        try {
          span.observe?.(JSON.parse(line));
        } catch {
          // not a JSON line: nothing to read from it
        }
      }
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await runInFrame(frame, () => reader.read());
        } catch (error) {
          span.end({ type: 'error', error });
          controller.error(error);
          return;
        }
        if (result.done) {
          observeLines(`${decoder.decode()}\n`);
          span.end({ type: 'ok', value: undefined });
          controller.close();
          return;
        }
        observeLines(decoder.decode(result.value, { stream: true }));
        controller.enqueue(result.value);
      },
      cancel(reason) {
        span.end({ type: 'cancelled' });
        return runInFrame(frame, () => reader.cancel(reason));
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * One span seen through the branches of a `tee()`: they carry the same items,
 * so the answer is done when one branch reads it to the end (or fails), and
 * abandoned only when every branch is.
 */
function sharedBy(span: Span, count: number): Span[] {
  let cancelled = 0;
  return Array.from({ length: count }, (): Span => {
    let ended = false;
    return {
      end(outcome) {
        if (ended) return;
        ended = true;
        if (outcome.type !== 'cancelled') span.end(outcome);
        else if (++cancelled === count) span.end(outcome);
      },
      observe: (item) => span.observe?.(item),
    };
  });
}
