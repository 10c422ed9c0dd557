import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AgentContextInterceptor } from './agent-context.interceptor';
import { AGENT_LOGGING_OPTIONS, type AgentLoggingModuleExtras, type AgentLoggingModuleOptions } from './agent-logging.options';

/**
 * `forRoot` / `forRootAsync` come from Nest's own builder. The module is
 * global (one engine per process), and the interceptor is registered for
 * every handler unless `globalInterceptor: false`.
 */
export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<AgentLoggingModuleOptions>({
  moduleName: 'AgentLogging',
  optionsInjectionToken: AGENT_LOGGING_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<AgentLoggingModuleExtras>({ globalInterceptor: true }, (definition, extras) => ({
    ...definition,
    global: true,
    providers: [
      ...(definition.providers ?? []),
      ...(extras.globalInterceptor ? [{ provide: APP_INTERCEPTOR, useExisting: AgentContextInterceptor }] : []),
    ],
  }))
  .build();
