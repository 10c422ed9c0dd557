import { createHash } from 'node:crypto';
import type { ReadReport } from '../reading/read-events.js';
import { h } from './html-text.js';
import { PAGE_SCRIPT } from './html-script.js';
import { plural } from './format-units.js';

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}h3{font-size:14px;margin:18px 0 6px}
.meta{color:#66707a;font-size:12px}.stop{font-weight:600;margin:6px 0}.stop.error{color:#c62828}.stop.ok{color:#2e7d32}
.stop.other{color:#a15c00}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
th{font-size:12px;color:#66707a;font-weight:600;border-bottom:1px solid #d9dee3}td.num,th.num{text-align:right}
.status-error{color:#c62828;font-weight:600}.status-ok{color:#2e7d32}.status-other{color:#a15c00}
[hidden]{display:none!important}
.waterfall{margin:8px 0}.row{display:grid;grid-template-columns:minmax(240px,32%) 130px 80px 70px 1fr;gap:0 10px;align-items:center;padding:1px 0}
.row.head{font-size:12px;color:#66707a;font-weight:600;border-bottom:1px solid #d9dee3}
.row[data-detail]{cursor:pointer}.row[data-detail]:hover{background:#f5f8fb}.row.open{background:#eef4fa}.row.flash{outline:2px solid #d32f2f}
.label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.num{text-align:right}
button.fold{border:0;background:none;padding:0 4px 0 0;font:inherit;cursor:pointer;color:#4a5560;width:16px}
.nofold{display:inline-block;width:16px}
.track{position:relative;height:14px;background:#f3f5f7;border-radius:2px}
.bar{position:absolute;top:2px;height:10px;min-width:2px;border-radius:2px;background:#3b82c4}
.bar.run{background:#7a8fa3}.bar.error{background:#d32f2f}.bar.cancelled,.bar.in_flight{background:#e0a100}
.bar.gap{background:repeating-linear-gradient(90deg,#c4ccd4 0 2px,transparent 2px 4px);height:4px;top:5px}
.row.gap{color:#8a949e;font-size:12px;cursor:default}.failure .label{color:#c62828;font-weight:700}
.detail{margin:2px 0 8px 0;padding:6px 10px;border-left:3px solid #3b82c4;background:#f8fafc;font-size:12px}
.detail h4{margin:6px 0 2px;font-size:12px}.detail td{padding:1px 12px 1px 0}.detail .key{color:#66707a}
.detail .unknown .key::after{content:" *"}.jump{font-weight:600;color:#c62828;margin-left:8px}
.failures li{margin:2px 0}section.run{border-top:1px solid #e6e9ec;margin-top:18px}
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * A whole page: one inline style and one inline script, both allowed by
 * their hashes, nothing else — no other script (an injected one would not
 * run), no style attribute, no network. Rows are placed by rules in the
 * style (`extraCss`), so the page needs no `style="..."` and no 'unsafe-inline'.
 */
export function renderPage(title: string, report: ReadReport, sections: string[], extraCss = ''): string {
  const style = `${STYLE}${extraCss}`;
  const csp = `default-src 'none'; script-src ${sha256(PAGE_SCRIPT)}; style-src ${sha256(style)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const skipped = report.not_events + report.truncated + report.too_long;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(title, 200)}</title><style>${style}</style></head>
<body>
<h1>${h(title, 200)}</h1>
<div class="meta">generated ${new Date().toISOString()} by agent-log from ${h(report.sources.join(', '), 400)} · ${plural(report.events, 'event')}${skipped ? ` · ${plural(skipped, 'line')} skipped (${report.not_events} not events, ${report.truncated} truncated)` : ''} · bar positions from millisecond timestamps (±1 ms), lengths from latency_ms · click a row for every field the log has about it, ▾ folds</div>
${sections.join('\n')}
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
