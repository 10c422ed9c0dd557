import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One registry per process, not per copy of this package.
 *
 * An application can load this package twice (its ESM and CommonJS builds, or
 * two versions pulled in by different dependencies). Module-level state would
 * then split in two: a run started by one copy would be invisible to a tool
 * decorated by the other. As the OpenTelemetry API does, the state lives on
 * `globalThis` under a `Symbol.for` key, with a version so an incompatible copy
 * is refused instead of misread.
 */
const KEY = Symbol.for('nestjs-agent-logging/registry');
const VERSION = 1;

interface Registry<Frame, Engine> {
  version: number;
  storage: AsyncLocalStorage<Frame>;
  /** The installed engine: the one of the application started last and still open. */
  engine: Engine | undefined;
  /** Engines of applications started earlier and still open, restored in turn as later ones close. */
  earlier: Engine[];
  /** Which engine owns an object (a provider, a controller): runs its methods start are that engine's. */
  owners: WeakMap<object, Engine>;
  flags: { active: boolean };
  /** Integrations' readers of a framework's own context (see context-bridge.ts). */
  bridges: unknown[];
}

type Global = typeof globalThis & { [KEY]?: Registry<unknown, unknown> };

function ensureRegistry(): Registry<unknown, unknown> {
  const g = globalThis as Global;
  const existing = g[KEY];
  if (existing) {
    if (existing.version !== VERSION) {
      throw new Error(
        `nestjs-agent-logging: two incompatible copies are loaded (registry ${existing.version} and ${VERSION}); install one version`,
      );
    }
    // A copy of this version that predates a field adds it, rather than failing the boot.
    existing.earlier ??= [];
    existing.bridges ??= [];
    existing.owners ??= new WeakMap();
    return existing;
  }
  const created: Registry<unknown, unknown> = {
    version: VERSION,
    storage: new AsyncLocalStorage(),
    engine: undefined,
    earlier: [],
    owners: new WeakMap(),
    flags: { active: false },
    bridges: [],
  };
  Object.defineProperty(g, KEY, { value: created, enumerable: false, configurable: false, writable: false });
  return created;
}

export const registry = ensureRegistry();
