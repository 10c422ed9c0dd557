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
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', appDir], { cwd: root, encoding: 'utf8' });
    tarball = join(appDir, out.trim().split('\n').pop()!);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'pack-app', private: true }));
    // --offline: CI's `npm ci` has already put every dependency in the cache.
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball], { cwd: appDir, stdio: 'pipe' });
    copyFileSync(join(__dirname, 'fixtures', 'consumer.js'), join(appDir, 'consumer.js'));
    copyFileSync(join(__dirname, 'fixtures', 'consumer.ts'), join(appDir, 'consumer.ts'));
  }, 120_000);

  it('ships JavaScript, type declarations and the README, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => /\.spec\.|\/test\/|\/src\//.test(f))).toEqual([]);
  });

  it('installs into an app that imports the public API and writes events to stdout without nestjs-pino', () => {
    const run = spawnSync(process.execPath, ['consumer.js'], { cwd: appDir, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stderr.trim().split('\n').pop()!);
    expect(report.value).toBe(42);
    expect(report.exports).toEqual(
      expect.arrayContaining(['AgentLoggingModule', 'AgentRun', 'AgentTool', 'AgentLlm', 'AgentContextInterceptor', 'agentLogMixin']),
    );
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['run_started', 'agent_step', 'tool_call', 'tool_result', 'run_finished']);
    expect(events.every((e) => e.agent === 'packed' && e.schema === 'agent-log/1')).toBe(true);
  });

  it('installs the agent-log command, which reads the events the app wrote', () => {
    const app = spawnSync(process.execPath, ['consumer.js'], { cwd: appDir, encoding: 'utf8', timeout: 30_000 });
    const bin = join(appDir, 'node_modules', '.bin', 'agent-log');
    const runs = spawnSync(bin, ['runs', '--json'], { cwd: appDir, input: app.stdout, encoding: 'utf8', timeout: 30_000 });
    expect(runs.stderr).toBe('');
    expect(JSON.parse(runs.stdout).runs).toMatchObject([{ agent: 'packed', status: 'ok', stop_reason: 'completed', steps: 1 }]);
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
