import fc from 'fast-check';
import { passesLuhn } from '../../src/core/redaction/scrub-patterns';

/**
 * Generators of secrets, each as a pair of twins: two secrets of the same
 * shape and length whose secret characters were drawn independently. If the
 * scrubber replaces a secret whole, or cuts the text before it, what comes
 * out cannot depend on which twin went in; if any part of it shows, the two
 * outputs differ. `cores` are the random parts, for a plainer check too.
 */
export interface Twins {
  shape: string;
  secrets: [string, string];
  cores: [string, string];
  /** What may be glued right before and after the secret without changing what it is. */
  glueBefore: fc.Arbitrary<string>;
  glueAfter: fc.Arbitrary<string>;
}

const chars = (alphabet: string, length: number) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length });
const same = (alphabet: string, length: number) => fc.tuple(chars(alphabet, length), chars(alphabet, length));
/** A long random string from a seed: cheap to generate at any length (fast-check's own would shrink char by char). */
const seeded = (alphabet: string, length: number) =>
  fc.integer().map((seed) => {
    let state = seed >>> 0 || 1;
    let out = '';
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out += alphabet[(state >>> 0) % alphabet.length];
    }
    return out;
  });
const sameLong = (alphabet: string, length: number) => (length <= 64 ? same(alphabet, length) : fc.tuple(seeded(alphabet, length), seeded(alphabet, length)));
const pick = <T>(...values: T[]) => fc.constantFrom(...values);

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const ALNUM = LOWER + UPPER + DIGITS;
const B64URL = `${ALNUM}_-`;

/** Characters that end a word or a value: quotes, brackets, separators, white space, line breaks. */
export const DELIMITERS = ' \n\t\r"\'`()[]{}<>,;:=!?|/\\*#';
const delimiter = fc.constantFrom(...DELIMITERS.split(''));
/** Anything at all, a letter or digit glued on included. */
const anyGlue = fc.oneof(delimiter, fc.constantFrom(...'aZ9_.-%@+'.split('')), fc.constant(''));
// Where a shape needs a boundary, the glue is never empty: the noise beside it could be a letter or a digit.
const notWordGlue = delimiter;
const notAlnumGlue = fc.oneof(delimiter, fc.constantFrom('_', '.', '%'));

// ---------------------------------------------------------------- card numbers

function luhnComplete(digits: string): string {
  for (let d = 0; d <= 9; d++) if (passesLuhn(digits + d)) return digits + d;
  throw new Error('unreachable');
}

/** Digit groups as printed: all together, in fours, Amex's 4-6-5, or arbitrary. */
function groupings(length: number): fc.Arbitrary<number[]> {
  const fours = Array.from({ length: Math.ceil(length / 4) }, (_, i) => Math.min(4, length - i * 4));
  const options: fc.Arbitrary<number[]>[] = [fc.constant([length]), fc.constant(fours)];
  if (length === 15) options.push(fc.constant([4, 6, 5]));
  options.push(
    fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 19 }).map((sizes) => {
      const out: number[] = [];
      let left = length;
      for (const size of sizes) {
        if (left === 0) break;
        out.push(Math.min(size, left));
        left -= out[out.length - 1];
      }
      if (left > 0) out.push(left);
      return out;
    }),
  );
  return fc.oneof(...options);
}

const card = (length: number) =>
  fc.tuple(fc.constantFrom('2', '3', '4', '5', '6'), chars(DIGITS, length - 2)).map(([first, rest]) => luhnComplete(first + rest));

/** True when a window of whole groups that includes a neighbour could itself pass for a card. */
function neighbourMakesACard(groups: string[], neighbours: Set<number>): boolean {
  for (let i = 0; i < groups.length; i++) {
    if (!'23456'.includes(groups[i][0])) continue;
    let digits = '';
    let touches = false;
    for (let j = i; j < groups.length; j++) {
      digits += groups[j];
      touches ||= neighbours.has(j);
      if (digits.length > 19) break;
      if (touches && digits.length >= 13 && passesLuhn(digits)) return true;
    }
  }
  return false;
}

