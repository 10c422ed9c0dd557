import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AgentLoggingModule, agentLogMixin } from 'nestjs-agent-logging';
import { ScriptedModelService } from './model/scripted-model.service.js';
import { SupportAgent } from './support/support.agent.js';
import { SupportController } from './support/support.controller.js';
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
    AgentLoggingModule.forRoot({
      maxSteps: 6,
      timeoutMs: 30_000,
      // In production, load this from your secret store: it makes every hash keyed.
      hashSecret: process.env.AGENT_LOG_HASH_SECRET,
    }),
  ],
  controllers: [SupportController],
  providers: [SupportAgent, ScriptedModelService, OrderTools, DocsTools, ToolRegistry],
})
export class AppModule {}
