import { isIPv4, isIPv6 } from 'node:net';

/**
 * The secret shapes scrubbed from every error message (and every captured
 * value), in the order they are applied: the shapes that can hold others come
 * first (an assignment's value may be a URL or a key, a URL's password may
 * look like an email), and keys with a distinctive prefix before the shapes
 * whose edges are fuzzy (an email's domain could run into a glued key).
 *
 * Every pattern runs in time linear in the text, by construction (docs/privacy.md,
 * "Linear time", gives the argument pattern by pattern; `bench/scrub.bench.js`
 * shows the worst case; `test/core/scrub-linear-time.spec.ts` has recheck prove
 * it): a repetition that may scan far either can never fail once it started
 * (its match simply ends there), or starts only where no other attempt's scan
 * reaches (a look-behind makes it begin at the start of a run, never inside
 * one). No repetition is bounded by a count: a bound would leave the tail of a
 * longer secret in the log.
 */
export interface ScrubRule {
  /** What the docs call it. */
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

// ---------------------------------------------------------------- assignments

/** A separator inside a name: `api_key`, `api-key`, `api.key`, `api%5Fkey`; camelCase needs none (the flag is `i`). */
const SEP = '(?:[_.-]|%5f|%2d)?';
/**
 * Names whose value is a secret, as the last word of a longer name too:
 * `password`, `DB_PASSWORD`, `dbPassword`, `spring.datasource.password`,
 * `AWS_SECRET_ACCESS_KEY`, `client_secret`, `GITHUB_TOKEN`, `x-api-key`.
 * The name must end there (`passwords`, `max_tokens`, `secretName` are not
 * names of a secret).
 */
const SECRET_NAME = [
  'pass(?:word|wd|phrase)',
  `[_.-]pass`,
  'pwd',
  'secret',
  'token',
  `api${SEP}key`,
  `(?:secret|private|access|signing|encryption|master|client)${SEP}key`,
  'credentials?',
  'authorization',
  `[_.-]auth`,
  `session${SEP}(?:id|key)`,
].join('|');
/** The quotes a name may be closed with before its operator: JSON, Python, JSON inside a JSON string, percent-encoded, HTML. */
const NAME_QUOTE = `(?:\\\\?["'\`]|%2[27]|&quot;|&#39;)?`;
const OPERATOR = '(?:=>|:=|[:=]|%3[ad])';
/**
 * A value up to its closing quote, or to the end of the text when none comes
 * (so a value cut by the look-ahead window is taken whole too): double quotes
 * with backslash escapes, single quotes with backslash escapes or SQL's
 * doubled quote, backticks, `\"` (JSON inside a JSON string), `%22` / `%27`
 * (percent-encoded), `&quot;` (HTML). A closing quote is found by one forward
 * scan that cannot fail, so a value costs its length once.
 */
const QUOTED_VALUE = [
  '\\\\"(?:[^\\\\]|\\\\(?!"))*(?:\\\\"|$)',
  // A lone backslash may end a value cut by the window: it is taken too, so the scan never fails.
  '"(?:[^"\\\\]|\\\\[^])*(?:"|\\\\?$)',
  "'(?:[^'\\\\]|\\\\[^]|'')*(?:'|\\\\?$)",
  '`[^`]*(?:`|$)',
  // A percent-encoded backslash escapes the octet after it (`%5C%22` is a quote inside the value).
  '%22(?:%5c%[0-9a-f]{2}|(?!%22)[^])*(?:%22|$)',
  '%27(?:%5c%[0-9a-f]{2}|(?!%27)[^])*(?:%27|$)',
  '&quot;(?:(?!&quot;)[^])*(?:&quot;|$)',
].join('|');
/**
 * An unquoted value ends at white space, `"` or a backtick, `,` `;` `&` (the
 * next member of a list or a query string) or `<` (markup): a password holding
 * one of those must be quoted to be removed whole. A closing bracket or `'`
 * is taken with it (`Config{password=abc}` loses its `}`), since a query
 * string or a password may hold them. An HTTP auth scheme before it
 * (`Authorization: Bearer …`) goes with it; one already redacted
 * (`[Redacted]`, pino's censor) stays.
 */
const UNQUOTED_VALUE = '(?!\\[)(?:(?:bearer|basic|token|bot|digest|apikey|negotiate)[ \\t]+)?[^\\s"`,;&<]+';

const QUOTES: readonly [open: string, close: string][] = [
  ['\\"', '\\"'],
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['%22', '%22'],
  ['%27', '%27'],
  ['&quot;', '&quot;'],
];

/** A value already replaced by a token: ours, or pino's `[Redacted]` censor. */
const ALREADY_REDACTED = /^\[[A-Za-z_]{1,24}\]$/;

/** `[redacted]` in place of a value, its quotes kept (the closing one only if it was there); a token stays as it is. */
function redactValue(value: string): string {
  for (const [open, close] of QUOTES) {
    if (!value.startsWith(open)) continue;
    const closed = value.length >= open.length + close.length && value.endsWith(close);
    const inner = value.slice(open.length, closed ? value.length - close.length : value.length);
    return ALREADY_REDACTED.test(inner) ? value : `${open}[redacted]${closed ? close : ''}`;
  }
  return '[redacted]';
}

// ---------------------------------------------------------------- card numbers

const CARD_MIN = 13;
const CARD_MAX = 19;

/**
 * A run of digit groups (`4111 1111 1111 1111 12`, `22 4111111111111111`)
 * with every card number inside it replaced: any run of whole groups with 13
 * to 19 digits, starting 2 to 6 (the card networks' ranges; a millisecond
 * timestamp starts with 1), that passes Luhn. So a card followed or preceded
 * by other numbers (an expiry, a quantity) is found, and only the card goes.
 * Overlapping candidates are replaced as one.
 */
function replaceCards(run: string): string {
  const groups: { start: number; end: number }[] = [];
  const re = /[0-9]+/g;
  for (let m = re.exec(run); m !== null; m = re.exec(run)) groups.push({ start: m.index, end: m.index + m[0].length });
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < groups.length; i++) {
    const first = run.charCodeAt(groups[i].start);
    if (first < 0x32 || first > 0x36) continue;
    let digits = '';
    for (let j = i; j < groups.length; j++) {
      digits += run.slice(groups[j].start, groups[j].end);
      if (digits.length > CARD_MAX) break;
      if (digits.length >= CARD_MIN && passesLuhn(digits)) {
        const last = spans[spans.length - 1];
        if (last && groups[i].start <= last.end) last.end = Math.max(last.end, groups[j].end);
        else spans.push({ start: groups[i].start, end: groups[j].end });
      }
    }
  }
  if (spans.length === 0) return run;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += `${run.slice(at, span.start)}[card]`;
    at = span.end;
  }
  return out + run.slice(at);
}

