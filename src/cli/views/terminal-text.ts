import type TableType from 'cli-table3';
import pc from 'picocolors';

/**
 * Colours only for a terminal: NO_COLOR (non-empty) turns them off,
 * FORCE_COLOR on; otherwise stdout must be a TTY. picocolors' own default
 * also turns colours on whenever CI is set, which would put escape codes into
 * CI logs and pipes: the decision is made here instead.
 */
function colorsEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Colours for stdout; `colorErr` for stderr, which may go elsewhere. */
export const color = pc.createColors(colorsEnabled(process.stdout));
export const colorErr = pc.createColors(colorsEnabled(process.stderr));

/**
 * Characters a log must never send to a terminal: C0 and C1 controls (ESC, CSI,
 * BEL, backspace, carriage return, newline...), DEL, and the invisible or
 * direction-changing Unicode characters (zero-width, bidi overrides) that can
 * make text read differently from what it is.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Text from the log, made safe for a terminal and cut to `max` characters. */
export function safeText(value: unknown, max = 80): string {
  if (value === undefined || value === null) return '';
  const text = String(value).replace(UNSAFE, escapeChar);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * `--json` output. JSON.stringify escapes C0 controls but not C1 controls or
 * bidi characters; those are written as \u escapes too, so that `cat`ting the
 * output is as safe as the text view. The value parsed back is unchanged.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function toSafeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A borderless table (cli-table3), headers in bold; cells must already be safe. */
export function renderTable(head: string[], rows: string[][], align?: ('left' | 'right')[]): string {
  // Loaded when a table is drawn: `--json` never needs it.
  const Table = require('cli-table3') as typeof TableType;
  const table = new Table({
    head: head.map((h) => color.bold(h)),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: align,
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Status in colour: red for errors, yellow for cancelled or unfinished. */
export function statusText(status: string): string {
  const text = safeText(status, 16);
  if (status === 'error') return color.red(text);
  if (status === 'ok') return color.green(text);
  return color.yellow(text);
}
