'use strict';
// The headless browser the HTML run page is checked and photographed in:
// Debian's chromium (`apt-get install chromium`), driven by playwright-core,
// no browser download. Used by test/cli/support/browser.ts and scripts/screenshot.js.
const { existsSync } = require('node:fs');

/** The chromium binary, or undefined where it is not installed. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

/** Starts headless chromium (playwright-core's Browser). */
function launchChromium() {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

module.exports = { CHROMIUM, launchChromium };
