import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import OpenAI from 'openai';
import { AppModule } from '../src/quickstart/app.module.js';
import { startFakeProvider, type FakeProvider } from './fake-provider/index.js';

/**
 * The README's Quick start module in the app's own test runner (Vitest for
 * NestJS 12, Jest with the README's `.js` mapper for NestJS 11), its OpenAI
 * client replaced the way the README's comment says: overrideProvider(OpenAI),
 * here with a real client pointed at the local fake provider.
 */
describe("the README's Quick start module in the app's test runner", () => {
  let provider: FakeProvider;
  let app: INestApplication;

  beforeAll(async () => {
    provider = await startFakeProvider();
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(OpenAI)
      .useValue(new OpenAI({ apiKey: 'test-key', baseURL: provider.openaiBaseURL, maxRetries: 0 }))
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    await app.close();
    await provider.close();
  }, 60_000);

  it('answers with the overridden client, and the run id comes back in its header', async () => {
    provider.script('openai.chat', { text: 'Within 30 days.' });
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const res = await fetch(`${url}/support/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Refunds?' }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ answer: 'Within 30 days.' });
    expect(res.headers.get('x-agent-run-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(provider.requests.at(-1)!.headers.authorization).toBe('Bearer test-key');
  }, 60_000);
});
