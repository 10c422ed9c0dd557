import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
// Inside the repo, so the installed package finds its peers (Nest, pino, rxjs)
// in the repo's node_modules, as an app's own dependencies would be.
const appDir = join(root, '.tmp', 'pack-app');

describe('the packed package', () => {
  let tarball: string;

  beforeAll(() => {
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(appDir, { recursive: true });
    // `npm test` has just built dist/: pack it as it is.
    const out = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', appDir], { cwd: root, encoding: 'utf8' });
    tarball = join(appDir, out.trim().split('\n').pop()!);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'pack-app', private: true }));
    // --prefer-offline: `npm ci` cached the tarballs, but resolving the
    // package's own dependency ranges may need the registry's metadata.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball], { cwd: appDir, stdio: 'pipe' });
    copyFileSync(join(__dirname, 'fixtures', 'consumer.js'), join(appDir, 'consumer.js'));
    copyFileSync(join(__dirname, 'fixtures', 'consumer.ts'), join(appDir, 'consumer.ts'));
  }, 120_000);

  it('ships a CommonJS and an ESM build with their type declarations, the README, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const build of ['cjs', 'esm']) {
      expect(files).toContain(`package/dist/${build}/index.js`);
      expect(files).toContain(`package/dist/${build}/index.d.ts`);
    }
    expect(files).toContain('package/dist/esm/package.json');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => /\.spec\.|\/test\/|\/src\//.test(f))).toEqual([]);
  });

  it('installs into an app that imports the public API and writes events to stdout through pino without LoggerModule', () => {
    const run = spawnSync(process.execPath, ['consumer.js'], { cwd: appDir, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stderr.trim().split('\n').pop()!);
    expect(report.value).toBe(42);
    expect(report.exports).toEqual(
      expect.arrayContaining(['AgentLoggingModule', 'AgentRun', 'AgentTool', 'AgentLlm', 'AgentContextInterceptor', 'agentLogMixin']),
    );
    // Every stdout line is one of our events, as pino writes it: its own fields, then ours.
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    for (const [i, e] of events.entries()) {
      expect(e).toMatchObject({ level: 30, pid: expect.any(Number), hostname: expect.any(String), time: expect.any(Number) });
      expect(e).toMatchObject({ agent: 'packed', schema: 'agent-log/1', seq: i + 1, run_id: events[0].run_id, trace_id: events[0].trace_id });
      expect(e.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(e.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(events[2]).toMatchObject({ tool: 'double', step_index: 1, args_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(events[4]).toMatchObject({ status: 'ok', stop_reason: 'completed', total_steps: 1, tool_calls: 1, llm_calls: 0, errors: 0 });
  });

  it('installs the agent-log command, which reads the events the app wrote', () => {
    const app = spawnSync(process.execPath, ['consumer.js'], { cwd: appDir, encoding: 'utf8', timeout: 30_000 });
    const bin = join(appDir, 'node_modules', '.bin', 'agent-log');
    const runs = spawnSync(bin, ['runs', '--json'], { cwd: appDir, input: app.stdout, encoding: 'utf8', timeout: 30_000 });
    expect(runs.stderr).toBe('');
    expect(JSON.parse(runs.stdout).runs).toMatchObject([{ agent: 'packed', status: 'ok', stop_reason: 'completed', steps: 1 }]);
  });

  it('resolves its types under moduleResolution node10, node16 (from CommonJS and ESM) and bundler (arethetypeswrong)', () => {
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const result = spawnSync(process.execPath, [attw, tarball, '--format', 'json'], { encoding: 'utf8' });
    const report = JSON.parse(result.stdout) as { problems: Record<string, unknown>; analysis: { entrypoints: Record<string, unknown> } };
    expect(report.problems).toEqual({});
    expect(Object.keys(report.analysis.entrypoints)).toContain('.');
    expect(result.status).toBe(0);
  });

  it('type-checks a TypeScript app against the shipped declarations', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--experimentalDecorators', '--emitDecoratorMetadata', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--skipLibCheck', 'consumer.ts'],
      { cwd: appDir, encoding: 'utf8' },
    );
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  afterAll(() => {
    expect(readdirSync(appDir).length).toBeGreaterThan(0);
  });
});
