import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cliJson, HOSTILE, HOSTILE_RUN, produceLog, runCli, type ProducedLog } from './support/produce-log';

let log: ProducedLog;
beforeAll(async () => {
  log = await produceLog();
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

const runIds = (out: { runs: { run_id: string }[] }) => out.runs.map((r) => r.run_id).sort();

/** Any ESC in the output must open a colour (SGR) sequence: nothing that moves the cursor or sets a title. */
const NON_COLOUR_ESCAPE = /\u001b(?!\[[0-9;]*m)/;

describe('agent-log input', () => {
  it('reads gzip (by its magic bytes), standard input and globs, with the same answer as the plain file', () => {
    const plain = cliJson<{ runs: { run_id: string }[] }>(['runs', log.file]);
    const gz = join(log.dir, 'app.ndjson.1.gz');
    writeFileSync(gz, gzipSync(readFileSync(log.file)));
    expect(runIds(cliJson(['runs', gz]))).toEqual(runIds(plain));
    expect(runIds(cliJson(['runs'], { input: readFileSync(gz) }))).toEqual(runIds(plain));
    expect(runIds(cliJson(['runs', '-'], { input: readFileSync(log.file) }))).toEqual(runIds(plain));

    // A glob over the plain and the gzip copy: every event twice, each run once.
    const both = cliJson<{ runs: { run_id: string }[]; input: { sources: string[] } }>(['runs', join(log.dir, 'app.ndjson*')]);
    expect(both.input.sources).toEqual([log.file, gz]);
    expect(runIds(both)).toEqual(runIds(plain));
    expect(runCli(['runs', join(log.dir, '*.nothing')]).stderr).toContain('no file matches');
  });

  it('counts a gzip stream cut short as truncated and keeps what it read', () => {
    const gz = gzipSync(readFileSync(log.file));
    const cut = cliJson<{ runs: unknown[]; input: { truncated: number; events: number } }>(['runs'], { input: gz.subarray(0, Math.floor(gz.length * 0.8)) });
    expect(cut.input.truncated).toBeGreaterThanOrEqual(1);
    expect(cut.input.events).toBeGreaterThan(0);
  });
});

describe('agent-log input limits and layering', () => {
  it('skips and counts a line longer than 8 MiB without holding it, and reads on', () => {
    const file = join(log.dir, 'long-line.ndjson');
    const events = readFileSync(log.file, 'utf8').split('\n').filter((l) => l.includes('"agent-log/1"'));
    writeFileSync(file, `${events.slice(0, 5).join('\n')}\n{"msg":"${'x'.repeat(9 << 20)}"}\n${events.slice(5).join('\n')}\n`);
    const out = cliJson<{ runs: unknown[]; input: { too_long: number; events: number } }>(['runs', file]);
    expect(out.input.too_long).toBe(1);
    expect(out.input.events).toBe(events.length);
  });

  it('loads from core only its framework-free modules: the redaction module (and the error class it names) and the price table; never Nest, pino or rxjs', () => {
    // Statically: every file dist/cli reaches through relative requires.
    const dist = join(__dirname, '..', '..', 'dist', 'cjs');
    const seen = new Set<string>();
    const packages = new Set<string>();
    const stack = readdirSync(join(dist, 'cli')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'cli', f));
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      // Either quote: the commands and the libraries only some of them need are required lazily, with single quotes.
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\(["']([^"']+)["']\)/g)) {
        if (spec.startsWith('.')) stack.push(join(dirname(file), spec));
        else packages.add(spec);
      }
    }
    const outsideCli = [...seen].filter((f) => !f.startsWith(join(dist, 'cli'))).map((f) => relative(dist, f)).sort();
    // Deliberately these, and nothing else: the scrubber (one set of patterns with the library's), the price table
    // (one pricing with the metrics' and the budget guard's) and its dollar format (one with the guard's messages).
    // Each requires node built-ins only.
    expect(outsideCli).toEqual(['core/errors.js', 'core/pricing/price-table.js', 'core/pricing/usd.js', 'core/redaction/scrub-patterns.js', 'core/redaction/scrubber.js']);
    expect([...packages].filter((p) => /nest|pino|rxjs|reflect-metadata/.test(p))).toEqual([]);

    // At run time: what `show --app-logs` (the command that scrubs) and `stats --prices` (the one that prices) loaded.
    const prices = join(log.dir, 'layering-prices.json');
    writeFileSync(prices, JSON.stringify({ 'gpt-4o-mini': { input: 0.15, output: 0.6 } }));
    const files: string[] = [];
    for (const args of [['show', log.runIds.refunds, log.file, '--app-logs'], ['stats', log.file, '--prices', prices]]) {
      const loaded = join(log.dir, 'loaded.json');
      const hook = join(log.dir, 'record-loaded.js');
      writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))));`);
      expect(runCli(args, { env: { NODE_OPTIONS: `--require ${hook}` } }).status).toBe(0);
      files.push(...(JSON.parse(readFileSync(loaded, 'utf8')) as string[]).filter((f) => !files.includes(f)));
    }
    expect(files.filter((f) => f.includes(`${sep}node_modules${sep}`) && /[\\/](@nestjs|nestjs-pino|pino|rxjs|reflect-metadata)[\\/]/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith(dist) && !f.startsWith(join(dist, 'cli'))).map((f) => relative(dist, f)).sort()).toEqual(outsideCli);
  });
});

describe('agent-log on a terminal', () => {
  it('never lets a hostile name move the cursor, change colours or set the title: control characters are shown escaped', () => {
    for (const args of [['runs', log.file], ['show', HOSTILE_RUN, log.file, '--app-logs'], ['stats', log.file]]) {
      const plain = runCli(args);
      expect(plain.status).toBe(0);
      expect(plain.stdout + plain.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      const coloured = runCli(args, { env: { FORCE_COLOR: '1' } });
      expect(coloured.stdout).toContain('\u001b[');
      expect(coloured.stdout).not.toMatch(NON_COLOUR_ESCAPE);
    }
    const show = runCli(['show', HOSTILE_RUN, log.file, '--app-logs']).stdout;
    expect(show).toContain('evil\\x1b[2J\\x1b[31m');
    expect(show).toContain('\\x1b]0;pwned\\x07');
    expect(show).toContain('Evil\\x1b[1A\\x1b[K');
    expect(show).toContain('line one\\x0d\\x0aline two \\u{202e}reversed\\x9b31m');
    expect(show).toMatch(/stopped: tool `\\x1b\]0;pwned\\x07.*` failed with Evil\\x1b\[1A\\x1b\[K after 1 step/);
    // The app's own line went through the scrubber, which turns control characters into spaces.
    expect(show).toMatch(/warn\s+Evil \[8m\s+retrying {2}\[2J<b>now<\/b>/);
    expect(show).not.toContain('never-shown');
  });

  it('keeps --json exact (the hostile names parse back unchanged) yet free of raw control characters', () => {
    const raw = runCli(['show', HOSTILE_RUN, log.file, '--json']).stdout;
    expect(raw).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const show = JSON.parse(raw) as { run: { agent: string; steps: { name: string; error_class: string; error_message: string }[] } };
    expect(show.run.agent).toBe(HOSTILE.agent);
    expect(show.run.steps[0]).toMatchObject({ name: HOSTILE.tool, error_class: HOSTILE.error_class, error_message: HOSTILE.error_message });
    expect(raw).not.toContain('never-shown');
  });

  it('writes colours only when asked or on a TTY: not in a pipe, not under NO_COLOR, not because CI is set', () => {
    const args = ['runs', log.file, '--status', 'error'];
    expect(runCli(args).stdout).not.toContain('\u001b');
    expect(runCli(args, { env: { CI: 'true' } }).stdout).not.toContain('\u001b');
    expect(runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain('\u001b');
    expect(runCli(args, { env: { FORCE_COLOR: '1' } }).stdout).toContain('\u001b[31merror');
  });
});
