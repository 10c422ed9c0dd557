import type { ModulesContainer } from '@nestjs/core';
import type { Engine } from '../core/engine.js';

type Wrapper = {
  readonly instance?: unknown;
  readonly isTransient?: boolean;
  isDependencyTreeStatic?(): boolean;
  getStaticTransientInstances?(): ({ instance?: unknown } | undefined)[];
};

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * Tells the engine which objects are its application's: every provider,
 * controller and enhancer instance Nest built for it (the static ones, and
 * the transient copies made for them). A run started by a method of one of
 * them belongs to this application, whichever application in the process was
 * started last. Request-scoped instances, made per request later, are found
 * through the request instead (the interceptor binds this app's engine).
 */
export function ownAppObjects(modules: ModulesContainer, engine: Engine): void {
  for (const module of modules.values()) {
    for (const wrappers of [module.providers, module.controllers, module.injectables]) {
      for (const wrapper of wrappers.values() as IterableIterator<Wrapper>) {
        try {
          if (wrapper.isTransient) {
            for (const copy of wrapper.getStaticTransientInstances?.() ?? []) if (isObject(copy?.instance)) engine.own(copy.instance);
          } else if (wrapper.isDependencyTreeStatic?.() !== false && isObject(wrapper.instance)) {
            engine.own(wrapper.instance);
          }
        } catch {
          // a wrapper we cannot read: its runs fall back to the request's or the installed engine
        }
      }
    }
  }
}