const cardTwins: fc.Arbitrary<Twins> = fc
  .integer({ min: 13, max: 19 })
  .chain((length) =>
    fc.tuple(
      fc.tuple(card(length), card(length)),
      groupings(length),
      pick(' ', '-'),
      // Numbers printed beside it, in the same run: a quantity before, an expiry or a code after.
      fc.option(fc.integer({ min: 1, max: 3 }).chain((n) => chars(DIGITS, n)), { nil: undefined }),
      fc.option(pick('12/26', '12', '123', '0925', '99'), { nil: undefined }),
    ),
  )
  .filter(([pair, sizes, , before, after]) =>
    pair.every((digits) => {
      const groups = split(digits, sizes);
      const all = [...(before ? [before] : []), ...groups, ...(after ? [after.split('/')[0]] : [])];
      const neighbours = new Set<number>([...(before ? [0] : []), ...(after ? [all.length - 1] : [])]);
      return !neighbourMakesACard(all, neighbours);
    }),
  )
  .map(([pair, sizes, sep, before, after]) => {
    const printed = pair.map((digits) => [...(before ? [before] : []), ...split(digits, sizes), ...(after ? [after] : [])].join(sep)) as [string, string];
    return {
      shape: 'card number',
      secrets: printed,
      cores: pair,
      // Never empty, never a digit or a separator: that would make the run longer than the generator knows.
      glueBefore: fc.constantFrom(...'\n"\'():=,;/[]<>xZ_'.split('')),
      glueAfter: fc.constantFrom(...'\n"\'():=,;/[]<>xZ_.'.split('')),
    };
  });

function split(digits: string, sizes: number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(digits.slice(at, at + size));
    at += size;
  }
  return out;
}

// ---------------------------------------------------------------- JWTs

/** JWTs of every length, up to ones whose second dot lies far past the look-ahead window. */
const jwtTwins: fc.Arbitrary<Twins> = fc
  .tuple(fc.integer({ min: 4, max: 60 }), fc.oneof(fc.integer({ min: 8, max: 200 }), fc.integer({ min: 200, max: 3000 })), fc.integer({ min: 0, max: 90 }))
  .chain(([h, p, s]) => fc.tuple(same(B64URL, h), sameLong(B64URL, p), same(B64URL, s)))
  .map(([[h1, h2], [p1, p2], [s1, s2]]) => ({
    shape: 'JWT',
    secrets: [`eyJ${h1}.eyJ${p1}.${s1}`, `eyJ${h2}.eyJ${p2}.${s2}`] as [string, string],
    cores: [h1 + p1 + s1, h2 + p2 + s2] as [string, string],
    glueBefore: anyGlue,
    glueAfter: fc.oneof(delimiter, fc.constant('')),
  }));

// ---------------------------------------------------------------- URL userinfo

const UNRESERVED = `${ALNUM}-._~`;
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = () => fc.tuple(fc.constantFrom(...'0123456789ABCDEF'.split('')), fc.constantFrom(...'0123456789ABCDEF'.split(''))).map(([a, b]) => `%${a}${b}`);
/** A userinfo character: unreserved, a sub-delimiter, `:`, or the `@` real passwords hold. */
const USERINFO_CHARS = `${UNRESERVED}${UNRESERVED}${UNRESERVED}${SUB_DELIMS}:@`;
/** Twin passwords of one layout: percent-encoded octets at the same places in both, so both are as long. */
const userinfoPart = (min: number, max: number) =>
  fc
    .array(fc.boolean(), { minLength: min, maxLength: max })
    .chain((layout) => {
      const one = fc.tuple(...layout.map((encoded) => (encoded ? PCT() : fc.constantFrom(...USERINFO_CHARS)))).map((units) => units.join(''));
      return fc.tuple(one, one);
    })
    .map(([a, b]) => [[a], [b]] as [string[], string[]]);

