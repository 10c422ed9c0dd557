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
 * The stream helpers' event emitters, and the events each one delivers the
 * provider's own items with: `client.chat.completions.stream()` a `chunk`
 * per Chat Completions chunk and a `chatCompletion` per completed request
 * (the only items of the non-streaming tool runner, `runTools()`),
 * `client.responses.stream()` an `event` per Responses event,
 * `client.messages.stream()` a `streamEvent` per Anthropic event. Told apart
 * by their documented methods, the more specific first (a Chat Completions
 * runner has a `finalMessage` too).
 */
const HELPERS: readonly { method: string; itemEvents: readonly string[] }[] = [
  { method: 'finalChatCompletion', itemEvents: ['chunk', 'chatCompletion'] },
  { method: 'finalResponse', itemEvents: ['event'] },
  { method: 'finalMessage', itemEvents: ['streamEvent'] },
];

/** The item events of an SDK stream helper, or undefined when the value is none. */
export function sdkEventStreamItems(value: object): readonly string[] | undefined {
  const v = value as Record<string, unknown>;
  if (typeof v.on !== 'function' || typeof v.off !== 'function' || typeof v.done !== 'function' || typeof v.abort !== 'function') return undefined;
  return HELPERS.find((h) => typeof v[h.method] === 'function')?.itemEvents;
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
 * stream has ended (calling it earlier would mark the failure handled): the
 * step ends a few microtasks after `end`, still before a caller awaiting
 * `final*()` resumes.
 */
export function followEventStream<T extends object>(stream: T, itemEvents: readonly string[], span: Span): T {
  const s = stream as unknown as EventStream;
  const note = () => {
    // MessageStream's request id (from the `request-id` header), a plain getter of a field.
    const requestId = s.request_id;
    if (typeof requestId === 'string') span.note?.({ requestId } satisfies ModelReading);
  };
  // openai 6's ResponseStream fails on the provider's `error` event without setting `errored`.
  let errorItem = false;
  const onEnd = () => {
    try {
      note();
      if (s.aborted) span.end({ type: 'cancelled' });
      else if (!s.errored && !errorItem) span.end({ type: 'ok', value: undefined });
      else s.done().then(() => span.end({ type: 'ok', value: undefined }), (error: unknown) => span.end({ type: 'error', error }));
    } catch {
      span.end({ type: 'ok', value: undefined });
    }
  };
  if (s.ended) {
    onEnd();
    return stream;
  }
  const onItem = (item: unknown) => {
    try {
      if ((item as { type?: unknown } | null)?.type === 'error') errorItem = true;
      span.observe?.(item);
    } catch {
      // a fault in our bookkeeping never reaches the SDK's dispatch
    }
  };
  for (const event of itemEvents) s.on(event, onItem);
  s.on('end', onEnd);
  return stream;
}
