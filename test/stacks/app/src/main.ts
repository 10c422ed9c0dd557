import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';

/** The app as a process: PLATFORM (express | fastify), PORT, LOG_FILE. */
async function bootstrap() {
  const module = AppModule.forLogFile(process.env.LOG_FILE ?? 'app.log');
  const app =
    process.env.PLATFORM === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { bufferLogs: true })
      : await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.stdout.write(`listening on ${await app.getUrl()}\n`);
}
void bootstrap();
