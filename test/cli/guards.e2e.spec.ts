import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { bootApp, capture, settleLogs } from '../support/boot';
import type { LogLine } from '../support/log-capture';
import { guardedAgentsMetadata, guardedModuleOptions } from './fixtures/guarded-agents.fixture';
import { cliJson, runCli } from './support/produce-log';

type Agent = 'researcher' | 'stuck' | 'spender' | 'frugal' | 'costly';
const AGENTS: Agent[] = ['researcher', 'stuck', 'spender', 'frugal', 'costly'];

let dir: string;
let file: string;
let events: LogLine[];
const runIds = {} as Record<Agent, string>;

/** A real app with the loop guard and budgets on runs each guarded agent once; its log goes to a file. */
beforeAll(async () => {
  const app = await bootApp({ agentLogging: guardedModuleOptions, metadata: guardedAgentsMetadata });
  try {
    for (const agent of AGENTS) await request(app.getHttpServer()).post(`/guarded/${agent}`).expect(201);
    await settleLogs();
  } finally {
    await app.close();
  }
  events = capture.events;
  for (const agent of AGENTS) runIds[agent] = events.find((e) => e.event === 'run_started' && e.agent === agent)!.run_id as string;
  dir = mkdtempSync(join(tmpdir(), 'agent-log-guards-'));
  file = join(dir, 'app.ndjson');
  writeFileSync(file, capture.raw);
});
afterAll(() => process.env.KEEP_GUARD_LOG ? undefined : rmSync(dir, { recursive: true, force: true }));

const finishedOf = (agent: Agent) => events.find((e) => e.event === 'run_finished' && e.run_id === runIds[agent])!;
const loopsOf = (agent: Agent) => events.filter((e) => e.event === 'loop_detected' && e.run_id === runIds[agent]);

interface RunRow {
  run_id: string;
  stop_reason: string;
  loops?: { count: number; tool: string; refused: boolean };
  budget?: { limit: string; budget: number; spent: number };
}

