#!/usr/bin/env node
// `node scripts/screenshot.js`: the README's picture of the HTML run page,
// made from the demo's log (run `npm run demo` first): the refund whose payment
// gateway timed out (request demo-4), drawn by `agent-log html` and
// photographed in the headless chromium the HTML test uses, its failure
// jumped to. Writes docs/images/inspector-run-page.png. Not part of npm test.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { launchChromium } = require('./chromium');

const root = path.join(__dirname, '..');
// Relative: the page names its source, and a path of this machine has no place in the README's picture.
const log = path.join('sample-app', 'logs', 'agent-events.ndjson');
const cli = path.join(root, 'dist', 'cjs', 'cli', 'main.js');
const out = path.join(root, 'docs', 'images', 'inspector-run-page.png');
/** The request id the demo gave the refund. */
const REQUEST = 'demo-4';

/** The refund's run id, what its failure answered with: the page is the one a customer's ticket leads to. */
function refundRunId() {
  for (const line of readFileSync(path.join(root, log), 'utf8').split('\n')) {
    if (!line.includes(`"${REQUEST}"`)) continue;
    const event = JSON.parse(line);
    if (event.event === 'run_started' && event.request_id === REQUEST) return event.run_id;
  }
  throw new Error(`${log} has no run of request ${REQUEST}: run \`npm run demo\` again`);
}

async function main() {
  for (const [file, make] of [[cli, 'npm run build'], [path.join(root, log), 'npm run demo']]) {
    if (!existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: run \`${make}\` first`);
  }
  const runId = refundRunId();
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-log-screenshot-'));
  try {
    const page = path.join(dir, 'run.html');
    const html = spawnSync(process.execPath, [cli, 'html', runId, log, '-o', page], { cwd: root, encoding: 'utf8' });
    if (html.status !== 0) throw new Error(`agent-log html ${runId} failed: ${html.stderr}`);
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1100, height: 668 }, deviceScaleFactor: 1 });
      await tab.goto(`file://${page}`);
      await tab.waitForSelector('html[data-ready="1"]');
      // What on-call does first: jump to the failure, which opens every field the log has about it (the picture ends
      // with its error message).
      await tab.click('a.jump');
      await tab.evaluate(() => window.scrollTo(0, 0));
      await tab.screenshot({ path: out });
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`wrote ${path.relative(process.cwd(), out)}: run ${runId} (request ${REQUEST}) of ${log}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