const urlTwins: fc.Arbitrary<Twins> = fc
  .tuple(
    pick('postgres', 'postgresql', 'redis', 'rediss', 'mongodb+srv', 'mysql', 'amqp', 'https', 'ftp', 'smtp'),
    pick('user:password', 'empty user', 'user only', 'empty password'),
    fc.integer({ min: 1, max: 24 }).chain((n) => same(ALNUM, n)),
    userinfoPart(1, 40),
    pick('db.internal:5432/orders', 'cache:6379', '10.0.0.5/app', 'localhost', '[::1]:8080/x?y=1#z', 'cluster0.mongodb.net/?retryWrites=true'),
  )
  .map(([scheme, form, [u1, u2], [p1, p2], host]) => {
    // A userinfo with no `:` before a domain is read as an email; give it a host without a dot so it stays a URL.
    const at = form === 'user only' && host.includes('.') ? 'localhost:8080' : host;
    const make = (password: string[], user: string) => {
      const pass = password.join('');
      const userinfo = form === 'user:password' ? `${user}:${pass}` : form === 'empty user' ? `:${pass}` : form === 'empty password' ? `${user}:` : pass.replace(/[:@]/g, 'x');
      return { text: `${scheme}://${userinfo}@${at}`, core: userinfo };
    };
    const [a, b] = [make(p1, u1), make(p2, u2)];
    return { shape: `URL userinfo (${form})`, secrets: [a.text, b.text] as [string, string], cores: [a.core, b.core] as [string, string], glueBefore: anyGlue, glueAfter: notWordGlue };
  });

// ---------------------------------------------------------------- credential assignments

/** Names in every common naming style. */
const SECRET_NAMES = [
  'password', 'Password', 'PASSWORD', 'passwd', 'pwd', 'passphrase', 'db_password', 'DB_PASSWORD', 'dbPassword', 'db.password',
  'spring.datasource.password', 'PGPASSWORD', 'MYSQL_ROOT_PASSWORD', 'db_pass', 'secret', 'client_secret', 'clientSecret',
  'CLIENT_SECRET', 'api_key', 'apiKey', 'API_KEY', 'api-key', 'x-api-key', 'X-Api-Key', 'apikey', 'api%5Fkey', 'access_token',
  'accessToken', 'refresh_token', 'id_token', 'auth_token', 'GITHUB_TOKEN', 'token', 'AWS_SECRET_ACCESS_KEY', 'aws_secret_access_key',
  'private_key', 'privateKey', 'secret_key', 'SECRET_KEY', 'signing_key', 'encryption_key', 'credentials', 'session_id',
];
const name = fc.constantFrom(...SECRET_NAMES);
/** Printable characters any quoted value may hold; a form adds the quotes it does not use. */
const QUOTED_ALPHABET = `${ALNUM} !#$%&()*+,-./:;<=>?@[]^_{|}~`;
/** An unquoted value ends at white space, `"`, a backtick, `,` `;` `&` or `<`. */
const UNQUOTED_ALPHABET = `${ALNUM}!#$%'()*+-./:=?@^_{|}~>[]`;

type Form = (name: string, value: string) => string;
/** Marks a form whose value is percent-encoded. */
const PERCENT_ENCODED = 'percent-encoded';
/** Twin percent-encoded values of one layout (`%20`, `%40`… at the same places), so both are as long. */
const percentEncoded = (length: number) =>
  fc.array(fc.boolean(), { minLength: length, maxLength: length }).chain((layout) => {
    const one = fc
      // No encoded quote or backslash: inside a JSON string they would come escaped (a longer unit than the twin's).
      .tuple(...layout.map((encoded) => (encoded ? PCT().map((o) => (/^%(?:22|27|5C)$/i.test(o) ? '%2B' : o)) : fc.constantFrom(...`${ALNUM}-_.!~*()`))))
      .map((units) => units.join(''));
    return fc.tuple(one, one);
  });