describe('agent-log on the guards: loops and budget stops', () => {
  it('wrote what the guards did: a warned loop, a refused one, three budget stops', () => {
    expect(AGENTS.map((a) => [a, finishedOf(a).status, finishedOf(a).stop_reason])).toEqual([
      ['researcher', 'ok', 'completed'], ['stuck', 'error', 'loop_detected'], ['spender', 'error', 'budget_exceeded'],
      ['frugal', 'ok', 'budget_exceeded'], ['costly', 'error', 'budget_exceeded'],
    ]);
    expect(loopsOf('researcher').map((e) => e.action)).toEqual(['warned']);
    expect(loopsOf('stuck').map((e) => e.action)).toEqual(['warned', 'refused']);
  });

  it('show: the step that completed the loop marked, the loop listed, the stop sentence naming it', () => {
    const warned = loopsOf('researcher')[0];
    const text = runCli(['show', runIds.researcher, file]).stdout;
    expect(text).toContain(
      `completed after ${finishedOf('researcher').total_steps as number} steps; the loop guard saw tool \`search_docs\` called again with the same arguments (${warned.repeats as number} identical calls in a row, warned)`,
    );
    expect(text).toMatch(new RegExp(`\\n\\s*${warned.step_index as number} tool search_docs ⟳ `));
    expect(text).toContain(`⟳ step ${warned.step_index as number} tool search_docs (run ${runIds.researcher.slice(0, 13)}): 3 identical calls in a row, warned`);

    const refused = loopsOf('stuck')[1];
    const stuck = runCli(['show', runIds.stuck, file]).stdout;
    expect(stuck).toContain(
      `stopped: the loop guard refused tool \`search_docs\` called again with the same arguments (${refused.repeats as number} identical calls in a row, refused) after ${finishedOf('stuck').total_steps as number} steps`,
    );
    expect(stuck).toContain(`⟳ a refused call (no step), tool search_docs (run ${runIds.stuck.slice(0, 13)}): ${refused.repeats as number} identical calls in a row, refused`);
    const json = cliJson<{ run: { notices: { event: string; action: string; tool: string }[] } }>(['show', runIds.stuck, file]);
    expect(json.run.notices.map((n) => [n.event, n.action, n.tool])).toEqual([['loop_detected', 'warned', 'search_docs'], ['loop_detected', 'refused', 'search_docs']]);
  });

  it('run_finished says which limit stopped the run, and what was spent of it, also when the body caught the refusal', () => {
    expect(finishedOf('spender').limit).toEqual({ name: 'maxTokens', value: 200, spent: 240 });
    expect(finishedOf('costly').limit).toEqual({ name: 'maxCostUsd', value: 0.0005, spent: expect.closeTo(0.0009, 10) });
    expect(finishedOf('frugal')).toMatchObject({ status: 'ok', limit: { name: 'maxTokens', value: 200, spent: 240 } });
    expect(finishedOf('stuck').limit).toBeUndefined(); // the loop guard's loop_detected events say it all
    expect(finishedOf('researcher').limit).toBeUndefined();
    // The error's message gives dollars as they were set, never rounded to $0.0000.
    expect(finishedOf('costly').error_message).toContain('of its maxCostUsd of $0.0005');
  });

  it('show: a budget stop says which limit it spent, from run_finished; from the error in a log without it; else what the run used', () => {
    const sentence = (agent: Agent, log = file) => cliJson<{ stop: { sentence: string } }>(['show', runIds[agent], log]).stop.sentence;
    expect(sentence('spender')).toBe('stopped: the token budget was spent (maxTokens 200, spent 240) after 2 steps; the next step was refused');
    expect(sentence('costly')).toBe('stopped: the cost budget was spent (maxCostUsd $0.0005, spent $0.0009) after 2 steps; the next step was refused');
    expect(sentence('frugal')).toBe('stopped: the token budget was spent (maxTokens 200, spent 240) after 2 steps; the next step was refused');
    // A log written before run_finished had `limit`: the error the run threw says it; a body that caught it, nothing.
    const older = join(dir, 'older.ndjson');
    writeFileSync(older, capture.raw.replace(/,"limit":\{[^}]*\}/g, ''));
    expect(sentence('spender', older)).toBe('stopped: the token budget was spent (maxTokens 200, spent 240) after 2 steps; the next step was refused');
    expect(sentence('frugal', older)).toBe("stopped: the run's token or cost budget was spent (240 tokens used) after 2 steps; the next step was refused");
    // Another writer's amounts, with floating-point dust or in exponent form: written as plain dollars.
    const dusty = join(dir, 'dusty.ndjson');
    writeFileSync(dusty, capture.raw.replace(/"limit":\{"name":"maxCostUsd","value":[^,]*,"spent":[^}]*\}/, '"limit":{"name":"maxCostUsd","value":1e-7,"spent":0.30000000000000004}'));
    expect(sentence('costly', dusty)).toBe('stopped: the cost budget was spent (maxCostUsd $0.0000001, spent $0.3) after 2 steps; the next step was refused');
  });

  it('runs: a loop marker and the budget spent, in --json and as text; --loops and --stop-reason find them', () => {
    const { runs } = cliJson<{ runs: RunRow[] }>(['runs', file]);
    const row = (agent: Agent) => runs.find((r) => r.run_id === runIds[agent])!;
    expect(row('researcher').loops).toEqual({ count: 1, tool: 'search_docs', refused: false });
    expect(row('stuck').loops).toEqual({ count: 2, tool: 'search_docs', refused: true });
    expect(row('spender').budget).toEqual({ limit: 'maxTokens', budget: 200, spent: 240 });
    expect(row('costly').budget).toEqual({ limit: 'maxCostUsd', budget: 0.0005, spent: 0.0009 });
    expect(row('frugal').budget).toEqual({ limit: 'maxTokens', budget: 200, spent: 240 });
    expect(row('frugal').loops).toBeUndefined();

    const text = runCli(['runs', file]).stdout;
    expect(text).toMatch(new RegExp(`${runIds.researcher}.*completed ⟳ search_docs\\s`));
    expect(text).toMatch(new RegExp(`${runIds.stuck}.*loop_detected ⟳ search_docs ×2\\s`));
    expect(text).toMatch(new RegExp(`${runIds.spender}.*budget_exceeded maxTokens\\s`));
    expect(text).toMatch(new RegExp(`${runIds.costly}.*budget_exceeded maxCostUsd\\s`));
    expect(text).toContain('⟳ tool: the loop guard saw it called again with the same arguments');

    const ids = (args: string[]) => cliJson<{ runs: RunRow[] }>(['runs', file, ...args]).runs.map((r) => r.run_id).sort();
    expect(ids(['--loops'])).toEqual([runIds.researcher, runIds.stuck].sort());
    expect(ids(['--stop-reason', 'budget_exceeded'])).toEqual([runIds.spender, runIds.frugal, runIds.costly].sort());
    expect(runCli(['runs', file, '--stop-reason', 'budget_exceeded']).stdout).not.toContain('⟳ tool:'); // no legend without a marker
  });

  it('stats: loops per tool with their action, the runs each guard stopped, the budgets spent', () => {
    const { guards } = cliJson<{ guards: { loops: unknown[]; stops: Record<string, number>; budget_limits: Record<string, number> } }>(['stats', file]);
    const loops = events.filter((e) => e.event === 'loop_detected');
    expect(guards.loops).toEqual([
      {
        tool: 'search_docs', runs: 2,
        warned: loops.filter((e) => e.action === 'warned').length, refused: loops.filter((e) => e.action === 'refused').length,
      },
    ]);
    expect(guards.stops).toEqual({ budget_exceeded: 3, loop_detected: 1 });
    expect(guards.budget_limits).toEqual({ maxTokens: 2, maxCostUsd: 1 });

    const text = runCli(['stats', file]).stdout;
    expect(text).toContain('\nguards\nruns stopped by a guard: budget_exceeded 3 · loop_detected 1 (budget_exceeded by limit: maxTokens 2 · maxCostUsd 1)');
    expect(text).toMatch(/loops \(loop_detected\) by tool\s+runs\s+warned\s+refused\nsearch_docs\s+2\s+2\s+1\n/);
    // --agent narrows the guards too.
    expect(cliJson<{ guards: { loops: unknown[]; stops: Record<string, number> } }>(['stats', file, '--agent', 'researcher']).guards).toMatchObject({ loops: [{ runs: 1, warned: 1, refused: 0 }], stops: {} });
  });
});
