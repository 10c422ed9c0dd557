import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The dual-package hazard, for real: one process loads the ESM and the
 * CommonJS build of the built package (dist/), and nestjs-pino's ESM build.
 */
describe('two copies of the package in one process (its ESM and CommonJS builds)', () => {
  it('make one run of steps decorated through either copy, written through the app’s own logger', () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'two-copies-')), 'app.log');
    const run = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'two-copies.mjs')], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, LOG_FILE: logFile },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ result: 6 });
    const events = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.schema === 'agent-log/1');
    expect(events.map((e) => [e.event, e.tool ?? ''])).toEqual([
      ['run_started', ''],
      ['agent_step', 'esm_tool'],
      ['tool_call', 'esm_tool'],
      ['tool_result', 'esm_tool'],
      ['agent_step', 'cjs_tool'],
      ['tool_call', 'cjs_tool'],
      ['tool_result', 'cjs_tool'],
      ['agent_step', 'cjs_function'],
      ['tool_call', 'cjs_function'],
      ['tool_result', 'cjs_function'],
      ['run_finished', ''],
    ]);
    for (const e of events) expect(e).toMatchObject({ run_id: events[0].run_id, service: 'two-copies' });
    expect(events.at(-1)).toMatchObject({ stop_reason: 'completed', tool_calls: 3 });
  });
});
