import type { ModulesContainer } from '@nestjs/core';
import { Engine } from '../core/engine.js';
import { PriceTable } from '../core/pricing/price-table.js';
import { createPinoSink } from '../core/sink/pino-sink.js';
import type { AgentLoggingModuleOptions } from './agent-logging.options.js';
import { linkAppLogger, type AppLoggerLink } from './app-logger.js';
import { validateOptions } from './validate-options.js';

/** Injection token of the application's engine (with its logger link). */
export const AGENT_LOGGING_ENGINE = Symbol('AGENT_LOGGING_ENGINE');

/** The engine, the link to the app's logger it writes through, and the app's modules. */
export interface InstalledEngine {
  engine: Engine;
  logger: AppLoggerLink;
  modules?: ModulesContainer;
}

/** Validates the options (failing the boot on a bad one) and installs the application's engine. */
export function createEngine(raw: AgentLoggingModuleOptions, modules: ModulesContainer | undefined): InstalledEngine {
  const options = validateOptions(raw);
  const logger = linkAppLogger(options, modules);
  const engine: Engine = new Engine({
    // A destination failing later (its 'error' event) is counted like a write that threw.
    sink: createPinoSink(logger.get, (err) => engine.dropped(err)),
    maxSteps: options.maxSteps,
    timeoutMs: options.timeoutMs,
    hashSecret: options.hashSecret,
    hashMaxBytes: options.hashMaxBytes,
    hashResults: options.hashResults,
    errorMessages: { mode: options.errorMessages, maxLength: options.errorMessageMaxLength, patterns: options.scrubPatterns },
    capture: options.capture,
    tokenUsage: options.tokenUsage,
    integrations: options.integrations,
    loopGuard: options.loopGuard,
    maxTokens: options.maxTokens,
    maxCostUsd: options.maxCostUsd,
    prices: options.prices && new PriceTable(options.prices),
  });
  // Installed as soon as it exists, so runs started during bootstrap are logged too.
  engine.install();
  if (options.hashSecret === undefined && process.env.NODE_ENV === 'production') warnUnkeyedHashes();
  return { engine, logger, modules };
}

let warnedUnkeyed = false;

/**
 * A plain SHA-256 of an email or an order number is reversed by hashing
 * guesses: in production, say so once, without failing a boot that may be
 * deliberate (hashes of free text are safe enough unkeyed).
 */
function warnUnkeyedHashes(): void {
  if (warnedUnkeyed) return;
  warnedUnkeyed = true;
  process.emitWarning('nestjs-agent-logging: no hashSecret in production; hashes of low-entropy values (emails, order numbers) can be reversed by guessing. Set hashSecret (README: Keyed hashing).', {
    code: 'AGENT_LOGGING_UNKEYED_HASHES',
  });
}