// ---------------------------------------------------------------- JWTs

/**
 * A run of base64url characters and dots with each JWT in it replaced: a
 * segment holding `eyJ` (a JSON header) followed by one starting `eyJ` (the
 * claims), and the signature after them. The JWT starts at the header's `eyJ`
 * even when other text is glued before it (`token_eyJ…`).
 */
function replaceJwts(run: string): string {
  const parts = run.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const at = parts[i].indexOf('eyJ');
    if (at !== -1 && i + 1 < parts.length && parts[i + 1].startsWith('eyJ')) {
      out.push(`${parts[i].slice(0, at)}[jwt]`);
      i += 2; // the claims and the signature (empty for alg none)
    } else {
      out.push(parts[i]);
    }
  }
  return out.join('.');
}

// ---------------------------------------------------------------- addresses

/** An IPv6 address (a digit in it, so Rust's `Add::add` stays), possibly with one trailing `.` or `:` of the sentence. */
function replaceIpv6(run: string): string {
  if (!/[0-9]/.test(run) || run.indexOf(':') === run.lastIndexOf(':')) return run;
  if (isIPv6(run)) return '[ip]';
  const last = run[run.length - 1];
  if ((last === '.' || last === ':') && !run.endsWith('::') && isIPv6(run.slice(0, -1))) return `[ip]${last}`;
  return run;
}

/** Exactly four octets: a longer dotted number (a version `1.2.3.4.5`, `10.0.0.1234`) stays. */
const replaceIpv4 = (run: string): string => (isIPv4(run) ? '[ip]' : run);

// ---------------------------------------------------------------- the rules

// The local part of an email, in every script; `%` for percent-encoded ones.
const EMAIL_LOCAL = '[\\p{L}\\p{N}\\p{M}_.%+-]';
// What an email's run may hold before its last `@`: the local part, and `@`s (`x@a.io@b.io` is one run, taken whole).
const EMAIL_RUN = '[\\p{L}\\p{N}\\p{M}_.%+@-]';
// `@` and its common encodings: percent (once and twice), HTML entities, JSON and JavaScript escapes.
const AT_SIGN = '(?:@|%40|%2540|&#0*64;|&#[xX]0*40;|\\\\u0040|\\\\x40|&commat;)';
const DOMAIN = '(?:[\\p{L}\\p{N}\\p{M}_-]+\\.)+(?:\\p{L}[\\p{L}\\p{M}]+|xn--[a-z0-9-]+)';
const EMAIL_LOCAL_ONLY = new RegExp(`^${EMAIL_LOCAL}+$`, 'u');
const EMAIL_DOMAIN = new RegExp(DOMAIN, 'uy');

