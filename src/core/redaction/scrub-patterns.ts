/**
 * The secret shapes scrubbed from every error message (and every captured
 * value), in the order they are applied. Distinctive prefixes (ghp_, AKIA,
 * eyJ…) match anywhere, even glued to other text (`key_AKIA…`); short or
 * ambiguous ones only after a non-alphanumeric character. Each pattern is global and every
 * quantifier is bounded, so a pattern's work per position is a constant and
 * scrubbing stays linear in the (already capped) text: no catastrophic
 * backtracking on hostile input.
 */
export interface ScrubRule {
  /** What the README calls it. */
  readonly name: string;
  readonly pattern: RegExp;
  /** The replacement text, given the match; returning the match unchanged leaves it (a number that fails Luhn). */
  readonly replace: (match: RegExpExecArray) => string;
}

const token = (text: string) => () => text;

/** The Luhn checksum, so that only numbers that can be card numbers are taken for one. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const HEX = '[0-9a-f]{1,4}';
const IPV6 = [
  `(?:${HEX}:){7}${HEX}`,
  `(?:${HEX}:){1,7}:`,
  `(?:${HEX}:){1,6}:${HEX}`,
  `(?:${HEX}:){1,5}(?::${HEX}){1,2}`,
  `(?:${HEX}:){1,4}(?::${HEX}){1,3}`,
  `(?:${HEX}:){1,3}(?::${HEX}){1,4}`,
  `(?:${HEX}:){1,2}(?::${HEX}){1,5}`,
  `${HEX}:(?::${HEX}){1,6}`,
  `:(?:(?::${HEX}){1,7}|:)`,
].join('|');
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

export const BUILT_IN_SCRUB_RULES: readonly ScrubRule[] = [
  {
    // postgres://user:password@host: the whole userinfo goes
    name: 'url_credentials',
    pattern: /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@:]{1,256}:[^\s/?#@]{1,256}@/gi,
    replace: (m) => `${m[1]}[credentials]@`,
  },
  { name: 'bearer_token', pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{8,4096}=*/gi, replace: token('Bearer [token]') },
  {
    // "Basic authentication failed" stays: only base64 that decodes to user:password is taken
    name: 'basic_credentials',
    pattern: /\bBasic\s+([A-Za-z0-9+/]{4,1024}={0,2})(?![A-Za-z0-9+/=])/gi,
    replace: (m) => (Buffer.from(m[1], 'base64').toString('latin1').includes(':') ? 'Basic [token]' : m[0]),
  },
  { name: 'jwt', pattern: /eyJ[A-Za-z0-9_-]{1,8192}\.eyJ[A-Za-z0-9_-]{1,16384}\.[A-Za-z0-9_-]{0,8192}/g, replace: token('[jwt]') },
  {
    // password=..., "api_key": "...", secret: ... (the name stays, the value goes; one already [Redacted] stays)
    name: 'secret_assignment',
    pattern: /(?<![A-Za-z0-9])(password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token)("?\s{0,8}[=:]\s{0,8}"?)(?!\[)[^\s"',;&]{1,512}/gi,
    replace: (m) => `${m[1]}${m[2]}[redacted]`,
  },
  // sk- is short: not after a letter or digit, so "task-0123456789abcdef01" stays
  { name: 'api_key', pattern: /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,512}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,256}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /xox[abposr]-[A-Za-z0-9-]{10,256}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /AIza[0-9A-Za-z_-]{35}/g, replace: token('[api_key]') },
  { name: 'aws_access_key', pattern: /(?:AKIA|ASIA)[A-Z0-9]{16}/g, replace: token('[aws_key]') },
  { name: 'github_token', pattern: /(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/g, replace: token('[github_token]') },
  { name: 'email', pattern: /[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}-]{1,63}\.){1,8}\p{L}{2,24}/gu, replace: token('[email]') },
  {
    // 13 to 19 digits starting 2-6 (the card networks' ranges; a millisecond timestamp starts with 1), spaces
    // or dashes allowed between, and only when the Luhn checksum holds
    name: 'card_number',
    pattern: /(?<![A-Za-z0-9])[2-6]\d(?:[ -]?\d){11,17}(?!\d)/g,
    replace: (m) => {
      const digits = m[0].replace(/[ -]/g, '');
      return passesLuhn(digits) ? '[card]' : m[0];
    },
  },
  // not inside a longer dotted number (1.2.3.4.5, 10.0.0.1234)
  { name: 'ipv4', pattern: new RegExp(`(?<![0-9.])(?:${OCTET}\\.){3}${OCTET}(?![0-9]|\\.[0-9])`, 'g'), replace: token('[ip]') },
  // with at least one digit, so Rust's Add::add and C++'s std::io stay
  { name: 'ipv6', pattern: new RegExp(`(?<![A-Za-z0-9:])(?=[0-9a-f:]{0,45}\\d)(?:${IPV6})(?![A-Za-z0-9:])`, 'gi'), replace: token('[ip]') },
];
