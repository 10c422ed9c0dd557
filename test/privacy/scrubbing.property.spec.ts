import fc from 'fast-check';
import { createScrubber, DEFAULT_ERROR_MESSAGE_MAX_LENGTH, SCRUB_LOOKAHEAD } from '../../src/core/redaction/scrubber';
import { SECRET_SHAPES, type Twins } from './secret-shapes';

// Each secret shape, generated, inside generated surroundings (noise of every
// kind, glue characters, digits, line breaks, any position relative to the
// length cut and to the look-ahead window past it) is replaced whole or the
// text is cut before it: the output is the same whichever of two twin secrets
// went in, so no character of either can be in it. `SCRUB_RUNS` raises the
// count (`npm run test:scrub`); the seed is fixed, so a failure reproduces.
const RUNS = Number(process.env.SCRUB_RUNS ?? 120);
const SEED = Number(process.env.SCRUB_SEED ?? 20261202);

const TOKENS = ['[card]', '[jwt]', '[credentials]', '[redacted]', '[email]', '[api_key]', '[aws_key]', '[github_token]', '[token]', '[ip]'];

/** Text around a secret: words, numbers, JSON-ish punctuation, random UTF-16 (lone surrogates and controls too). */
const noise = fc.oneof(
  fc.constant(''),
  fc.array(fc.constantFrom('order', 'failed', 'for', 'user', '42', '2026-12-01', 'at', 'of', '"x":', '{', '}', ',', '\n', ' ', 'ß', '日本', '😀'), { maxLength: 40 }).map((w) => w.join(' ')),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
);
/** Moves the secret around the cut: nothing, a little, or hundreds of characters of filler. */
const filler = fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 700 }).map((n) => 'lorem ipsum '.repeat(Math.ceil(n / 12)).slice(0, n)));

interface Case {
  twins: Twins;
  before: string;
  after: string;
  maxLength: number;
}

function caseOf(shape: fc.Arbitrary<Twins>): fc.Arbitrary<Case> {
  return shape.chain((twins) =>
    fc
      .tuple(filler, noise, twins.glueBefore, twins.glueAfter, noise, fc.oneof(fc.integer({ min: -8, max: 40 }), fc.integer({ min: -8, max: 3200 })), fc.option(fc.integer({ min: 5, max: 900 }), { nil: undefined }))
      .map(([pad, b, g1, g2, a, offset, fixed]) => {
        const before = `${pad}${b}${g1}`;
        // The cut: anywhere, or at an offset from the secret's start (inside it, just before, just after, far past).
        const maxLength = fixed ?? Math.max(5, before.length + offset);
        return { twins, before, after: `${g2}${a}`, maxLength };
      }),
  );
}

function check({ twins, before, after, maxLength }: Case): void {
  const scrub = createScrubber({ maxLength });
  const [first, second] = twins.secrets.map((secret) => scrub(`${before}${secret}${after}`) as string);
  // The output must not depend on the secret: not one character of it shows.
  expect(second).toBe(first);
  expect(first.length).toBeLessThanOrEqual(maxLength);
  // Nor does any 8-character piece of its random part (a plainer check of the same thing).
  for (const [i, core] of twins.cores.entries()) {
    const out = i === 0 ? first : second;
    const shown = [];
    for (let at = 0; at + 8 <= core.length; at += 4) if (out.includes(core.slice(at, at + 8))) shown.push(core.slice(at, at + 8));
    expect(shown).toEqual([]);
  }
  // And it was replaced, not silently dropped, when it lies well inside what is kept.
  const end = before.length + twins.secrets[0].length;
  if (end + 10 < maxLength) {
    expect(TOKENS.some((t) => first.includes(t))).toBe(true);
  }
}

describe('scrubbing holds as a property: every secret shape, anywhere, is replaced whole or cut before', () => {
  it.each(SECRET_SHAPES)('%s', (_label, shape) => {
    fc.assert(
      fc.property(caseOf(shape), (c) => check(c)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the default cut and window the property runs around', () => {
    expect(DEFAULT_ERROR_MESSAGE_MAX_LENGTH).toBe(500);
    expect(SCRUB_LOOKAHEAD).toBe(1024);
  });
});
