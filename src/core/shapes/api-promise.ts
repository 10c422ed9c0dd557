import type { Span } from '../outcome.js';
import type { ModelReading } from '../providers/index.js';
import { forwardingGet } from './forward.js';

type Fn = (...args: unknown[]) => unknown;

/**
 * The `APIPromise` of the OpenAI and Anthropic SDKs (and other SDKs built the
 * same way): a Promise subclass whose `then` starts parsing the body, with
 * `asResponse()` (the raw `Response`, body unread) and `withResponse()` (the
 * parsed data with the `Response` and its request id). Told apart by those
 * methods and an overridden `then`, never by importing the SDK.
 */
export function isApiPromise(value: Promise<unknown>): boolean {
  const v = value as unknown as Record<string, unknown>;
  return typeof v.asResponse === 'function' && typeof v.withResponse === 'function' && v.then !== Promise.prototype.then;
}

/**
 * Follows an APIPromise the SDK's way, never changing what it does: its
 * `then` is called only when the caller's is (so `asResponse()` still finds
 * the body unread), once, and the span ends with the value it resolves to,
 * before the caller's continuation runs; `withResponse()` ends it with the
 * parsed data and notes the request id; `asResponse()` ends it when the
 * response arrives (the body is the caller's: no usage is known). `onValue`
 * ends the span with a resolved value, or follows it when it is a stream, and
 * returns what the caller gets. Everything else is the original's.
 */
export function followApiPromise(original: Promise<unknown>, span: Span, onValue: (value: unknown) => unknown): Promise<unknown> {
  const forward = forwardingGet(original);
  const failed = (error: unknown): never => {
    span.end({ type: 'error', error });
    throw error;
  };
  // The same resolved value (the data of withResponse() and of then) is followed once.
  let seen: { value: unknown; followed: unknown } | undefined;
  const follow = (value: unknown): unknown => {
    if (seen === undefined || seen.value !== value) seen = { value, followed: onValue(value) };
    return seen.followed;
  };
  let chained: Promise<unknown> | undefined;
  const chain = (): Promise<unknown> => (chained ??= (forward('then') as Fn)(follow, failed) as Promise<unknown>);
  const methods: Record<PropertyKey, Fn> = {
    then: (...args) => (chain().then as Fn).apply(chained, args),
    catch: (...args) => (chain().catch as Fn).apply(chained, args),
    finally: (...args) => (chain().finally as Fn).apply(chained, args),
    withResponse: () =>
      ((forward('withResponse') as Fn)() as Promise<Record<string, unknown>>).then((res) => {
        span.note?.({ requestId: typeof res.request_id === 'string' ? res.request_id : undefined });
        const data = follow(res.data);
        return data === res.data ? res : { ...res, data };
      }, failed),
    asResponse: () =>
      ((forward('asResponse') as Fn)() as Promise<Response>).then((response) => {
        span.note?.(fromHeaders(response));
        span.end({ type: 'ok', value: undefined });
        return response;
      }, failed),
  };
  return new Proxy(original, {
    get(_target, key) {
      return Object.prototype.hasOwnProperty.call(methods, key) ? methods[key] : forward(key);
    },
  });
}

/** The request id header, and the provider it names: OpenAI sends `x-request-id`, Anthropic `request-id`. */
function fromHeaders(response: Response): ModelReading {
  try {
    const openai = response.headers.get('x-request-id');
    if (openai) return { requestId: openai, provider: 'openai' };
    const anthropic = response.headers.get('request-id');
    return anthropic ? { requestId: anthropic, provider: 'anthropic' } : {};
  } catch {
    return {};
  }
}