/** The value with `escaped` (an escaped quote or backslash) in its middle: at the same place in both twins, so both stay as long. */
const withEscape = (v: string, escaped: string) => `${v.slice(0, v.length >> 1)}${escaped}${v.slice(v.length >> 1)}`;
const FORMS: [string, Form, string][] = [
  ['name=value', (n, v) => `${n}=${v}`, UNQUOTED_ALPHABET],
  ['name = value', (n, v) => `${n} = ${v}`, UNQUOTED_ALPHABET],
  ['name: value', (n, v) => `${n}: ${v}`, UNQUOTED_ALPHABET],
  ['name:=value', (n, v) => `${n}:=${v}`, UNQUOTED_ALPHABET],
  ['"name":"value"', (n, v) => `"${n}":"${withEscape(v, '\\"')}"`, QUOTED_ALPHABET],
  ['"name": "value"', (n, v) => `"${n}": "${withEscape(v, '\\\\')}"`, QUOTED_ALPHABET],
  ["'name': 'value'", (n, v) => `'${n}': '${withEscape(v, "\\'")}'`, QUOTED_ALPHABET + '"'],
  ["name='value' (DSN)", (n, v) => `host=db user=app ${n}='${withEscape(v, "''")}' port=5432`, QUOTED_ALPHABET + '"'],
  ['name="value"', (n, v) => `export ${n}="${v}"`, QUOTED_ALPHABET + "'"],
  ['name => "value"', (n, v) => `:${n} => "${v}"`, QUOTED_ALPHABET + "'"],
  ['\\"name\\":\\"value\\"', (n, v) => `{\\"${n}\\":\\"${v}\\"}`, QUOTED_ALPHABET],
  // Percent-encoded values: what encodeURIComponent leaves as it is, and encoded octets at the same places in both twins.
  ['%22name%22%3A%22value%22', (n, v) => `%7B%22${n}%22%3A%22${v}%22%7D`, PERCENT_ENCODED],
  ['?name=value&', (n, v) => `?user=jane&${n}=${v}&page=2`, PERCENT_ENCODED],
  ['name%3Dvalue', (n, v) => `${n}%3D${v}`, PERCENT_ENCODED],
  ['<name>value</name>', (n, v) => `<${n}>${v}</${n}>`, QUOTED_ALPHABET.replace(/[<&]/g, '')],
  ['`name`: `value`', (n, v) => `\`${n}\`: \`${v}\``, QUOTED_ALPHABET + '"\''],
];

