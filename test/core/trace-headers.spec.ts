import { runIdFromBaggage, traceScopeFrom, withRunBaggage } from '../../src/core/trace-headers';

const RUN = '01a233ff-2b65-7bd4-a337-9f481eadf730';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('the calling run in W3C baggage', () => {
  it('is read from its entry among others, with properties and spaces', () => {
    expect(runIdFromBaggage(`tenant=acme, agent_log.run_id = ${RUN};ttl=3 ,x=1`)).toBe(RUN);
    expect(runIdFromBaggage(`agent_log.run_id=${RUN}`)).toBe(RUN);
  });

  it('is ignored when malformed, not a UUID, oversized or not a string', () => {
    expect(runIdFromBaggage('agent_log.run_id=not-a-uuid')).toBeUndefined();
    expect(runIdFromBaggage(`agent_log.run_id=${RUN.toUpperCase()}`)).toBeUndefined();
    expect(runIdFromBaggage(`agent_log.run_id=${RUN}\ninjected`)).toBeUndefined();
    expect(runIdFromBaggage(`pad=${'x'.repeat(9000)},agent_log.run_id=${RUN}`)).toBeUndefined();
    expect(runIdFromBaggage(['agent_log.run_id=' + RUN])).toBeUndefined();
    expect(runIdFromBaggage('agent_log.run_idx=' + RUN)).toBeUndefined();
  });

  it('is written in place of an upstream entry, keeping the other entries', () => {
    expect(withRunBaggage(RUN, undefined)).toBe(`agent_log.run_id=${RUN}`);
    expect(withRunBaggage(RUN, `tenant=acme,agent_log.run_id=00000000-0000-7000-8000-000000000000;p=1`)).toBe(`tenant=acme,agent_log.run_id=${RUN}`);
  });

  it('merges several headers, each key once, the first header winning', () => {
    const caller = 'tenant=acme, plan=pro,,agent_log.run_id=00000000-0000-7000-8000-000000000000';
    const context = 'plan=free,region=eu;p=1';
    expect(withRunBaggage(RUN, caller, context)).toBe(`tenant=acme,plan=pro,region=eu;p=1,agent_log.run_id=${RUN}`);
    expect(withRunBaggage(RUN, undefined, context, '')).toBe(`plan=free,region=eu;p=1,agent_log.run_id=${RUN}`);
  });

  it('comes with the trace from a carrier whose getter may throw', () => {
    const headers: Record<string, string> = { traceparent: `00-${TRACE}-00f067aa0ba902b7-00`, baggage: `agent_log.run_id=${RUN}` };
    expect(traceScopeFrom((n) => headers[n])).toEqual({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7', traceFlags: '00', parentRunId: RUN });
    expect(
      traceScopeFrom(() => {
        throw new Error('hostile getter');
      }),
    ).toEqual({});
  });
});
