import { instrument } from './instrument.js';
import type { Spec } from './specs.js';

type Fn = (...args: never[]) => unknown;

interface MetadataApi {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

/**
 * Replaces `fn` by a wrapper that instruments every call, and that is the same
 * function to everything that inspects it: same `name` and `length` (route
 * argument and Swagger lookups use them) and every reflect-metadata key
 * already on it. Dropping those keys is a security bug, not cosmetics: a roles
 * guard reading metadata from the handler would silently stop guarding.
 * Keys defined after wrapping land on the wrapper itself.
 */
export function wrapFunction<F extends Fn>(fn: F, spec: Spec): F {
  const wrapper = {
    // Method syntax: like the original method, not constructible, no prototype.
    wrapped(this: unknown, ...args: unknown[]): unknown {
      return instrument(spec, fn, this, args);
    },
  }.wrapped;
  Object.defineProperty(wrapper, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: fn.length, configurable: true });
  copyMetadata(fn, wrapper);
  return wrapper as unknown as F;
}

function copyMetadata(from: object, to: object): void {
  const api = Reflect as unknown as Partial<MetadataApi>;
  if (typeof api.getOwnMetadataKeys !== 'function' || !api.getOwnMetadata || !api.defineMetadata) return;
  for (const key of api.getOwnMetadataKeys(from)) {
    api.defineMetadata(key, api.getOwnMetadata(key, from), to);
  }
}
