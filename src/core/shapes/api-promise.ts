import type { Span } from '../outcome.js';
import type { Frame } from '../run-context.js';
import { followIteration } from './async-iterator.js';
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
 * returns what the caller gets. A paginated list's `for await` (a
 * `PagePromise`) is followed like any async iterable: the span ends with the
 * iteration. Everything else is the original's.
 */
export function followApiPromise(original: Promise<unknown>, span: Span, frame: Frame, onValue: (value: unknown) => unknown): Promise<unknown> {
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
    withResponse: () => ((forward('withResponse') as Fn)() as Promise<ResponseEnvelope>).then((res) => followEnvelope(res, span, follow), failed),
    asResponse: () =>
      ((forward('asResponse') as Fn)() as Promise<Response>).then((response) => {
        span.note?.({ requestId: requestIdHeader(response) });
        span.end({ type: 'ok', value: undefined });
        return response;
      }, failed),
  };
  // A `PagePromise` (a list call) is also read with `for await`, which awaits the original itself: the iteration is followed.
  if (typeof forward(Symbol.asyncIterator) === 'function') {
    methods[Symbol.asyncIterator] = followIteration(() => (forward(Symbol.asyncIterator) as () => AsyncIterator<unknown>)(), span, frame);
  }
  return new Proxy(original, {
    get(_target, key) {
      return Object.prototype.hasOwnProperty.call(methods, key) ? methods[key] : forward(key);
    },
  });
}

/**
 * The request id of a raw response, from the header the OpenAI SDK reads
 * (`x-request-id`) or the Anthropic SDK's (`request-id`). No provider is
 * claimed: a header name does not say which SDK or server answered, and the
 * body that would say is the caller's.
 */
function requestIdHeader(response: Response): string | undefined {
  try {
    return response.headers.get('x-request-id') ?? response.headers.get('request-id') ?? undefined;
  } catch {
    return undefined;
  }
}

/** What `withResponse()` resolves to in the OpenAI and Anthropic SDKs (Anthropic adds `workspace_id`). */
export interface ResponseEnvelope {
  data: unknown;
  response: object;
  request_id?: string | null;
}

/**
 * A `withResponse()` result a method returned (`{ data, response,
 * request_id }`): told apart by those own data properties, no getter read.
 */
export function isResponseEnvelope(value: object): value is ResponseEnvelope {
  try {
    const data = Object.getOwnPropertyDescriptor(value, 'data');
    const response = Object.getOwnPropertyDescriptor(value, 'response')?.value as unknown;
    const requestId = Object.getOwnPropertyDescriptor(value, 'request_id');
    return data !== undefined && 'value' in data && typeof response === 'object' && response !== null
      && requestId !== undefined && 'value' in requestId && (typeof requestId.value === 'string' || requestId.value == null);
  } catch {
    return false; // a Proxy whose traps throw is no envelope
  }
}

/**
 * Notes the envelope's request id and follows its data (`follow`: the end of
 * the span, or a stream followed). The caller gets the very envelope, or,
 * when the data is followed through a Proxy, a copy of it holding that Proxy.
 */
export function followEnvelope(res: ResponseEnvelope, span: Span, follow: (data: unknown) => unknown): ResponseEnvelope {
  span.note?.({ requestId: typeof res.request_id === 'string' ? res.request_id : undefined });
  const data = follow(res.data);
  return data === res.data ? res : { ...res, data };
}
