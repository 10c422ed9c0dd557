import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogLine } from '../../support/log-capture';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'busy-app.js');

export interface BusyEnv {
  LIB?: '0' | '1';
  DEST: 'file' | 'stdout' | 'transport';
  WORK?: '1';
  PARK?: string;
  SLOW_HOOKS?: string;
  FLOOD?: string;
}

export interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The agent events left in the log file (DEST=file only). */
  events: LogLine[];
  stderr: string;
}

/**
 * Starts the busy fixture app in a real child process, lets it work for
 * `workMs`, sends it `signal` and resolves with how it ended. With DEST
 * stdout or transport nobody ever reads the child's stdout: once the pipe is
 * full, the log reader has stalled. A child still alive `giveUpMs` after the
 * signal is killed (and reported as SIGKILL).
 */
export async function endBusyApp(env: BusyEnv, { workMs = 300, signal = 'SIGTERM' as NodeJS.Signals, giveUpMs = 15_000 } = {}): Promise<Ending> {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-busy-'));
  const file = path.join(dir, 'app.log');
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env, LOG_FILE: file }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (env.DEST === 'file') child.stdout!.resume(); // else: never read
  try {
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fixture did not start:\n${stderr}`)), 20_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`fixture exited with ${code}:\n${stderr}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, workMs));
    child.kill(signal);
    const giveUp = setTimeout(() => child.kill('SIGKILL'), giveUpMs);
    const { code, signal: died } = await ended;
    clearTimeout(giveUp);
    const events =
      env.DEST === 'file'
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l) as LogLine)
            .filter((l) => l.schema === 'agent-log/1')
        : [];
    return { code, signal: died, events, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
