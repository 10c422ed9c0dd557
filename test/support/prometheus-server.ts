import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1, for a server the test starts itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrometheusServer {
  url: string;
  /** An instant PromQL query over the HTTP API; the result vector, or the error Prometheus gave. */
  query(expr: string): Promise<{ status: string; error?: string; result: { metric: Record<string, string>; value: [number, string] }[] }>;
  /** The alerts Prometheus has now (pending or firing). */
  alerts(): Promise<{ labels: Record<string, string>; state: string; annotations: Record<string, string> }[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  binary: string;
  /** host:port targets scraped at /metrics. */
  targets: string[];
  /** Rule files, as text, loaded by the server. */
  rules?: string[];
  /** Scrape and rule evaluation interval. */
  interval?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a real Prometheus server on 127.0.0.1 and a free port, with its
 * storage in a temporary directory, scraping `targets` every `interval`.
 * Resolves once it answers /-/ready.
 */
export async function startPrometheus({ binary, targets, rules = [], interval = '1s' }: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-log-prometheus-'));
  const ruleFiles = rules.map((text, i) => {
    const file = join(dir, `rules-${i}.yml`);
    writeFileSync(file, text);
    return file;
  });
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: agent-app',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready in 20 s: ${stderr}`);
    }
    await sleep(100);
  }
  const api = async (path: string) => (await fetch(`${url}/api/v1/${path}`)).json() as Promise<{ status: string; error?: string; data: never }>;
  return {
    url,
    async query(expr) {
      const body = await api(`query?query=${encodeURIComponent(expr)}`);
      return { status: body.status, error: body.error, result: (body.data as { result?: never[] } | undefined)?.result ?? [] };
    },
    async alerts() {
      return ((await api('alerts')).data as { alerts: never[] }).alerts;
    },
    stop,
  };
}
