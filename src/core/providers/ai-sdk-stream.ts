/**
 * The AI SDK's `streamText` result is neither a Promise nor an iterable: its
 * `totalUsage`, `finishReason`, `steps`, `text` are getters that start
 * consuming the stream (`consumeStream()`) when read. What settles without
 * consuming anything are its own result holders, `_totalUsage` and
 * `_finishReason` (the SDK's `DelayedPromise`), resolved when whoever reads
 * the stream reaches its end, rejected when the stream fails or the reader
 * cancels it. Their `promise` accessor only makes the Promise they resolve
 * (the SDK makes it itself for its telemetry); it starts and reads nothing.
 * A result never read never completes, as an iterator never iterated.
 */
export function streamTextCompletion(value: object): Promise<unknown> | undefined {
  const usage = holder(value, '_totalUsage');
  const finish = holder(value, '_finishReason');
  if (!usage || !finish) return undefined;
  return Promise.all([usage.promise, finish.promise]).then(([totalUsage, finishReason]) => ({ totalUsage, finishReason }));
}

interface Holder {
  readonly promise: Promise<unknown>;
}

/** An own data field holding an object with a `status` field and a `promise` accessor: the SDK's DelayedPromise. */
function holder(value: object, key: string): Holder | undefined {
  const field = Object.getOwnPropertyDescriptor(value, key);
  const held: unknown = field && 'value' in field ? field.value : undefined;
  if (held === null || typeof held !== 'object' || !('status' in held)) return undefined;
  const proto = Object.getPrototypeOf(held) as object | null;
  const accessor = proto && Object.getOwnPropertyDescriptor(proto, 'promise');
  return accessor && typeof accessor.get === 'function' ? (held as unknown as Holder) : undefined;
}
