import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger, LoggerModule } from 'nestjs-pino';
import { AgentLoggingModule, agentLogMixin, type AgentLoggingModuleOptions } from 'nestjs-agent-logging';
import { LogCapture } from './log-capture';

/**
 * nestjs-pino keeps one root logger per process, built by whichever
 * LoggerModule comes first, so every app in a test file shares one capture.
 */
export const capture = new LogCapture();

export interface BootOptions {
  agentLogging?: AgentLoggingModuleOptions & { globalInterceptor?: boolean };
  metadata?: ModuleMetadata;
  /** The HTTP platform: Express (Nest's default) or Fastify. */
  platform?: 'express' | 'fastify';
}

/** Boots a real Nest HTTP app with nestjs-pino writing into `capture`, listening on an ephemeral port. */
export async function bootApp({ agentLogging = {}, metadata = {}, platform = 'express' }: BootOptions): Promise<INestApplication> {
  @Module({
    imports: [
      LoggerModule.forRoot({ pinoHttp: [{ level: 'info', mixin: agentLogMixin, autoLogging: true }, capture] }),
      AgentLoggingModule.forRoot(agentLogging),
      ...(metadata.imports ?? []),
    ],
    controllers: metadata.controllers ?? [],
    providers: metadata.providers ?? [],
  })
  class TestAppModule {}

  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app =
    platform === 'fastify'
      ? // Loaded only for the tests that ask for it: Fastify is not small.
        moduleRef.createNestApplication(new (require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify')).FastifyAdapter(), { bufferLogs: true })
      : moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Waits until the microtask queue and pending timers of a just-finished request have run. */
export const settleLogs = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Boots one app for the enclosing describe block (closed after it) and hands back a getter for it. */
export function useApp(options: BootOptions): () => INestApplication {
  let app: INestApplication;
  beforeAll(async () => {
    app = await bootApp(options);
  });
  afterAll(() => app.close());
  return () => app;
}
