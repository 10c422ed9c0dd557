import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AgentLoggingModule, agentLogMixin } from 'nestjs-agent-logging';
import { prometheusMetrics } from 'nestjs-agent-logging/prometheus';
import { OrderDeskAgent } from './ai-sdk-agent/order-desk.agent.js';
import { OrderDeskController } from './ai-sdk-agent/order-desk.controller.js';
import { ScriptedModelService } from './model/scripted-model.service.js';
import { SupportAgent } from './support/support.agent.js';
import { SupportController } from './support/support.controller.js';
import { RunIdInErrorBody } from './errors/run-id-in-error-body.filter.js';
import { DocsTools } from './tools/docs.tools.js';
import { OrderTools } from './tools/order.tools.js';
import { ToolRegistry } from './tools/tool-registry.js';

/** Where the app's logs go: a file when AGENT_LOG_FILE is set (the demo), else stdout. */
const destination = process.env.AGENT_LOG_FILE
  ? pino.destination({ dest: process.env.AGENT_LOG_FILE, sync: false, mkdir: true })
  : pino.destination(1);

@Module({
  imports: [
    LoggerModule.forRoot({
      pinoHttp: [
        // pino-http's own request lines carry the headers: keep credentials out of them (events never have them).
        { level: 'info', mixin: agentLogMixin, redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'] },
        destination,
      ],
    }),
    // GET /metrics: prom-client's registry, where prometheusMetrics() counts runs, steps, tokens and loops.
    PrometheusModule.register(),
    AgentLoggingModule.forRoot({
      maxSteps: 6,
      timeoutMs: 30_000,
      // The same tool call three times in a row: a loop_detected warning (the run goes on).
      loopGuard: true,
      // In production, load this from your secret store: it makes every hash keyed.
      hashSecret: process.env.AGENT_LOG_HASH_SECRET,
      integrations: [prometheusMetrics()],
    }),
  ],
  controllers: [SupportController, OrderDeskController],
  providers: [
    SupportAgent, ScriptedModelService, OrderTools, DocsTools, ToolRegistry, OrderDeskAgent,
    // The run id in every error body, for the customer to quote.
    { provide: APP_FILTER, useClass: RunIdInErrorBody },
  ],
})
export class AppModule {}
