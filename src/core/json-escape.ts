// JSON.stringify escapes these in a string (and only these, with surrogates
// paired or not); a string without any is written as itself between quotes.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** Below this length a loop over char codes beats the regular expression (keys, short values); from it on, the expression wins. */
const SHORT = 16;

/** Whether `s` has a character JSON escapes, or a surrogate (paired or lone), which callers treat apart. */
export function needsJsonEscape(s: string): boolean {
  if (s.length >= SHORT) return NEEDS_ESCAPE.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}
