import { types } from 'node:util';
import { AgentLoggingConfigError } from '../errors.js';
import { BUILT_IN_SCRUB_RULES, type ScrubRule } from './scrub-patterns.js';

export type ErrorMessageMode = 'scrubbed' | 'raw' | 'omit';

export interface ScrubberOptions {
  /** Default `scrubbed`. */
  mode?: ErrorMessageMode;
  /** At most this many characters come out, the last one `…` when the text was cut. Default 500. */
  maxLength?: number;
  /** Extra patterns to replace with `[redacted]`, on top of the built-in ones. */
  patterns?: RegExp[];
}

/** Turns a hostile string into one fit for a log line, or undefined to leave the field out. */
export type Scrubber = (text: string) => string | undefined;

export const DEFAULT_ERROR_MESSAGE_MAX_LENGTH = 500;

/**
 * How far past the cut the patterns still look, so a secret straddling the
 * cut is recognised whole (and replaced) instead of leaving its first half. A
 * secret longer than that (a huge JWT) is never seen whole: the text is cut
 * before it instead (see `cutBeforeUnfinishedJwt`).
 */
export const SCRUB_LOOKAHEAD = 1024;

// Control characters (C0, DEL, C1), line and paragraph separators and bidi
// controls: a message stays one line in every viewer (jq -r, tail, terminals,
// pino-pretty) and cannot move a cursor or reorder what is displayed.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const isLeadSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const JWT_CHAR = /[A-Za-z0-9_.-]/;

/**
 * When the window ends inside the text, a JWT may straddle its end, too long
 * to be recognised (its second dot lies past the window): if the run of
 * base64url characters and dots the window ends in holds an `eyJ` (a JWT's
 * start) before `keep`, the kept text ends right before that `eyJ`, so no part
 * of it is shown. Every other shape is recognised from its beginning (keys,
 * Bearer tokens, assignment values are replaced as far as the window goes) or
 * is far shorter than the look-ahead (emails, cards, URL userinfo).
 */
function cutBeforeUnfinishedJwt(text: string, keep: number): number {
  let start = text.length;
  while (start > 0 && JWT_CHAR.test(text[start - 1])) start--;
  if (start >= keep) return keep;
  const at = text.indexOf('eyJ', start);
  return at !== -1 && at < keep ? at : keep;
}

/**
 * Checks `scrubPatterns` at configuration time: RegExp instances that cannot
 * match the empty string (which would redact between every character).
 */
export function assertValidScrubPatterns(patterns: unknown): asserts patterns is RegExp[] {
  if (!Array.isArray(patterns)) throw new AgentLoggingConfigError('scrubPatterns must be an array');
  patterns.forEach((p, i) => {
    if (!types.isRegExp(p)) throw new AgentLoggingConfigError(`scrubPatterns[${i}] is not a RegExp`);
    if (new RegExp(p.source, p.flags.replace(/[gy]/g, '')).test('')) {
      throw new AgentLoggingConfigError(`scrubPatterns[${i}] ${String(p)} matches the empty string`);
    }
  });
}

/** User patterns always apply to every occurrence: a global, non-sticky copy (the caller's lastIndex is never touched). */
function userRule(p: RegExp): ScrubRule {
  const flags = p.flags.replace('y', '');
  return { name: 'custom', pattern: new RegExp(p.source, flags.includes('g') ? flags : `${flags}g`), replace: () => '[redacted]' };
}

/**
 * Applies one rule to `text`, and maps `keep` (where the kept part of the
 * text ends) through the replacements. A match that straddles `keep` is kept
 * whole, replaced; matches starting at or past it are not even looked for.
 */
function applyRule(rule: ScrubRule, text: string, keep: number): { text: string; keep: number } {
  const re = rule.pattern;
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  let mappedKeep = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m.index < keep) {
    const match = m[0];
    if (match === '') {
      re.lastIndex += 1;
      continue;
    }
    const replacement = rule.replace(m);
    if (replacement === match) continue;
    out += text.slice(last, m.index) + replacement;
    last = m.index + match.length;
    if (last >= keep) {
      mappedKeep = out.length;
      break;
    }
  }
  if (last === 0) return { text, keep };
  if (mappedKeep < 0) mappedKeep = out.length + (keep - last);
  return { text: out + text.slice(last), keep: mappedKeep };
}

/**
 * Builds the scrubber for `error_message` (and for captured values): cut to
 * `maxLength`, with a look-ahead so no secret is half-seen at the cut; the
 * built-in secret shapes and the user's patterns replaced (`scrubbed` mode);
 * control characters turned into spaces and lone surrogates into U+FFFD (every
 * mode). `omit` drops the field. Never throws on any input.
 *
 * @example createScrubber({ patterns: [/order-\d+/] })('no order-123 for jane@example.com') // 'no [redacted] for [email]'
 */
export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  const mode = options.mode ?? 'scrubbed';
  const max = options.maxLength ?? DEFAULT_ERROR_MESSAGE_MAX_LENGTH;
  const rules = mode === 'scrubbed' ? [...BUILT_IN_SCRUB_RULES, ...(options.patterns ?? []).map(userRule)] : [];
  return (input) => {
    if (mode === 'omit') return undefined;
    const text = String(input);
    const cut = text.length > max;
    // Cut first, so a 50 MB message costs what a short one does; scrub only what can be kept.
    const window = max + SCRUB_LOOKAHEAD;
    let state = { text: cut ? text.slice(0, window) : text, keep: cut ? max : text.length };
    for (const rule of rules) state = applyRule(rule, state.text, state.keep);
    // The window ends inside the text (or where a caller cut it already, as the inspector does).
    if (mode === 'scrubbed' && text.length >= window) state.keep = cutBeforeUnfinishedJwt(state.text, state.keep);
    let out = state.text.slice(0, state.keep);
    if (cut || out.length > max) {
      // never split a surrogate pair at the cut
      const end = max - 1 > 0 && isLeadSurrogate(out.charCodeAt(max - 2)) ? max - 2 : max - 1;
      out = `${out.slice(0, end)}…`;
    }
    return out.replace(UNSAFE_CHARS, ' ').replace(LONE_SURROGATE, '\ufffd');
  };
}
