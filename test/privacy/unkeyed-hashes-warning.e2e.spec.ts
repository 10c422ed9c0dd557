import { Test } from '@nestjs/testing';
import pino from 'pino';
import { AgentLoggingModule, type AgentLoggingModuleOptions } from 'nestjs-agent-logging';
import { LogCapture } from '../support/log-capture';

async function bootAndClose(options: AgentLoggingModuleOptions) {
  const moduleRef = await Test.createTestingModule({ imports: [AgentLoggingModule.forRoot({ logger: pino(new LogCapture()), ...options })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  await app.close();
}

describe('unkeyed hashes in production', () => {
  const env = process.env.NODE_ENV;
  let warnings: jest.SpyInstance;
  beforeEach(() => {
    warnings = jest.spyOn(process, 'emitWarning');
  });
  afterEach(() => {
    warnings.mockRestore();
    process.env.NODE_ENV = env;
  });
  const unkeyedWarnings = () =>
    warnings.mock.calls.filter(([, options]) => (options as { code?: string } | undefined)?.code === 'AGENT_LOGGING_UNKEYED_HASHES');

  it('are named once per process in production, never elsewhere, never when keyed', async () => {
    process.env.NODE_ENV = 'test';
    await bootAndClose({});
    process.env.NODE_ENV = 'production';
    await bootAndClose({ hashSecret: 'a-secret-of-sixteen-bytes-or-more' });
    expect(unkeyedWarnings()).toHaveLength(0);
    await bootAndClose({});
    await bootAndClose({});
    expect(unkeyedWarnings()).toHaveLength(1);
    expect(String(unkeyedWarnings()[0][0])).toMatch(/no hashSecret in production/);
  });
});
