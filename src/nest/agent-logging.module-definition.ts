import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AgentContextInterceptor } from './agent-context.interceptor.js';
import { AGENT_LOGGING_OPTIONS, type AgentLoggingModuleExtras, type AgentLoggingModuleOptions } from './agent-logging.options.js';
import { validateAsyncOptionKeys, validateExtras, validateOptionsShape } from './validate-options.js';

/**
 * `forRoot` / `forRootAsync` come from Nest's own builder. The module is
 * global (one engine per application), and the interceptor is registered for
 * every handler unless `globalInterceptor: false`. The options are exported:
 * Nest builds an interceptor named in `@UseInterceptors` inside the module
 * that uses it, and that copy must read the same `requestIdHeader`, `userId`
 * and `pseudonymizeUserId` as the global one.
 */
const { ConfigurableModuleClass: BuiltModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<AgentLoggingModuleOptions>({
  moduleName: 'AgentLogging',
  optionsInjectionToken: AGENT_LOGGING_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<AgentLoggingModuleExtras>({ globalInterceptor: true }, (definition, extras) => ({
    ...definition,
    global: true,
    exports: [...(definition.exports ?? []), AGENT_LOGGING_OPTIONS],
    providers: [
      ...(definition.providers ?? []),
      ...(validateExtras(extras).globalInterceptor !== false ? [{ provide: APP_INTERCEPTOR, useExisting: AgentContextInterceptor }] : []),
    ],
  }))
  .build();

/**
 * Nest's builder spreads `forRoot`'s argument (a string would become
 * `{ 0: ... }`), and treats every key of `forRootAsync`'s argument it does not
 * know as an extra and drops it, so `forRootAsync({ maxSteps: 5, useFactory })`
 * would lose `maxSteps` without a word: both are refused when the module is defined.
 */
export class ConfigurableModuleClass extends BuiltModuleClass {
  static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    validateOptionsShape(options);
    return super.forRoot(options);
  }

  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    validateAsyncOptionKeys(options);
    return super.forRootAsync(options);
  }
}

export { OPTIONS_TYPE, ASYNC_OPTIONS_TYPE };
