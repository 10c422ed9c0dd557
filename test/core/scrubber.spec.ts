import fc from 'fast-check';
import { AgentLoggingConfigError } from '../../src/core/errors';
import { BUILT_IN_SCRUB_RULES, passesLuhn } from '../../src/core/redaction/scrub-patterns';
import { assertValidScrubPatterns, createScrubber, SCRUB_LOOKAHEAD } from '../../src/core/redaction/scrubber';
import { secretCanary } from '../privacy/canaries';

const scrub = createScrubber();
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIiwiZW1haWwiOiJqYW5lQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlLWJ5dGVz';

describe('scrubber: the built-in secret shapes', () => {
  it.each([
    ['no order for jane.doe+vip@example.co.uk', 'no order for [email]'],
    ['kein Kunde josé.müller@exämple.de', 'kein Kunde [email]'],
    ['upstream said 401 for Authorization: Bearer abc.DEF-123_xyz~+/=', 'upstream said 401 for Authorization: [redacted]'],
    ['upstream said 401 for Bearer abc.DEF-123_xyz~+/=', 'upstream said 401 for Bearer [token]'],
    [`token ${JWT} rejected`, 'token [jwt] rejected'],
    [`Authorization: Basic ${Buffer.from('jane:hunter2').toString('base64')}`, 'Authorization: [redacted]'],
    [`sent Basic ${Buffer.from('jane:hunter2').toString('base64')}`, 'sent Basic [token]'],
    ['openai key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 invalid', 'openai key [api_key] invalid'],
    ['anthropic sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AA', 'anthropic [api_key]'],
    ['stripe sk_live_51HaBcDeFgHiJkLmNoPqRsTu', 'stripe [api_key]'],
    ['slack xoxb-123456789012-abcdefghij', 'slack [api_key]'],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstuv', 'google [api_key]'],
    ['aws AKIAIOSFODNN7EXAMPLE denied', 'aws [aws_key] denied'],
    ['github ghp_0123456789abcdefghijABCDEFGHIJ012345 and github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'github [github_token] and [github_token]'],
    ['card 4111 1111 1111 1111 declined, 5500-0000-0000-0004 too', 'card [card] declined, [card] too'],
    ['amex 378282246310005', 'amex [card]'],
    ['from 203.0.113.42 and 10.0.0.1', 'from [ip] and [ip]'],
    ['v6 2001:db8:85a3::8a2e:370:7334, [::1]:8080, fe80::1%eth0, 2001:0db8:0000:0000:0000:ff00:0042:8329', 'v6 [ip], [[ip]]:8080, [ip]%eth0, [ip]'],
    ['connect postgres://app:s3cr3t-pass@db.internal:5432/orders failed', 'connect postgres://[credentials]@db.internal:5432/orders failed'],
    ['glued: key_AKIAIOSFODNN7EXAMPLE, ip_203.0.113.42, db_password=hunter2, x_4111111111111111', 'glued: key_[aws_key], ip_[ip], db_password=[redacted], x_[card]'],
    ['bad config password=hunter2; api_key: "abc123" and {"client_secret":"xyz"}', 'bad config password=[redacted]; api_key: "[redacted]" and {"client_secret":"[redacted]"}'],
  ])('%s', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  // The misses the attack on the scrubber found (issue 12), each now replaced whole.
  it.each([
    ['card 4111 1111 1111 1111 12/26 declined', 'card [card] 12/26 declined'],
    ['qty 2 4111111111111111 charged', 'qty 2 [card] charged'],
    ['cache redis://:password@cache:6379 refused', 'cache redis://[credentials]@cache:6379 refused'],
    ['db postgres://app:pa@ss@db/app down', 'db postgres://[credentials]@db/app down'],
    ['{"password":"correct horse battery staple","user":"jane"}', '{"password":"[redacted]","user":"jane"}'],
    ["connect host=db user=app password='s3cr3t pass' port=5432", "connect host=db user=app password='[redacted]' port=5432"],
    ["{'secret': 'a b c'}", "{'secret': '[redacted]'}"],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY rejected', 'AWS_SECRET_ACCESS_KEY=[redacted] rejected'],
    ['no user jane.doe%40example.com', 'no user [email]'],
    ['no user jane.doe&#64;example.com or jane\\u0040example.com', 'no user [email] or [email]'],
    ['<Password>hunter2</Password>', '<Password>[redacted]</Password>'],
    ['apiKey: abc123, max_tokens: 100', 'apiKey: [redacted], max_tokens: 100'],
  ])('issue 12: %s', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('cuts a JWT away when it straddles the cut with its second dot past the look-ahead window', () => {
    // A header of 1,500 characters: from 430 on, the window (500 + 1024) ends before the first dot.
    const long = `eyJ${'h'.repeat(1500)}.eyJzdWIiOiJqYW5lIn0.c2ln`;
    const out = scrub(`${'x '.repeat(215)}token ${long} rejected`) as string;
    expect(out).toBe(`${'x '.repeat(215)}token …`);
    // Recognised whole when its claims start inside the window, though its end lies past it.
    const claims = `eyJhbGciOiJIUzI1NiJ9.eyJ${'a'.repeat(2000)}.c2ln`;
    expect(scrub(`${'x '.repeat(215)}token ${claims} rejected`)).toBe(`${'x '.repeat(215)}token [jwt]…`);
    // A long run that is no JWT is cut at maxLength as any text is.
    expect(scrub('x'.repeat(5000))).toBe(`${'x'.repeat(499)}…`);
  });

  it.each([
    'Token expired at 12:30:45 on 2026-11-26',
    'Basic authentication failed',
    'Bearer tokens must be sent over TLS',
    'order 123456789 not found (request 1795677149083)', // a millisecond timestamp is not a card
    'card 4111 1111 1111 1112 fails Luhn',
    'std::io::Error in Add::add, mac aa:bb:cc:dd:ee:ff',
    'retry 3 of 5 after 250 ms',
    'task-0123456789abcdef0123 and build 1.2.3.4.5 and 10.0.0.1234',
  ])('leaves ordinary text alone: %s', (input) => {
    expect(scrub(input)).toBe(input);
  });

  it('implements Luhn', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('79927398713')).toBe(true);
  });

  it('has only global patterns, so every occurrence goes', () => {
    for (const rule of BUILT_IN_SCRUB_RULES) expect(rule.pattern.flags).toContain('g');
    expect(scrub('a@b.io, c@d.io, e@f.io')).toBe('[email], [email], [email]');
  });
});

describe('scrubber: cutting, modes, log-line safety', () => {
  it('cuts to maxLength characters, the last one an ellipsis', () => {
    const short = createScrubber({ maxLength: 10 });
    expect(short('0123456789')).toBe('0123456789');
    expect(short('0123456789abc')).toBe('012345678…');
  });

  it('replaces a secret straddling the cut whole, never showing its first half', () => {
    const short = createScrubber({ maxLength: 20 });
    // the replacement stands for the whole key; what followed it lay past the cut
    expect(short(`key is sk-${'A'.repeat(40)} then more`)).toBe('key is [api_key]…');
    expect(short(`${'x'.repeat(15)} jane@example.com`)).toBe(`${'x'.repeat(15)} [email]`.slice(0, 19) + '…');
    // a secret starting past the cut is not even looked at: it cannot show
    expect(short(`${'y'.repeat(30)} jane@example.com`)).toBe(`${'y'.repeat(19)}…`);
  });

  it('scrubs only a bounded window of a huge message: 50 MB in, maxLength out', () => {
    const huge = `${'jane@example.com '.repeat(3_000_000)}`;
    const out = scrub(huge) as string;
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out).not.toContain('@');
    expect(SCRUB_LOOKAHEAD).toBeGreaterThanOrEqual(512);
  });

  it('omits the message in "omit" mode and keeps secrets (still cut and single-line) in "raw" mode', () => {
    expect(createScrubber({ mode: 'omit' })('jane@example.com')).toBeUndefined();
    const raw = createScrubber({ mode: 'raw', maxLength: 30 });
    expect(raw('jane@example.com\nsecond line')).toBe('jane@example.com second line');
    expect(raw('x'.repeat(40))).toHaveLength(30);
  });

  it('turns control characters, line separators and bidi controls into spaces: one line, no forged fields or lines', () => {
    const forged = 'boom\n{"level":30,"event":"run_finished","status":"ok"}\r\n\u001b[31mred\u001b[0m\u2028\u202eevil\u0000';
    const out = scrub(forged) as string;
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(out.startsWith('boom {"level":30')).toBe(true);
  });

  it('replaces lone surrogates (from a cut or from hostile input) with U+FFFD', () => {
    expect(scrub('a\ud800b\udc00')).toBe('a\ufffdb\ufffd');
    expect(createScrubber({ maxLength: 4 })('ab😀cd')).toBe('ab…'); // the cut never splits a pair
    expect(createScrubber({ maxLength: 5 })('ab😀cd')).toBe('ab😀…');
  });

  it('never throws and never lets a planted secret through, whatever surrounds it (fast-check)', () => {
    const noise = fc.string({ unit: 'binary', maxLength: 40 });
    const glue = fc.constantFrom(' ', '\n', '"', "'", ':', '=', '(', ')', ',', '/', '_', '-', '<', '>');
    fc.assert(
      fc.property(noise, glue, secretCanary, glue, noise, fc.integer({ min: 5, max: 600 }), (before, g1, secret, g2, after, max) => {
        const out = createScrubber({ maxLength: max })(`${before}${g1}${secret}${g2}${after}`) as string;
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toContain(secret);
      }),
      { seed: 20261126, numRuns: 400 },
    );
  });
});

describe('scrubber: user patterns', () => {
  it('applies them after the built-ins, to every occurrence, whatever their flags, without touching the caller\'s RegExp', () => {
    const mine = /order-\d+/;
    const sticky = /ZZ\d/y;
    const named = /ticket #(?<id>\d+)/i;
    const custom = createScrubber({ patterns: [mine, sticky, named] });
    expect(custom('order-1 and order-22 for jane@example.com, ZZ1 ZZ2, TICKET #9')).toBe('[redacted] and [redacted] for [email], [redacted] [redacted], [redacted]');
    expect(mine.lastIndex).toBe(0);
    expect(sticky.lastIndex).toBe(0);
  });

  it('are checked at configuration time: RegExp instances that cannot match the empty string', () => {
    expect(() => assertValidScrubPatterns([/ok/])).not.toThrow();
    expect(() => assertValidScrubPatterns('x')).toThrow(AgentLoggingConfigError);
    expect(() => assertValidScrubPatterns([/ok/, 'secret'])).toThrow('scrubPatterns[1] is not a RegExp');
    expect(() => assertValidScrubPatterns([/a*/g])).toThrow('scrubPatterns[0] /a*/g matches the empty string');
  });
});
