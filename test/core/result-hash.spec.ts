import { of } from 'rxjs';
import { withAgentRun, withAgentTool } from 'nestjs-agent-logging';
import { installEngine, tick } from '../support/engine-harness';

describe('result_hash', () => {
  let harness: ReturnType<typeof installEngine>;
  beforeEach(() => {
    harness = installEngine();
  });
  afterEach(() => harness.uninstall());

  const resultOf = (tool: string) => harness.capture.events.find((e) => e.event === 'tool_result' && e.tool === tool)!;

  it('hashes a returned value, but not a void result nor a stream, whose items are not the result', async () => {
    const value = withAgentTool('value', async () => ({ ok: 1 }));
    const nothing = withAgentTool('nothing', async () => undefined);
    const stream = withAgentTool('stream', () => of(1, 2, 3));
    const run = withAgentRun('results', async () => {
      await value();
      await nothing();
      await new Promise<void>((resolve) => stream().subscribe({ complete: resolve }));
    });
    await run();
    await tick();
    expect(resultOf('value').result_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(resultOf('nothing')).not.toHaveProperty('result_hash');
    expect(resultOf('stream')).toMatchObject({ status: 'ok' });
    expect(resultOf('stream')).not.toHaveProperty('result_hash');
  });
});