const assignmentTwins: fc.Arbitrary<Twins> = fc
  .tuple(fc.constantFrom(...FORMS), name, fc.integer({ min: 1, max: 80 }))
  .chain(([form, n, length]) => fc.tuple(fc.constant(form), fc.constant(n), form[2] === PERCENT_ENCODED ? percentEncoded(length) : same(form[2], length)))
  // An unquoted value must not start like one already redacted, nor with a quote (it would be a quoted one).
  .filter(([, , [a, b]]) => [a, b].every((v) => !/^(?:\[|'|%2|&)/.test(v)))
  .map(([[label, write], n, [v1, v2]]) => ({
    shape: `assignment ${label} (${n})`,
    secrets: [write(n, v1), write(n, v2)] as [string, string],
    cores: [v1, v2] as [string, string],
    glueBefore: anyGlue,
    glueAfter: label.startsWith('name') && !label.includes("'") && !label.includes('"') && !label.includes('<') && !label.includes('%') ? notWordDelimiterAfterValue : notWordGlue,
  }));
/** After an unquoted value, only what ends it (anything else would simply be more of the value). */
const notWordDelimiterAfterValue = fc.constantFrom(' ', '\n', '"', ',', ';', '&', '<');

// ---------------------------------------------------------------- emails

const LOCAL = `${ALNUM}._+-`;
const emailTwins: fc.Arbitrary<Twins> = fc
  .tuple(
    fc.integer({ min: 1, max: 30 }),
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 2, max: 6 }),
    pick('@', '%40', '%2540', '&#64;', '&#x40;', '\\u0040', '&commat;'),
    fc.boolean(),
  )
  .chain(([l, d, t, at, unicode]) =>
    fc.tuple(
      same(unicode ? `${LOCAL}éüñ` : LOCAL, l),
      same(unicode ? `${LOWER}${DIGITS}äö-` : `${LOWER}${DIGITS}-`, d),
      same(LOWER, t),
      fc.constant(at),
    ),
  )
  // Labels and local parts as mail systems accept them: no leading or trailing dot or dash.
  .filter(([[l1, l2], [d1, d2]]) => [l1, l2].every((l) => /^[^.].*[^.]$|^[^.]$/.test(l)) && [d1, d2].every((d) => /^[^-].*[^-]$|^[^-]$/.test(d)))
  .map(([[l1, l2], [d1, d2], [t1, t2], at]) => ({
    shape: `email (${at})`,
    secrets: [`${l1}${at}${d1}.${t1}`, `${l2}${at}${d2}.${t2}`] as [string, string],
    cores: [l1 + d1, l2 + d2] as [string, string],
    glueBefore: anyGlue,
    glueAfter: fc.oneof(delimiter, fc.constant('')),
  }));

// ---------------------------------------------------------------- API keys and tokens

const KEYS: [string, string, number, number, fc.Arbitrary<string>][] = [
  ['sk-', `${ALNUM}_-`, 20, 120, notAlnumGlue],
  ['sk-proj-', `${ALNUM}_-`, 40, 160, notAlnumGlue],
  ['sk-ant-api03-', `${ALNUM}_-`, 40, 100, notAlnumGlue],
  ['sk_live_', ALNUM, 16, 99, anyGlue],
  ['rk_test_', ALNUM, 16, 60, anyGlue],
  ['ghp_', ALNUM, 36, 40, anyGlue],
  ['github_pat_', `${ALNUM}_`, 22, 82, anyGlue],
  ['xoxb-', `${ALNUM}-`, 10, 60, anyGlue],
  ['glpat-', `${ALNUM}_-`, 20, 30, anyGlue],
  ['hf_', ALNUM, 30, 40, notAlnumGlue],
];
const keyTwins: fc.Arbitrary<Twins> = fc.oneof(
  fc
    .constantFrom(...KEYS)
    .chain(([prefix, alphabet, min, max, glue]) => fc.tuple(fc.constant(prefix), fc.constant(glue), fc.integer({ min, max }).chain((n) => same(alphabet, n))))
    .map(([prefix, glue, [a, b]]) => ({
      shape: `API key ${prefix}`,
      secrets: [prefix + a, prefix + b] as [string, string],
      cores: [a, b] as [string, string],
      glueBefore: glue,
      glueAfter: fc.oneof(delimiter, fc.constant('')),
    })),
  same(`${UPPER}${DIGITS}`, 16).map(([a, b]) => ({
    shape: 'AWS access key id',
    secrets: [`AKIA${a}`, `ASIA${b}`] as [string, string],
    cores: [a, b] as [string, string],
    glueBefore: anyGlue,
    glueAfter: fc.oneof(delimiter, fc.constant('')),
  })),
  same(`${ALNUM}_-`, 35).map(([a, b]) => ({
    shape: 'Google API key',
    secrets: [`AIza${a}`, `AIza${b}`] as [string, string],
    cores: [a, b] as [string, string],
    glueBefore: anyGlue,
    glueAfter: fc.oneof(delimiter, fc.constant('')),
  })),
  fc.integer({ min: 8, max: 300 }).chain((n) => sameLong(`${ALNUM}-._~+/`, n)).map(([a, b]) => ({
    shape: 'Bearer token',
    secrets: [`Bearer ${a}`, `Bearer ${b}`] as [string, string],
    cores: [a, b] as [string, string],
    glueBefore: notWordGlue,
    glueAfter: fc.constantFrom(' ', '\n', '"', ',', ';', ')'),
  })),
  fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(same(ALNUM, n), same(ALNUM, n))).map(([[u1, u2], [p1, p2]]) => ({
    shape: 'Basic credentials',
    secrets: [`Basic ${Buffer.from(`${u1}:${p1}`).toString('base64')}`, `Basic ${Buffer.from(`${u2}:${p2}`).toString('base64')}`] as [string, string],
    cores: [Buffer.from(`${u1}:${p1}`).toString('base64'), Buffer.from(`${u2}:${p2}`).toString('base64')] as [string, string],
    glueBefore: notWordGlue,
    glueAfter: fc.constantFrom(' ', '\n', '"', ',', ';', ')'),
  })),
);

/** Every shape, each its own generator, so a failure names the shape. */
export const SECRET_SHAPES: [string, fc.Arbitrary<Twins>][] = [
  ['card numbers (with and without separators, beside other numbers)', cardTwins],
  ['JWTs (of every length around the cut)', jwtTwins],
  ['URL userinfo (every legal form, @ and : in passwords, percent-encoding)', urlTwins],
  ['credential assignments (every quoting and naming style)', assignmentTwins],
  ['emails (plain, Unicode, percent-encoded and other encodings)', emailTwins],
  ['API keys and tokens', keyTwins],
];
