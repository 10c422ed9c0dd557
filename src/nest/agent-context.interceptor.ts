import { Inject, Injectable, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { Engine } from '../core/engine.js';
import { runInRequestScope } from '../core/run-context.js';
import { AGENT_LOGGING_ENGINE, type InstalledEngine } from './agent-logging.engine.js';
import { AGENT_LOGGING_OPTIONS, type AgentLoggingModuleOptions } from './agent-logging.options.js';
import { createRequestScopeReader } from './request-scope.reader.js';
import { createRunIdHeader } from './run-id-header.js';

/**
 * Binds request_id, user_id and the inbound trace into the run context for
 * HTTP, RPC and WebSocket handlers, so runs started inside inherit them.
 * Registered globally by `AgentLoggingModule`; global interceptors do not
 * reach WebSocket gateways, so use `@UseInterceptors(AgentContextInterceptor)`
 * there.
 *
 * The context is entered when the handler's Observable is subscribed, not
 * when it is created, so it covers the handler and everything its stream does,
 * and never leaks from one request into the next. It carries this
 * application's engine, so a run started by code no application owns (a
 * `withAgentRun` function) while serving the request is this app's.
 *
 * On HTTP it also puts the id of each run the handler starts on the response
 * (`x-agent-run-id`, the `runIdHeader` option), so a failure a customer sees
 * can be quoted and found with `agent-log show <run_id>`.
 */
@Injectable()
export class AgentContextInterceptor implements NestInterceptor {
  private readonly read: ReturnType<typeof createRequestScopeReader>;
  private readonly runIdHeader: ReturnType<typeof createRunIdHeader>;
  private readonly engine?: Engine;

  constructor(
    @Optional() @Inject(AGENT_LOGGING_OPTIONS) options?: AgentLoggingModuleOptions,
    @Optional() @Inject(AGENT_LOGGING_ENGINE) installed?: InstalledEngine,
  ) {
    this.read = createRequestScopeReader(options ?? {});
    this.runIdHeader = createRunIdHeader(options?.runIdHeader);
    this.engine = installed?.engine;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const read = this.read(context);
    const onRunStarted = this.runIdHeader?.(context);
    const scope = onRunStarted ? { ...read, onRunStarted } : read;
    const engine = this.engine;
    return new Observable((subscriber) => runInRequestScope(scope, () => next.handle().subscribe(subscriber), engine));
  }
}
