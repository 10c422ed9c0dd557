import type { ModulesContainer } from '@nestjs/core';
import pino, { type Logger } from 'pino';
import type { AgentLoggingModuleOptions } from './agent-logging.options.js';

/**
 * Events are written through the very pino logger the application configured,
 * found in the application's own dependency-injection container rather than by
 * loading nestjs-pino ourselves.
 *
 * Why not `require('nestjs-pino')`: nestjs-pino 5 ships a CommonJS and an ESM
 * build, and keeps its root logger in module scope, one per build. An ESM app
 * (NestJS 12) configures the ESM build; a `require` from this package would
 * reach the CommonJS one, whose root logger is never set, and every event
 * would go to a side logger on stdout. The container holds the classes the app
 * really loaded, whichever build they came from.
 *
 * nestjs-pino's `LoggerModule` is recognised by its parameters provider, whose
 * token is the string `'pino-params'` (its exported `PARAMS_PROVIDER_TOKEN`,
 * the same in both builds); its `PinoLogger` class sits beside it, and
 * `PinoLogger.root` is the application's root logger once nestjs-pino built
 * it. With `useExisting` there is no `PinoLogger.root`: the logger nestjs-pino
 * itself uses outside a request is read from its `Logger` provider at
 * bootstrap instead (outside any request, so no request-bound child with its
 * headers is ever taken).
 */
const PARAMS_TOKEN = 'pino-params';

type Obj = Record<string, unknown>;
const isLogger = (v: unknown): v is Logger =>
  typeof v === 'object' && v !== null && typeof (v as Obj).info === 'function' && typeof (v as Obj).child === 'function';

interface NestjsPinoFound {
  PinoLogger: { root?: unknown };
  /** nestjs-pino's `Logger` provider, whose `logger` is a `PinoLogger`. */
  loggerProvider?: Obj;
}

function findNestjsPino(modules: ModulesContainer): NestjsPinoFound | undefined {
  for (const module of modules.values()) {
    const providers = module.providers;
    if (!providers.has(PARAMS_TOKEN)) continue;
    for (const wrapper of providers.values()) {
      const type = wrapper.metatype as unknown as (abstract new (...args: never[]) => object) & { root?: unknown };
      if (typeof type !== 'function' || type.name !== 'PinoLogger') continue;
      let loggerProvider: Obj | undefined;
      for (const other of providers.values()) {
        const instance = other.isTransient ? undefined : (other.instance as unknown);
        if (typeof instance === 'object' && instance !== null && (instance as Obj).logger instanceof type) {
          loggerProvider = instance as Obj;
          break;
        }
      }
      return { PinoLogger: type, loggerProvider };
    }
  }
  return undefined;
}

let fallback: Logger | undefined;
/** A pino logger to stdout, for applications without nestjs-pino: one per process, made on first use. */
const stdoutLogger = (): Logger => (fallback ??= pino());

/** How events reach the application's logger; `settle` is called once the app is bootstrapped. */
export interface AppLoggerLink {
  get(): Logger;
  /** Looks once more, outside any request, and warns once if LoggerModule is there but its logger is not. */
  settle(): void;
}

/**
 * In order: the `logger` option; nestjs-pino's root logger when LoggerModule
 * is imported; a pino logger to stdout. Looked up on each run until found:
 * nestjs-pino builds its root logger when its first provider is built, which
 * may come after ours.
 */
export function linkAppLogger(options: AgentLoggingModuleOptions, modules: ModulesContainer | undefined): AppLoggerLink {
  if (options.logger) {
    const logger = options.logger;
    return { get: () => logger, settle: () => undefined };
  }
  let found: Logger | undefined;
  let nestjsPino: NestjsPinoFound | undefined;
  let warned = false;
  const look = (): Logger | undefined => {
    if (found) return found;
    if (!modules) return undefined;
    nestjsPino ??= findNestjsPino(modules);
    const root = nestjsPino?.PinoLogger.root;
    if (isLogger(root)) found = root;
    return found;
  };
  return {
    get: () => look() ?? stdoutLogger(),
    settle() {
      if (look() || !modules) return;
      const pinoLogger = nestjsPino?.loggerProvider?.logger as Obj | undefined;
      const outside = pinoLogger?.logger;
      if (isLogger(outside)) {
        found = outside;
        return;
      }
      const imported = [...modules.values()].some((m) => m.providers.has(PARAMS_TOKEN));
      if (imported && !warned) {
        warned = true;
        process.emitWarning(
          'nestjs-agent-logging: LoggerModule (nestjs-pino) is imported but its logger could not be found in the application, so events go to stdout instead of its destination. ' +
            'Pass the logger explicitly: AgentLoggingModule.forRoot({ logger }) (README: Troubleshooting).',
          { code: 'AGENT_LOGGING_NO_APP_LOGGER' },
        );
      }
    },
  };
}
