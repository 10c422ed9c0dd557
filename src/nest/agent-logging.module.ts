import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { AgentContextInterceptor } from './agent-context.interceptor.js';
import { AGENT_LOGGING_ENGINE, createEngine, type InstalledEngine } from './agent-logging.engine.js';
import { ConfigurableModuleClass, OPTIONS_TYPE } from './agent-logging.module-definition.js';
import { AGENT_LOGGING_OPTIONS } from './agent-logging.options.js';
import { ownAppObjects } from './own-app-objects.js';

/**
 * The module: `AgentLoggingModule.forRoot({ maxSteps: 20 })` or
 * `forRootAsync({ imports, inject, useFactory })`. Global; one per application.
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
  // The engine too: an interceptor named in `@UseInterceptors` is built inside the module that uses it.
  exports: [AgentContextInterceptor, AGENT_LOGGING_ENGINE],
})
export class AgentLoggingModule
  extends ConfigurableModuleClass
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(@Inject(AGENT_LOGGING_ENGINE) private readonly installed: InstalledEngine) {
    super();
  }

  /**
   * Every provider and controller of the application exists now: each is told
   * to belong to this application's engine, so its runs are this app's even
   * when another app in the process was started later.
   */
  onModuleInit(): void {
    if (this.installed.modules) ownAppObjects(this.installed.modules, this.installed.engine);
  }

  /** Every provider is built: the app's logger is found now, or its absence reported once. */
  onApplicationBootstrap(): void {
    this.installed.logger.settle();
  }

  /** Nest's builder requires an argument; every option here has a default. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * Runs still in flight get their run_finished (`shutdown`) and their signal
   * is aborted, so the work they wait on stops; then the logger is flushed.
   * Runs may still start while the app drains (a request already accepted, a
   * timer or an event no hook stops): they are logged as usual.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const engine = this.installed.engine;
    engine.endAll('shutdown');
    await engine.flush();
  }

  /**
   * The engine closes: runs started from now on are not logged, those started
   * while the app drained and still in flight end with `shutdown`; then it is
   * flushed once more (lines the application wrote during shutdown reach the
   * log too) before Nest re-raises the signal. Both flushes share one bound.
   */
  async onApplicationShutdown(): Promise<void> {
    const engine = this.installed.engine;
    engine.close();
    await engine.flush();
    engine.uninstall();
  }
}
