import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogLine } from '../../support/log-capture';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'agent-app.js');

export type Destination = 'sync' | 'async' | 'transport' | 'stdout';

/**
 * The fixture app in a real child process, on the built package, writing its
 * log to a file of its own. Resolves once it listens.
 */
export class ChildApp {
  readonly url: string;
  private messages: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    private readonly dir: string,
    url: string,
  ) {
    this.url = url;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the delivery fixture, or another fixture app (`fixture`) speaking the same IPC. */
  static async start(env: { DEST?: Destination; CRASH?: 'uncaught' | 'rejection' } & Record<string, string | undefined>, fixture = FIXTURE): Promise<ChildApp> {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-delivery-'));
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, ...env, LOG_FILE: path.join(dir, 'app.log') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let err = '';
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fixture did not start:\n${err}`)), 20_000);
      child.once('message', (message: string) => {
        clearTimeout(timer);
        resolve(message.replace(/^ready /, ''));
      });
      child.once('exit', (code) => reject(new Error(`fixture exited with ${code}:\n${err}`)));
    });
    const app = new ChildApp(child, dir, url);
    app.stderr = err;
    child.on('message', (message: string) => app.messages.push(message));
    child.stderr!.on('data', (chunk: Buffer) => (app.stderr += chunk.toString()));
    return app;
  }

  get(route: string): Promise<Response> {
    return fetch(`${this.url}/${route}`);
  }

  /** Parks `n` runs in flight (each waits on its run's signal) and resolves when all of them are waiting. */
  async park(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.get('park').catch(() => undefined); // their connections die with the app
    const deadline = Date.now() + 15_000;
    while (this.messages.filter((m) => m.startsWith('waiting ')).length < n) {
      if (Date.now() > deadline) throw new Error(`runs did not park: ${this.messages.join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The file the app logs to. */
  get logFile(): string {
    return path.join(this.dir, 'app.log');
  }

  /** The agent events the app left in its log file. */
  events(): LogLine[] {
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.schema === 'agent-log/1');
  }

  dispose(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
