import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The built app as a real process, the way it runs in production: `dist/` is
 * the app's own module system (ESM for NestJS 12, CommonJS for 11); the
 * NestJS 12 stack also builds `dist-cjs/`, a CommonJS app loading the ESM-only
 * NestJS 12 through require(esm). SIGTERM with a run in flight: the run ends
 * `shutdown`, the log is flushed, and the process dies of the signal.
 */
const root = process.cwd();
const builds = ['dist', 'dist-cjs'].filter((b) => existsSync(join(root, b, 'main.js')));
type Line = Record<string, unknown>;

function start(build: string, platform: string, logFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, build, 'main.js')], {
    env: { ...process.env, PLATFORM: platform, LOG_FILE: logFile, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${out}`)), 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1].replace('[::1]', '127.0.0.1') });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`the app exited with ${code}:\n${out}`)));
  });
}

const readLines = (file: string): Line[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];

it('has a build to run', () => {
  expect(builds).toContain('dist');
});

describe.each(builds.flatMap((build) => ['express', 'fastify'].map((platform) => [build, platform])))('the %s build on %s, as a process', (build, platform) => {
  it('writes to its configured file and, on SIGTERM, ends the run in flight with shutdown and dies of the signal', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'stack-proc-')), 'app.log');
    const { child, url } = await start(build, platform, logFile);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

    const res = await fetch(`${url}/ask?q=A-7`, { headers: { 'x-request-id': 'proc-1' } });
    expect(res.status).toBe(200);
    void fetch(`${url}/wait`).catch(() => undefined);
    for (let i = 0; i < 200 && !readLines(logFile).some((l) => l.event === 'run_started' && l.agent === 'waiting'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });

    const events = readLines(logFile).filter((l) => l.schema === 'agent-log/1');
    for (const e of events) expect(e).toMatchObject({ service: 'stack-app' });
    const started = events.filter((e) => e.event === 'run_started');
    expect(started.map((e) => e.agent)).toEqual(['support', 'waiting']);
    for (const s of started) expect(events.filter((e) => e.event === 'run_finished' && e.run_id === s.run_id)).toHaveLength(1);
    expect(events.find((e) => e.event === 'run_finished' && e.agent === 'waiting')).toMatchObject({ status: 'error', stop_reason: 'shutdown' });
    expect(events.find((e) => e.event === 'run_finished' && e.agent === 'support')).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 2 });
  }, 180_000);
});
