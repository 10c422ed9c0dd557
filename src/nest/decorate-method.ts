import { AgentLoggingConfigError } from '../core/errors.js';
import type { DeclaredReturn, Spec } from '../core/specs.js';
import { wrapFunction } from '../core/wrap-function.js';

const SPEC = Symbol.for('nestjs-agent-logging/spec');

/**
 * The shared body of `@AgentRun`, `@AgentTool` and `@AgentLlm`. The method is
 * wrapped when the decorator is applied, not later by an explorer: Nest reads
 * route, cron and event handlers at different bootstrap phases, and a late
 * wrap misses some of them. Misuse fails here, at class definition.
 */
export function decorateMethod(decorator: string, makeSpec: (defaultName: string) => Spec): MethodDecorator {
  return (target, key, descriptor) => {
    const where = `@${decorator} on ${typeof target === 'function' ? target.name : target.constructor.name}.${String(key)}`;
    if (typeof target === 'function') {
      throw new AgentLoggingConfigError(`${where}: static methods are not supported; decorate an instance method`);
    }
    if (!descriptor || typeof descriptor.value !== 'function') {
      const what = descriptor && (descriptor.get || descriptor.set) ? 'an accessor' : 'not a method';
      throw new AgentLoggingConfigError(`${where}: ${what}; decorate a method`);
    }
    const existing = (descriptor.value as unknown as Record<symbol, Spec | undefined>)[SPEC];
    if (existing) {
      throw new AgentLoggingConfigError(`${where}: the method is already decorated as a ${existing.kind}; use one agent decorator per method`);
    }
    const made = makeSpec(`${target.constructor.name}.${String(key)}`);
    const returns = declaredReturn(target, key);
    const spec: Spec = made.kind !== 'run' && returns ? { ...made, returns } : made;
    const wrapped = wrapFunction(descriptor.value as (...args: never[]) => unknown, spec);
    Object.defineProperty(wrapped, SPEC, { value: spec });
    descriptor.value = wrapped as typeof descriptor.value;
    return descriptor;
  };
}

/**
 * What TypeScript says the method returns (`emitDecoratorMetadata`), so the
 * step guard can refuse a step in that shape even when the method is not
 * `async`: `tool(): Promise<X> { return client.call() }` gets a rejection.
 */
function declaredReturn(target: object, key: string | symbol): DeclaredReturn | undefined {
  const getMetadata = (Reflect as { getMetadata?: (k: string, t: object, p: string | symbol) => unknown }).getMetadata;
  const type = getMetadata?.('design:returntype', target, key) as { prototype?: Record<string, unknown> } | undefined;
  if ((type as unknown) === Promise) return 'promise';
  const proto = type?.prototype;
  // rxjs's Observable, whichever copy of rxjs the app loads.
  if (proto && typeof proto.subscribe === 'function' && typeof proto.pipe === 'function') return 'observable';
  return undefined;
}
