import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngPixels } from './support/png-pixels';
import { cliJson, HOSTILE_RUN, OTEL_RUN, produceLog, type ProducedLog } from './support/produce-log';

const CHROMIUM = ['chromium', 'chromium-browser'].find((bin) => spawnSync(bin, ['--version']).status === 0);
if (!CHROMIUM) {
  console.warn('chromium is not installed: the headless-browser checks of the HTML page are SKIPPED (apt-get install chromium)');
}
const withChromium = CHROMIUM ? it : it.skip;

/** Opens the page in headless Chromium: the DOM after parsing and layout, or a screenshot. */
function chromium(args: string[], file: string): string {
  const profile = mkdtempSync(join(tmpdir(), 'agent-log-chromium-'));
  const result = spawnSync(
    CHROMIUM!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, ...args, `file://${file}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  rmSync(profile, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`chromium failed: ${result.stderr}`);
  return result.stdout;
}

let log: ProducedLog;
beforeAll(async () => {
  log = await produceLog();
});
afterAll(() => rmSync(log.dir, { recursive: true, force: true }));

interface TimelineRow {
  type: string;
}

describe('agent-log html', () => {
  it('writes one self-contained page per run: no script, no external resource, a CSP that forbids both', () => {
    const out = join(log.dir, 'run.html');
    const written = cliJson<{ written: string; run_id: string }>(['html', log.runIds.refunds.slice(0, 13), log.file, '-o', out]);
    expect(written).toMatchObject({ written: out, run_id: log.runIds.refunds });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('stopped: tool `refund` failed with TimeoutError after 3 steps');
  });

  it("escapes the hostile run's names and its app log line on the page, and never shows the request", () => {
    const out = join(log.dir, 'hostile.html');
    cliJson(['html', HOSTILE_RUN, log.file, '-o', out, '--app-logs']);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('retrying  [2J&lt;b&gt;now&lt;/b&gt;'); // scrubbed: control characters became spaces
    expect(html).toContain('evil\\x1b[2J\\x1b[31m&lt;img src=x onerror=&quot;document.title=1&quot;&gt;');
    expect(html).not.toMatch(/<img|<script|<b>now|never-shown/);
  });

  it('draws at most --limit run trees in the report, the failed ones first', () => {
    const out = join(log.dir, 'limited.html');
    expect(cliJson<{ waterfalls: number }>(['html', '--all', log.file, '-o', out, '--limit', '3']).waterfalls).toBe(3);
    const drawn = [...readFileSync(out, 'utf8').matchAll(/<section class="run" id="[^"]+" data-run-id="([^"]+)"/g)].map((m) => m[1]);
    const failed = new Set(
      log.events.filter((e) => e.event === 'run_finished' && e.status !== 'ok').map((e) => e.run_id as string).concat(HOSTILE_RUN, OTEL_RUN),
    );
    expect(drawn).toHaveLength(3);
    for (const id of drawn) expect(failed.has(id)).toBe(true);
  });

  withChromium('renders the waterfall in headless Chromium: one bar per row, the failing step in red', () => {
    const out = join(log.dir, 'refund.html');
    cliJson(['html', log.runIds.refunds, log.file, '-o', out]);
    const timeline = cliJson<{ timeline: TimelineRow[] }>(['show', log.runIds.refunds, log.file]).timeline;

    const dom = chromium(['--dump-dom'], out);
    expect(dom).toContain(`data-run-id="${log.runIds.refunds}"`);
    expect(dom.match(/class="bar /g)).toHaveLength(timeline.length);
    expect(dom).toMatch(/<p class="stop error">stopped: tool `refund` failed with TimeoutError after 3 steps<\/p>/);
    expect(dom).toMatch(/class="row-label failure"[^>]*>3 tool <span class="mono">refund<\/span> ✖/);
    // The run's own stats under its waterfall.
    expect(dom).toMatch(/<td><span class="mono">refund<\/span><\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">100\.0%<\/td>/);
    expect(dom).toMatch(/<td><span class="mono">gpt-4o-mini<\/span><\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">100<\/td><td class="num">20<\/td><td class="num">120<\/td>/);

    const shot = join(log.dir, 'refund.png');
    chromium(['--screenshot=' + shot, '--window-size=1200,700', '--hide-scrollbars'], out);
    const png = pngPixels(readFileSync(shot));
    let red = 0;
    let blue = 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const [r, g, b] = png.rgb(x, y);
        if (r > 190 && g < 80 && b < 80) red++; // #d32f2f: the failed step's bar
        if (r < 90 && g > 110 && g < 150 && b > 170) blue++; // #3b82c4: the steps that succeeded
      }
    }
    expect(red).toBeGreaterThan(100);
    expect(blue).toBeGreaterThan(100);
  });

  withChromium('renders the report of every run with stats, and hostile names stay text', () => {
    const out = join(log.dir, 'report.html');
    const written = cliJson<{ runs: number; waterfalls: number }>(['html', '--all', log.file, '-o', out]);
    expect(written.runs).toBe(9);
    expect(written.waterfalls).toBe(8); // billing is drawn inside triage's tree

    const dom = chromium(['--dump-dom'], out);
    expect(dom).toContain('<title>agent runs: 9</title>');
    expect(dom).toMatch(/<h2>Stats<\/h2>/);
    expect(dom).toMatch(/<td><span class="mono">refund<\/span><\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">100\.0%<\/td>/);
    expect(dom.match(/<section class="run"/g)).toHaveLength(8);
    expect(dom).toContain(`href="#run-`);
    // The hostile agent and tool names: escaped text, never elements.
    expect(dom).not.toMatch(/<img|<script/i);
    expect(dom).toContain('evil\\x1b[2J\\x1b[31m&lt;img src=x onerror="document.title=1"&gt;');
    expect(dom).toContain('\\x1b]0;pwned\\x07&lt;script&gt;document.title="pwned"&lt;/script&gt;');
    expect(dom).toContain(`data-run-id="${HOSTILE_RUN}"`);
  });
});
