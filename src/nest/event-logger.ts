import pino, { type Logger } from 'pino';
import type { AgentLoggingModuleOptions } from './agent-logging.options';

type NestjsPino = { PinoLogger: { root?: Logger } };

function loadNestjsPino(): NestjsPino | undefined {
  try {
    // An optional peer: an application without nestjs-pino gets a plain pino logger.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('nestjs-pino') as NestjsPino;
  } catch {
    return undefined;
  }
}

let fallback: Logger | undefined;

/**
 * Which pino logger events are written through, decided on each run rather
 * than once at boot: nestjs-pino creates its root logger (`PinoLogger.root`,
 * one per process) when its first provider is built, which may come after
 * ours. In order: the `logger` option; nestjs-pino's root logger when
 * LoggerModule is imported; a pino logger to stdout, made once.
 */
export function eventLoggerResolver(options: AgentLoggingModuleOptions): () => Logger {
  if (options.logger) {
    const logger = options.logger;
    return () => logger;
  }
  const nestjsPino = loadNestjsPino();
  return () => nestjsPino?.PinoLogger.root ?? (fallback ??= pino());
}
