import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Writable } from 'node:stream';
import { Logger, LoggerModule } from 'nestjs-pino';
import request from 'supertest';
import { AgentLoggingModule, droppedEventCount } from 'nestjs-agent-logging';
import { supportAgentMetadata } from '../e2e/fixtures/support-agent.fixture';

/** The application's own destination, which starts failing (a full disk) once the app is up. */
class FillingDisk extends Writable {
  full = false;
  lines = 0;

  override _write(_chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.full) return done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    this.lines += 1;
    done();
  }
}

// Here the destination is nestjs-pino's, not ours: a stream emitting 'error'
// with no listener would crash the process (pino attaches none), and the
// first write to fail may well be one of our events.
describe("nestjs-pino's destination fails under the app", () => {
  it('the app keeps answering, every event of ours is counted, nothing crashes', async () => {
    const disk = new FillingDisk();
    @Module({
      imports: [LoggerModule.forRoot({ pinoHttp: [{ autoLogging: false }, disk] }), AgentLoggingModule.forRoot()],
      ...supportAgentMetadata,
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.listen(0, '127.0.0.1');
    try {
      const ok = await request(app.getHttpServer()).post('/ask').send({ question: 'where is my order?' });
      expect(ok.status).toBe(201);
      expect(disk.lines).toBeGreaterThan(7); // events and the app's own lines were written while there was room
      expect(droppedEventCount()).toBe(0);

      disk.full = true;
      for (let i = 0; i < 3; i++) {
        const res = await request(app.getHttpServer()).post('/ask').send({ question: 'where is my order?' });
        expect(res.status).toBe(201);
        expect(res.body.answer).toBe('Your order has shipped.');
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(droppedEventCount()).toBe(3 * 7);
    } finally {
      await app.close();
    }
  });
});
