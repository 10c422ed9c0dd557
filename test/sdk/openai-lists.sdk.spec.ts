import { withAgentRun, withAgentTool } from '../../src/core/agent-context';
import { tick } from '../support/engine-harness';
import { MODEL_LIST } from '../support/fake-provider';
import { OPENAI_MAJORS, useSdkHarness } from './support/sdk-harness';

/**
 * A list call of the real `openai` SDK (both majors): `client.models.list()`
 * returns a `PagePromise`, an APIPromise that is also read with `for await`
 * (auto-pagination), which awaits the SDK's own promise, not the caller's.
 */
describe.each(OPENAI_MAJORS)('%s: a paginated list (PagePromise)', (_major, makeClient) => {
  const h = useSdkHarness();
  const client = () => makeClient(h.provider);
  const ids = async (list: AsyncIterable<{ id: string }>) => {
    const out: string[] = [];
    for await (const model of list) out.push(model.id);
    return out;
  };

  it('returned by a tool and read with for await: the same items; the step ends ok with the iteration', async () => {
    const plain = await ids(client().models.list());
    const listModels = withAgentTool('list_models', () => client().models.list());
    const run = await h.inRun(async () => ids(listModels()));
    expect(plain).toEqual(MODEL_LIST);
    expect(run.value).toEqual(plain);
    const result = run.events.find((e) => e.event === 'tool_result');
    expect(result).toMatchObject({ tool: 'list_models', status: 'ok' });
    expect(run.finished).toMatchObject({ status: 'ok', stop_reason: 'completed', errors: 0 });
  });

  it('returned by a tool, awaited, then its page iterated: ok, with the page hashed as the result', async () => {
    const listModels = withAgentTool('list_models', () => client().models.list());
    const run = await h.inRun(async () => ids(await listModels()));
    expect(run.value).toEqual(MODEL_LIST);
    expect(run.events.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'ok', result_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('break out of the listing: the step is cancelled, as for any iteration abandoned', async () => {
    const listModels = withAgentTool('list_models', () => client().models.list());
    const run = await h.inRun(async () => {
      for await (const model of listModels()) if (model.id === MODEL_LIST[0]) break;
    });
    expect(run.events.find((e) => e.event === 'tool_result')).toMatchObject({ status: 'cancelled' });
  });

  it('returned by a run and read with for await by its caller: run_finished as soon as the iteration ends', async () => {
    h.capture.clear();
    const listing = withAgentRun('lister', () => client().models.list());
    expect(await ids(listing())).toEqual(MODEL_LIST);
    await tick();
    expect(h.capture.events.map((e) => [e.event, e.status])).toEqual([
      ['run_started', undefined],
      ['run_finished', 'ok'],
    ]);
  });
});
