import type { ReadReport } from '../reading/read-events.js';
import { colorErr, safeText, toSafeJson } from '../views/terminal-text.js';
import { plural } from '../views/format-units.js';

/** Writes `--json` output: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${toSafeJson(value)}\n`);
}

export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** What was read and what was skipped, on stderr so that stdout stays the answer. */
export function noteReport(report: ReadReport, warning?: string, scanned?: string): void {
  const skipped = [
    report.not_events && `${plural(report.not_events, 'line')} that ${report.not_events === 1 ? 'is not an event' : 'are not events'}`,
    report.truncated && `${plural(report.truncated, 'truncated line')}`,
    report.too_long && `${plural(report.too_long, 'line')} longer than 8 MiB`,
  ].filter(Boolean);
  const sources = report.sources.map((s) => (s === '-' ? 'stdin' : safeText(s, 200))).join(', ');
  const mb = (report.bytes / 1e6).toFixed(1);
  const line = `read ${sources} (${mb} MB${scanned ? `, ${scanned}` : ''}): ${plural(report.events, 'event')}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`;
  process.stderr.write(`${colorErr.dim(line)}\n`);
  if (warning) process.stderr.write(`${colorErr.yellow(`warning: ${safeText(warning, 2000)}`)}\n`);
}
