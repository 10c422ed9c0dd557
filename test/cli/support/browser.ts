/// <reference lib="dom" />
// The functions given to page.evaluate run in the browser.
import type { Browser, Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`), driven by playwright-core: no browser download. The one scripts/screenshot.js uses. */
const chromium = require('../../../scripts/chromium.js') as { CHROMIUM: string | undefined; launchChromium(): Promise<Browser> };
export const CHROMIUM = chromium.CHROMIUM;

if (!CHROMIUM) {
  const message = 'chromium is not installed: the headless-browser checks of the HTML page cannot run (apt-get install chromium)';
  // CI must run them: a missing browser fails there instead of skipping.
  if (process.env.AGENT_LOGGING_CI === '1') throw new Error(message);
  console.warn(`${message}; SKIPPED`);
}

export const withChromium = CHROMIUM ? it : it.skip;

export const launch = (): Promise<Browser> => chromium.launchChromium();

/** What the page reported about its Content-Security-Policy and its own errors while it was open. */
export interface PageWatch {
  /** `securitypolicyviolation` events, and console messages naming the policy. */
  violations: string[];
  errors: string[];
  /** Requests the page tried to make (it must make none but its own file). */
  requests: string[];
}

/** Opens a page from a file with its CSP violations, script errors and requests recorded from the first byte. */
export async function openPage(browser: Browser, file: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const watch: PageWatch = { violations: [], errors: [], requests: [] };
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) watch.violations.push(msg.text());
    else if (msg.type() === 'error') watch.errors.push(msg.text());
  });
  page.on('pageerror', (err) => watch.errors.push(String(err)));
  page.on('request', (req) => watch.requests.push(req.url()));
  // Injected by the browser itself before the page's own code, not by the page: the CSP does not apply to it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const seen = ((window as unknown as { __violations?: string[] }).__violations ??= []);
      seen.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(`file://${file}`);
  return { page, watch };
}

/** The violations the page itself saw (securitypolicyviolation events), after whatever was done on it. */
export async function violationsSeen(page: Page, watch: PageWatch): Promise<string[]> {
  const seen = await page.evaluate(() => (window as unknown as { __violations?: string[] }).__violations ?? []);
  return [...seen, ...watch.violations];
}
