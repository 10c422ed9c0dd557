import type { Span } from '../outcome.js';
import type { ModelReading } from '../providers/index.js';

type Listener = (...args: unknown[]) => void;
interface EventStream {
  on(event: string, listener: Listener): unknown;
  done(): Promise<void>;
  readonly ended?: boolean;
  readonly errored?: boolean;
  readonly aborted?: boolean;
  readonly request_id?: unknown;
}

/**
 * The stream helpers' event emitters, and the event each one delivers the
 * provider's own stream items with: `client.chat.completions.stream()` (and
 * the tool runners) a `chunk` per Chat Completions chunk,
 * `client.responses.stream()` an `event` per Responses event,
 * `client.messages.stream()` a `streamEvent` per Anthropic event. Told apart
 * by their documented methods, the more specific first (a Chat Completions
 * runner has a `finalMessage` too).
 */
const HELPERS: readonly { method: string; itemEvent: string }[] = [
  { method: 'finalChatCompletion', itemEvent: 'chunk' },
  { method: 'finalResponse', itemEvent: 'event' },
  { method: 'finalMessage', itemEvent: 'streamEvent' },
];

/** The item event of an SDK stream helper, or undefined when the value is none. */
export function sdkEventStreamItems(value: object): string | undefined {
  const v = value as Record<string, unknown>;
  if (typeof v.on !== 'function' || typeof v.off !== 'function' || typeof v.done !== 'function' || typeof v.abort !== 'function') return undefined;
  return HELPERS.find((h) => typeof v[h.method] === 'function')?.itemEvent;
}

/**
 * Follows a stream helper through its own events, and hands back the very
 * object: its `.on()` chains, `instanceof` and every way of reading it
 * (listeners, `for await`, `final*()`, `done()`, `toReadableStream()`) stay
 * the SDK's. The helper makes its request and reads it whether the caller
 * reads it or not, so it is followed by listening only: its items (for usage
 * and time to first token) and `end`, after which `errored` and `aborted` say
 * how it ended. No `error` or `abort` listener is added: the SDK raises an
 * unhandled rejection for a failure nobody listens to, and must still do so.
 * The error itself is then read from `done()`, which rejects with it once the
 * stream has ended (calling it earlier would mark the failure handled).
 */
export function followEventStream<T extends object>(stream: T, itemEvent: string, span: Span): T {
  const s = stream as unknown as EventStream;
  const note = () => {
    // MessageStream's request id (from the `request-id` header), a plain getter of a field.
    const requestId = s.request_id;
    if (typeof requestId === 'string') span.note?.({ requestId } satisfies ModelReading);
  };
  const onEnd = () => {
    try {
      note();
      if (!s.errored) span.end({ type: 'ok', value: undefined });
      else if (s.aborted) span.end({ type: 'cancelled' });
      else s.done().then(() => span.end({ type: 'ok', value: undefined }), (error: unknown) => span.end({ type: 'error', error }));
    } catch {
      span.end({ type: 'ok', value: undefined });
    }
  };
  if (s.ended) {
    onEnd();
    return stream;
  }
  s.on(itemEvent, (item: unknown) => {
    try {
      span.observe?.(item);
    } catch {
      // a fault in our bookkeeping never reaches the SDK's dispatch
    }
  });
  s.on('end', onEnd);
  return stream;
}
