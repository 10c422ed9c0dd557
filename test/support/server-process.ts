import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './tcp';

/**
 * Whether an external server binary (nats-server, redis-server) is on the
 * PATH. Without it a test may skip with a clear message, except under
 * AGENT_LOGGING_CI=1, where a missing binary is a failure: CI must install it.
 */
export function hasBinary(binary: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
  if (!found && process.env.AGENT_LOGGING_CI === '1') throw new Error(`${binary} is not installed (Debian package needed by the tests)`);
  if (!found) console.warn(`skipping: ${binary} is not installed`);
  return found;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** A real server the test starts on 127.0.0.1 and a free port, and stops. */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts `binary` with the arguments `args(port)` gives, and resolves once it accepts connections. */
  static async start(binary: string, args: (port: number) => string[]): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(binary, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${binary} did not start on ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return new ServerProcess(child, port);
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
