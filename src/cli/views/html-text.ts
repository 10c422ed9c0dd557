import { safeText } from './terminal-text.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text from the log for HTML: control characters made visible, then every markup character escaped. */
export function h(value: unknown, max = 200): string {
  return safeText(value, max).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export function statusClass(status: string): string {
  return status === 'error' ? 'status-error' : status === 'ok' ? 'status-ok' : 'status-other';
}

/** A plain table; cells must already be escaped. */
export function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return `<table><thead><tr>${head.map((c, i) => `<th${cls(i)}>${c}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
