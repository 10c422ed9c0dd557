import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AgentLoggingModule, agentLogMixin } from 'nestjs-agent-logging';
import { AgentController } from './agent.controller.js';
import { ScriptedModel } from './scripted-model.js';
import { SupportAgent } from './support.agent.js';
import { OrderTools } from './order.tools.js';

/**
 * The app as a user configures it: nestjs-pino writing to a file of its own,
 * with `base` fields and the mixin, and the agent logging module beside it.
 * Every event must land in that file, with those fields, in order with the
 * app's own lines.
 */
@Module({})
export class AppModule {
  static forLogFile(logFile: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [{ base: { service: 'stack-app' }, level: 'info', mixin: agentLogMixin }, pino.destination({ dest: logFile, sync: true })],
        }),
        AgentLoggingModule.forRoot({ maxSteps: 10, userId: (req) => (req as { user?: { id?: string } }).user?.id }),
      ],
      controllers: [AgentController],
      providers: [SupportAgent, ScriptedModel, OrderTools],
    };
  }
}