export const BUILT_IN_SCRUB_RULES: readonly ScrubRule[] = [
  {
    // password=…, "api_key": "…", 'secret': '…', DSN password='…', AWS_SECRET_ACCESS_KEY=…, api_key: …
    // (the name stays, the value goes)
    name: 'secret_assignment',
    pattern: new RegExp(`((?:${SECRET_NAME})${NAME_QUOTE}[ \\t]*${OPERATOR}[ \\t]*)(?:${QUOTED_VALUE}|${UNQUOTED_VALUE})`, 'gi'),
    replace: (m) => `${m[1]}${redactValue(m[0].slice(m[1].length))}`,
  },
  {
    // <password>…</password>, <db:secret>…</db:secret>
    name: 'secret_element',
    pattern: new RegExp(`(<[A-Za-z0-9_.:-]*(?:${SECRET_NAME})[ \\t]*>)[^<]+`, 'gi'),
    replace: (m) => `${m[1]}[redacted]`,
  },
  {
    // Cookie: a=b; c=d — the whole header value
    name: 'cookie_header',
    pattern: /(\b(?:set-)?cookie[ \t]*:[ \t]*)[^\r\n]+/gi,
    replace: (m) => `${m[1]}[redacted]`,
  },
  { name: 'bearer_token', pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, replace: token('Bearer [token]') },
  {
    // "Basic authentication failed" stays: only base64 that decodes to user:password is taken
    name: 'basic_credentials',
    pattern: /\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})/gi,
    replace: (m) => (Buffer.from(m[1], 'base64').toString('latin1').includes(':') ? 'Basic [token]' : m[0]),
  },
  {
    // A run of base64url and dots holding `eyJ`, started where the run starts: one attempt per run.
    name: 'jwt',
    pattern: /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*eyJ[A-Za-z0-9_.-]*/g,
    replace: (m) => replaceJwts(m[0]),
  },
  // Keys with a distinctive prefix, before URLs and emails: a key glued after `x@a.` must not become a TLD.
  // sk- is short: not after a letter or digit, so "task-0123456789abcdef01" stays
  { name: 'api_key', pattern: /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /xox[abposre]-[A-Za-z0-9-]{10,}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /AIza[0-9A-Za-z_-]{35}|ya29\.[A-Za-z0-9_-]{20,}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, replace: token('[api_key]') },
  { name: 'api_key', pattern: /(?<![A-Za-z0-9])(?:hf_[A-Za-z0-9]{30,}|gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,})/g, replace: token('[api_key]') },
  { name: 'aws_access_key', pattern: /(?:AKIA|ASIA)[A-Z0-9]{16}/g, replace: token('[aws_key]') },
  { name: 'github_token', pattern: /gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}/g, replace: token('[github_token]') },
  {
    // scheme://user:password@host, //:password@host, //token@host: the whole userinfo goes, up to the last `@`
    // before the host, as a URL parser reads it (an `@` or `:` inside the password included). A userinfo
    // without `:` before a domain (`//jane@example.com`) is an email, left whole to the email rule.
    name: 'url_credentials',
    pattern: /\/\/[^\s/?#"<>`\\{}|^]*@/g,
    replace: (m) => {
      const userinfo = m[0].slice(2, -1);
      if (!userinfo.includes(':') && EMAIL_LOCAL_ONLY.test(userinfo)) {
        EMAIL_DOMAIN.lastIndex = m.index + m[0].length;
        if (EMAIL_DOMAIN.test(m.input)) return m[0];
      }
      return '//[credentials]@';
    },
  },
  {
    // jane.doe@example.com, jane.doe%40example.com, jane&#64;example.com, jane\u0040example.com; Unicode too.
    // The match starts where its run of local-part characters and `@`s starts (one attempt per run) and
    // ends with the domain after the last `@` of the run that is followed by one.
    name: 'email',
    pattern: new RegExp(`(?<!${EMAIL_RUN})${EMAIL_RUN}+${AT_SIGN}${DOMAIN}`, 'gu'),
    replace: token('[email]'),
  },
  {
    // A run of digit groups with 13 digits or more, started where the run starts: one attempt per run.
    name: 'card_number',
    pattern: /(?<![0-9])(?<![0-9][ -])[0-9](?:[ -]?[0-9]){12,}/g,
    replace: (m) => replaceCards(m[0]),
  },
  {
    // A run of hex digits, colons and dots with a colon in it, not glued to a word; validated whole.
    name: 'ipv6',
    pattern: /(?<![0-9A-Za-z:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/g,
    replace: (m) => replaceIpv6(m[0]),
  },
  {
    // A dotted run of numbers not inside a longer one; validated whole.
    name: 'ipv4',
    pattern: /(?<![0-9.])[0-9]+(?:\.[0-9]+){3,}/g,
    replace: (m) => replaceIpv4(m[0]),
  },
];
