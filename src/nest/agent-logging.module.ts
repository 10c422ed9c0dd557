import { Inject, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Engine } from '../core/engine.js';
import { PriceTable } from '../core/pricing/price-table.js';
import { createPinoSink } from '../core/sink/pino-sink.js';
import { AgentContextInterceptor } from './agent-context.interceptor.js';
import { ConfigurableModuleClass, OPTIONS_TYPE } from './agent-logging.module-definition.js';
import { AGENT_LOGGING_OPTIONS, type AgentLoggingModuleOptions } from './agent-logging.options.js';
import { linkAppLogger, type AppLoggerLink } from './app-logger.js';
import { validateOptions } from './validate-options.js';

const AGENT_LOGGING_ENGINE = Symbol('AGENT_LOGGING_ENGINE');

/** The engine, and the link to the app's logger it writes through. */
interface Installed {
  engine: Engine;
  logger: AppLoggerLink;
}

/** Validates the options (failing the boot on a bad one) and installs the process's engine. */
function createEngine(raw: AgentLoggingModuleOptions, modules: ModulesContainer | undefined): Installed {
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
  return { engine, logger };
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

/**
 * The module: `AgentLoggingModule.forRoot({ maxSteps: 20 })` or
 * `forRootAsync({ imports, inject, useFactory })`. Global; one per process.
 *
 * @example
 * @Module({ imports: [LoggerModule.forRoot(), AgentLoggingModule.forRoot({ maxSteps: 20 })] })
 * export class AppModule {}
 */
@Module({
  providers: [
    { provide: AGENT_LOGGING_ENGINE, inject: [AGENT_LOGGING_OPTIONS, { token: ModulesContainer, optional: true }], useFactory: createEngine },
    AgentContextInterceptor,
  ],
  exports: [AgentContextInterceptor],
})
export class AgentLoggingModule extends ConfigurableModuleClass implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly engine: Engine;
  private readonly logger: AppLoggerLink;

  constructor(@Inject(AGENT_LOGGING_ENGINE) installed: Installed) {
    super();
    this.engine = installed.engine;
    this.logger = installed.logger;
  }

  /** Every provider is built: the app's logger is found now, or its absence reported once. */
  onApplicationBootstrap(): void {
    this.logger.settle();
  }

  /** Nest's builder requires an argument; every option here has a default. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Runs still in flight get their run_finished (`shutdown`), then the logger is flushed. */
  async beforeApplicationShutdown(): Promise<void> {
    this.engine.endAll('shutdown');
    await this.engine.flush();
  }

  /**
   * Flushed once more at the very end: lines the application wrote during
   * shutdown (its requests failing as their runs were ended) reach the log
   * too, before Nest re-raises the signal and the process dies unflushed.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.flush();
    this.engine.uninstall();
  }
}
