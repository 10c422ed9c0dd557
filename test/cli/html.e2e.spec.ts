/// <reference lib="dom" />
// The functions given to page.evaluate run in the browser.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launch, openPage, violationsSeen, withChromium } from './support/browser';
import { pngPixels } from './support/png-pixels';
import { cliJson, HOSTILE_RUN, OTEL_RUN, produceLog, type ProducedLog } from './support/produce-log';

let log: ProducedLog;
let browser: Browser | undefined;
beforeAll(async () => {
  log = await produceLog();
});
afterAll(async () => {
  await browser?.close();
  rmSync(log.dir, { recursive: true, force: true });
});
const theBrowser = async () => (browser ??= await launch());

/** A run as a newer library writes it: fields and an event this inspector does not know yet. */
const NEWER_RUN = '01a30000-0000-7000-8000-00000000beef';
function newerRunLines(): string[] {
  const base = { schema: 'agent-log/1', run_id: NEWER_RUN, trace_id: 'c'.repeat(32), agent: 'researcher', trace_flags: '01' };
  const at = (ms: number) => new Date(Date.UTC(2031, 0, 1, 0, 0, 0, ms)).toISOString();
  const step = { span_id: '3'.repeat(16), parent_span_id: '1'.repeat(16) };
  const events = [
    { event: 'run_started', timestamp: at(0), seq: 1, span_id: '1'.repeat(16), task_hash: 'a'.repeat(64) },
    { event: 'agent_step', timestamp: at(1), seq: 2, ...step, step_index: 1, step_type: 'llm_call', model: 'gpt-5' },
    {
      event: 'llm_result', timestamp: at(30), seq: 3, ...step, step_index: 1, model: 'gpt-5', latency_ms: 29, status: 'ok',
      provider: 'openai', response_id: 'resp_0123abc', request_id: 'req_9f8e7d', time_to_first_token_ms: 12.5,
      token_usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    },
    { event: 'memory_compacted', timestamp: at(31), seq: 4, span_id: '1'.repeat(16), kept_messages: 12 },
    { event: 'loop_detected', timestamp: at(32), seq: 5, span_id: '1'.repeat(16), tool: 'web_search', args_hash: 'd'.repeat(64), repeats: 3, rule: 'consecutive', action: 'refused' },
    { event: 'run_finished', timestamp: at(33), seq: 6, span_id: '1'.repeat(16), status: 'error', stop_reason: 'loop_detected', total_steps: 1, total_latency_ms: 33, tool_calls: 0, llm_calls: 1, errors: 0 },
  ];
  return events.map((e) => JSON.stringify({ ...base, ...e }));
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('agent-log html: one self-contained file', () => {
  it('has one inline script and one inline style, both allowed by their hash, and nothing else: no network, no style attribute', () => {
    const out = join(log.dir, 'run.html');
    const written = cliJson<{ written: string; run_id: string }>(['html', log.runIds.refunds.slice(0, 13), log.file, '-o', out]);
    expect(written).toMatchObject({ written: out, run_id: log.runIds.refunds });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<link|src=|https?:\/\/|style="/i);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(html.match(/<script/g)).toHaveLength(1);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    expect(csp).toContain(`script-src 'sha256-${sha256(scripts[0])}'`);
    expect(csp).toContain(`style-src 'sha256-${sha256(styles[0])}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect(html).toContain('stopped: tool `refund` failed with TimeoutError after 3 steps');
    // The single-run page has no stats block.
    expect(html).not.toMatch(/id="stats"|runs\/min/);
  });

  it("escapes the hostile run's names and its app log line on the page, and never shows the request", () => {
    const out = join(log.dir, 'hostile.html');
    cliJson(['html', HOSTILE_RUN, log.file, '-o', out, '--app-logs']);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('retrying  [2J&lt;b&gt;now&lt;/b&gt;'); // scrubbed: control characters became spaces
    expect(html).toContain('evil\\x1b[2J\\x1b[31m&lt;img src=x onerror=&quot;document.title=1&quot;&gt;');
    expect(html).not.toMatch(/<img|<b>now|never-shown/);
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own, not the tool name's
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
});

describe('agent-log html in headless Chromium, clicked', () => {
  interface TimelineRow {
    type: string;
    name?: string;
  }

  withChromium('runs its own script and style with nothing blocked; folds, opens a step on every field, jumps to the failure', async () => {
    const out = join(log.dir, 'refund.html');
    cliJson(['html', log.runIds.refunds, log.file, '-o', out]);
    const timeline = cliJson<{ timeline: TimelineRow[] }>(['show', log.runIds.refunds, log.file]).timeline;
    const { page, watch } = await openPage(await theBrowser(), out);
    try {
      expect(await page.getAttribute('html', 'data-ready')).toBe('1'); // the script ran
      expect(await page.locator('.bar').count()).toBe(timeline.length);
      const failureBar = page.locator('.row.failure .bar');
      expect(await failureBar.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(211, 47, 47)'); // the style applied
      expect(await failureBar.evaluate((el) => parseFloat(getComputedStyle(el).left))).toBeGreaterThan(0); // placed by the style's rules
      const rows = page.locator('.waterfall .row[data-depth]');
      expect(await rows.count()).toBe(timeline.length);

      // Fold the run: every other row goes; unfold: they come back.
      const root = rows.first();
      const shown = () => rows.evaluateAll((els) => els.map((el) => (el as HTMLElement).offsetParent !== null));
      expect(await shown()).toEqual(timeline.map(() => true));
      await root.locator('button.fold').click();
      expect(await shown()).toEqual(timeline.map((_, i) => i === 0));
      await root.locator('button.fold').click();
      expect(await shown()).toEqual(timeline.map(() => true));

      // Open the lookup_order step: every field its events have, as the log has them.
      const lookup = page.locator('.row[data-row="step"]', { hasText: 'lookup_order' });
      const detail = page.locator(`#${await lookup.getAttribute('id')}-detail`);
      expect(await detail.isHidden()).toBe(true);
      await lookup.click();
      expect(await detail.isVisible()).toBe(true);
      const stepEvents = log.events.filter((e) => e.run_id === log.runIds.refunds && e.tool === 'lookup_order');
      const text = await detail.innerText();
      for (const e of stepEvents) {
        expect(text).toContain(e.event as string);
        for (const key of ['span_id', 'args_hash', 'result_hash', 'latency_ms'] as const) if (e[key] !== undefined) expect(text).toContain(String(e[key]));
      }
      await lookup.click();
      expect(await detail.isHidden()).toBe(true);

      // Fold the run, then jump: the failure is unfolded, opened and marked.
      await root.locator('button.fold').click();
      const failure = page.locator('.row.failure');
      expect(await failure.isHidden()).toBe(true);
      await page.locator('a.jump').click();
      expect(await failure.isVisible()).toBe(true);
      expect(await failure.getAttribute('class')).toContain('flash');
      const failureDetail = await page.locator(`#${await failure.getAttribute('id')}-detail`).innerText();
      expect(failureDetail).toContain('TimeoutError');
      expect(failureDetail).toContain('payment gateway timed out for A-2');

      expect(await violationsSeen(page, watch)).toEqual([]);
      expect(watch.errors).toEqual([]);
      expect(watch.requests).toEqual([`file://${out}`]);

      const png = pngPixels(await page.locator('.waterfall').screenshot());
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

      // The policy does block what is not the page's own: an injected inline script does not run, and is reported.
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.pwned = 1';
        document.body.append(s);
      });
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect((await violationsSeen(page, watch)).join('\n')).toMatch(/script-src/);
    } finally {
      await page.close();
    }
  });

  withChromium('shows what a newer library writes: fields and events it does not know, in the step and run details', async () => {
    const file = join(log.dir, 'newer.ndjson');
    writeFileSync(file, `${readFileSync(log.file, 'utf8')}\n${newerRunLines().join('\n')}\n`);
    const out = join(log.dir, 'newer.html');
    cliJson(['html', NEWER_RUN, file, '-o', out]);
    const { page, watch } = await openPage(await theBrowser(), out);
    try {
      expect(await page.locator('p.stop').innerText()).toBe(
        'stopped: the loop guard refused tool `web_search` called again with the same arguments (3 identical calls in a row, refused) after 1 step',
      );
      const model = page.locator('.row[data-row="step"]', { hasText: 'gpt-5' });
      await model.click();
      const detail = page.locator(`#${await model.getAttribute('id')}-detail`);
      for (const [key, value] of [['provider', 'openai'], ['response_id', 'resp_0123abc'], ['time_to_first_token_ms', '12.5']]) {
        const row = detail.locator('tr.unknown', { hasText: key });
        expect(await row.count()).toBe(1);
        expect(await row.innerText()).toContain(value);
      }
      // The provider's request id has the name of a field the inspector knows (the run's request_id): shown all the same.
      expect(await detail.innerText()).toMatch(/request_id\s+req_9f8e7d/);
      const run = page.locator('.row[data-row="run"]').first();
      await run.click();
      const runDetail = await page.locator(`#${await run.getAttribute('id')}-detail`).innerText();
      expect(runDetail).toContain('loop_detected');
      expect(runDetail).toContain('memory_compacted');
      expect(runDetail).toMatch(/trace_flags\s+01/);
      expect(await violationsSeen(page, watch)).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  withChromium('renders the report of every run with stats, hostile names as text, nothing blocked', async () => {
    const out = join(log.dir, 'report.html');
    const written = cliJson<{ runs: number; waterfalls: number }>(['html', '--all', log.file, '-o', out]);
    expect(written.runs).toBe(9);
    expect(written.waterfalls).toBe(8); // billing is drawn inside triage's tree
    const { page, watch } = await openPage(await theBrowser(), out);
    try {
      expect(await page.title()).toBe('agent runs: 9');
      expect(await page.locator('#stats h2').innerText()).toBe('Stats');
      expect(await page.locator('section.run').count()).toBe(8);
      const dom = await page.content();
      expect(dom).not.toMatch(/<img/i);
      expect(dom).toContain('evil\\x1b[2J\\x1b[31m&lt;img src=x onerror="document.title=1"&gt;');
      expect(dom).toContain('\\x1b]0;pwned\\x07&lt;script&gt;document.title="pwned"&lt;/script&gt;');
      expect(await page.title()).toBe('agent runs: 9'); // no hostile name set it
      const triage = page.locator(`section.run[data-run-id="${log.runIds.triage}"]`);
      await triage.locator('.row[data-depth="1"] button.fold').first().click();
      expect(await triage.locator('.row[data-depth="2"]').first().isHidden()).toBe(true);
      expect(await violationsSeen(page, watch)).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
