import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CLI, produceLog, runCli, type ProducedLog } from './support/produce-log';

let log: ProducedLog;
let lines: string[];
beforeAll(async () => {
  log = await produceLog();
  // The real app's lines, without the hand-made ones of 2030 and the cut last line.
  lines = readFileSync(log.file, 'utf8').split('\n').filter((l) => l.startsWith('{') && !l.includes('2030-') && !l.includes('cut-run'));
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

interface TailRow {
  n: number;
  run_id: string;
  agent: string;
  status: string;
  stop: string;
  evicted?: string;
  tree?: number;
  run?: { run_id: string; steps: { name: string }[] };
}

/** `agent-log tail` as a child process whose output is read as it comes. */
class Tail {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'tail', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    this.child.stdout.setEncoding('utf8').on('data', (c: string) => (this.stdout += c));
    this.child.stderr.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  get rows(): TailRow[] {
    return this.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as TailRow);
  }

  async until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
    for (const started = Date.now(); !ok(); ) {
      if (Date.now() - started > ms) throw new Error(`tail: waited ${ms} ms for ${what}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  exit(): Promise<number | null> {
    return this.exited;
  }
}

const finishedIn = (part: string[]) => part.filter((l) => l.includes('"event":"run_finished"')).map((l) => (JSON.parse(l) as { run_id: string }).run_id);

describe('agent-log tail on a file being written', () => {
  it('prints each run as it finishes, follows a rotation and a truncation, shows a tree on demand, quits on q', async () => {
    const file = join(log.dir, 'live.ndjson');
    writeFileSync(file, lines.slice(0, 3).join('\n') + '\n'); // already there: tail starts at the end, as tail -f
    const tail = new Tail([file, '--json', '--interval', '20']);
    try {
      await tail.until('tail to start', () => tail.stderr.includes('following'));
      const half = Math.floor(lines.length / 2);
      appendFileSync(file, lines.slice(3, half).join('\n') + '\n');
      const first = finishedIn(lines.slice(3, half));
      await tail.until('the first half', () => tail.rows.length >= first.length);
      expect(tail.rows.map((r) => r.run_id)).toEqual(first);

      // A line written in two parts is read once it is whole.
      const [rest, ...more] = lines.slice(half);
      appendFileSync(file, rest.slice(0, 20));
      await new Promise((r) => setTimeout(r, 100));
      appendFileSync(file, `${rest.slice(20)}\n`);

      // Rotation: the file is renamed and a new one takes its name.
      renameSync(file, `${file}.1`);
      writeFileSync(file, more.join('\n') + '\n');
      const all = finishedIn(lines.slice(3));
      await tail.until('the rotated file', () => tail.rows.filter((r) => r.tree === undefined).length >= all.length);
      const runs = tail.rows.filter((r) => r.tree === undefined);
      expect(runs.map((r) => r.run_id)).toEqual(all);
      expect(tail.stderr).toContain('was replaced (rotated)');

      const refund = runs.find((r) => r.run_id === log.runIds.refunds)!;
      expect(refund).toMatchObject({ status: 'error', stop: 'stopped: tool `refund` failed with TimeoutError after 3 steps' });
      tail.child.stdin.write(`${refund.n}\n`);
      await tail.until('the tree', () => tail.rows.some((r) => r.tree === refund.n));
      expect(tail.rows.find((r) => r.tree === refund.n)!.run!.steps.map((s) => s.name)).toEqual(['gpt-4o-mini', 'lookup_order', 'refund']);

      // Truncation (copytruncate): read again from the start.
      truncateSync(file, 0);
      await new Promise((r) => setTimeout(r, 100));
      const support = lines.filter((l) => l.includes(log.runIds.support));
      appendFileSync(file, support.join('\n') + '\n');
      await tail.until('the truncated file', () => tail.stderr.includes('was truncated'));
      tail.child.stdin.write('q\n');
      expect(await tail.exit()).toBe(0);
      expect(tail.stderr).toMatch(/followed \d+ events: \d+ runs finished/);
    } finally {
      tail.child.kill();
    }
  });
});

describe('agent-log tail on standard input', () => {
  it('reads a pipe as it comes, marks failures, prints the failed trees with --show-failures, reports runs cut off at the end', async () => {
    const tail = new Tail(['--show-failures']);
    const half = Math.floor(lines.length / 2);
    tail.child.stdin.write(lines.slice(0, half).join('\n') + '\n');
    await tail.until('the first runs', () => tail.stdout.includes('[1]'));
    // The refund run's events without its run_finished: it is in flight when the input ends.
    const cut = lines.slice(half).filter((l) => !(l.includes(log.runIds.typist) && l.includes('"run_finished"')));
    tail.child.stdin.end(cut.join('\n') + '\n');
    expect(await tail.exit()).toBe(0);
    const out = tail.stdout;
    expect(out).toMatch(/\[\d+\]\s+[\d:.]+\s+✖\s+refunds\s+\S+\s+req \S+\s+error tool_error\s+3 steps .*stopped: tool `refund` failed with TimeoutError after 3 steps/);
    expect(out).toMatch(/✔\s+support\s+/);
    expect(out).toMatch(/↳ billing/);
    // --show-failures: the refund run's tree, as show draws it.
    expect(out).toMatch(/run \S+\s+refunds\s+error\n/);
    expect(out).toMatch(/3 tool refund ✖\s+error/);
    expect(out).toMatch(/\?\s+typist\s+\S+\s+not finished .*\(the input ended\)/);
    expect(tail.stderr).toMatch(/runs finished, 1 never finished/);
  });
});

describe('agent-log tail: memory bounded over hours', () => {
  /** Three hours of a log where most runs never finish (their process died), a few finish. */
  function longLog(): { text: string; never: number; finished: string[] } {
    const out: string[] = [];
    const t0 = Date.UTC(2027, 0, 1);
    const finished: string[] = [];
    let never = 0;
    for (let i = 0; i < 3000; i++) {
      const at = (ms: number) => new Date(t0 + i * 3600 + ms).toISOString(); // one run every 3.6 s of log time
      const runId = `0190c0de-${String(i).padStart(4, '0')}-7000-8000-000000000000`;
      const base = { schema: 'agent-log/1', run_id: runId, trace_id: 'b'.repeat(32), agent: 'worker' };
      out.push(JSON.stringify({ ...base, event: 'run_started', timestamp: at(0), seq: 1, span_id: '1'.repeat(16) }));
      out.push(JSON.stringify({ ...base, event: 'agent_step', timestamp: at(1), seq: 2, step_index: 1, step_type: 'tool_call', tool: 'poll', span_id: '2'.repeat(16) }));
      if (i % 100 === 0) {
        out.push(JSON.stringify({ ...base, event: 'run_finished', timestamp: at(2), seq: 3, status: 'ok', stop_reason: 'completed', total_steps: 1, total_latency_ms: 2 }));
        finished.push(runId);
      } else never++;
    }
    return { text: out.join('\n') + '\n', never, finished };
  }

  it('evicts runs that never finish, by count and by age, and never holds more than --max-runs', () => {
    const { text, never, finished } = longLog();
    const result = runCli(['tail', '--json', '--max-runs', '100', '--evict-after', '2m'], { input: text });
    expect(result.status).toBe(0);
    const rows = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TailRow);
    expect(rows.filter((r) => r.status === 'ok').map((r) => r.run_id)).toEqual(finished);
    const evicted = rows.filter((r) => r.evicted);
    expect(evicted).toHaveLength(never);
    expect(new Set(evicted.map((r) => r.run_id)).size).toBe(never); // each once
    // 2 minutes of log time hold ~34 runs: age evicts them before the count bound is reached.
    expect(evicted.filter((r) => r.evicted === 'age').length).toBeGreaterThan(never - 50);
    const peak = Number(/at most (\d+) held in flight/.exec(result.stderr)![1]);
    expect(peak).toBeLessThanOrEqual(100);

    const tight = runCli(['tail', '--json', '--max-runs', '10', '--evict-after', '10h'], { input: text });
    const byCount = tight.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TailRow).filter((r) => r.evicted === 'max_runs');
    expect(byCount.length).toBeGreaterThan(never - 20);
    expect(Number(/at most (\d+) held in flight/.exec(tight.stderr)![1])).toBe(10);
  });

  it('loses no line to a reader slower than it (| jq): it exits only once stdout has taken everything', () => {
    const { text, never, finished } = longLog();
    // A pipe to a reader that is not reading yet, as `agent-log tail | jq` is while jq starts.
    const piped = spawnSync('sh', ['-c', '"$0" "$1" tail --json --max-runs 10 --evict-after 10h | (sleep 1; cat)', process.execPath, CLI], { input: text, encoding: 'utf8' });
    expect(piped.status).toBe(0);
    const rows = piped.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TailRow);
    expect(rows).toHaveLength(never + finished.length);
    expect(rows.filter((r) => r.evicted === 'input_ended')).toHaveLength(10);
  });

  it('refuses a bad bound before reading, and a gzip file it cannot follow', () => {
    const bad = runCli(['tail', log.file, '--max-runs', '0']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--max-runs');
    expect(runCli(['tail', log.file, '--evict-after', 'soon']).stderr).toContain('--evict-after');
    const gz = join(log.dir, 'app.ndjson.gz');
    writeFileSync(gz, gzipSync(readFileSync(log.file)));
    expect(runCli(['tail', gz]).stderr).toContain('is gzip');
  });
});
