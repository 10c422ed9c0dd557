/**
 * The `get` of a Proxy that stands for `target`: the target's own value, its
 * methods bound to it (an SDK's class reads its `#private` fields through
 * `this`, which a Proxy does not have), each bound once so `p.m === p.m`.
 * `constructor` is the class itself, never a bound copy, so
 * `p.constructor === SdkClass` and `new p.constructor(...)` behave as without
 * the Proxy.
 */
export function forwardingGet(target: object): (key: PropertyKey) => unknown {
  let bound: Map<(...args: unknown[]) => unknown, unknown> | undefined;
  return (key) => {
    const value: unknown = Reflect.get(target, key, target);
    if (typeof value !== 'function' || key === 'constructor') return value;
    const fn = value as (...args: unknown[]) => unknown;
    bound ??= new Map();
    let b = bound.get(fn);
    if (b === undefined) {
      b = fn.bind(target);
      bound.set(fn, b);
    }
    return b;
  };
}
