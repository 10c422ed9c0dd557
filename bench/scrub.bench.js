'use strict';
// `npm run bench:scrub`: the worst case of every built-in scrub pattern, on
// adversarial inputs (the shapes that make a backtracking engine re-scan),
// at two sizes, against a baseline measured in the same run. A linear pattern
// takes about 8 times as long on 8 times the input, as the baseline does; a
// quadratic one 64 times. The scrubber itself only ever sees
// errorMessageMaxLength + 1024 characters; here the patterns get up to
// 160,000, so that any super-linear one would show at once.
const { BUILT_IN_SCRUB_RULES } = require('../dist/cjs/core/redaction/scrub-patterns');
const { createScrubber } = require('../dist/cjs/core/redaction/scrubber');

const SMALL = Number(process.env.BENCH_SCRUB_SIZE ?? 20_000);
const FACTOR = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

/** Inputs that make each pattern work hardest: prefixes repeated without the rest, runs that almost match. */
const ADVERSARIAL = {
  secret_assignment: ['password="', 'password', 'password=', 'api_key: \\', '"password":"\\', "password='", 'pass'],
  secret_element: ['<', '<password', '<a-', '<<T-AU'],
  cookie_header: ['cookie:', 'set-cookie: '],
  bearer_token: ['Bearer ', 'Bearer a', 'bearer\t'],
  basic_credentials: ['Basic ', 'Basic A', 'Basic AAAA='],
  jwt: ['eyJ', 'eyJ.', 'a.eyJ', 'eyJa.eyJ'],
  api_key: ['sk-', 'sk-a', 'sk_live_', 'swhsec_ckphipkwcpesrl', 'xoxb-', 'AIza', 'ya29.', 'glpat-', 'npm_', 'SG.a', 'hf_', 'gsk_', 'xai-'],
  aws_access_key: ['AKIA', 'ASIA1'],
  github_token: ['ghp_', 'github_pat_', 'gho_a'],
  url_credentials: ['//', '//a', '//a:', '//a@b/'],
  email: ['a', 'a@', 'a@b.', 'x@_.', 'a%40', 'a.b-', 'é@ü.'],
  card_number: ['1 ', '4', '4111 ', '4-', '1  '],
  ipv6: ['1:', 'a:', '::', '1:.'],
  ipv4: ['1.', '1.1.1.', '255.'],
};

/** Repeats `unit` to `length` characters. */
const fill = (unit, length) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/**
 * Milliseconds per call: calls repeated for at least 20 ms, the best of
 * ROUNDS (on a shared machine, noise only ever adds time).
 */
function timeOf(fn) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    } while (elapsed < 20);
    samples.push(elapsed / calls);
  }
  return Math.min(...samples);
}

/** Every match of `pattern` in `text`, as the scrubber looks for them. */
function scan(pattern, text) {
  const re = new RegExp(pattern.source, pattern.flags);
  let count = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    count++;
    if (m[0] === '') re.lastIndex++;
  }
  return count;
}

// A pattern known to be linear that reads every character, over the same text: what "linear" costs here, now.
const BASELINE = /[^]/g;

function main() {
  const rows = [];
  let worst = 0;
  for (const [name, units] of Object.entries(ADVERSARIAL)) {
    const rules = BUILT_IN_SCRUB_RULES.filter((r) => r.name === name);
    if (rules.length === 0) throw new Error(`no rule named ${name}`);
    // The api_key rules are one row per input: they run one after another over the same text.
    const pattern = { source: rules.map((r) => `(?:${r.pattern.source})`).join('|'), flags: rules[0].pattern.flags };
    {
      for (const unit of units) {
        const small = fill(unit, SMALL);
        const large = fill(unit, SMALL * FACTOR);
        scan(pattern, small); // warm up
        const [ps, pl] = [timeOf(() => scan(pattern, small)), timeOf(() => scan(pattern, large))];
        const [bs, bl] = [timeOf(() => scan(BASELINE, small)), timeOf(() => scan(BASELINE, large))];
        const growth = pl / Math.max(ps, 1e-3);
        const baselineGrowth = bl / Math.max(bs, 1e-3);
        const relative = growth / baselineGrowth;
        worst = Math.max(worst, relative);
        rows.push({
          rule: name,
          input: `${JSON.stringify(unit)} × ${Math.ceil((SMALL * FACTOR) / unit.length)}`,
          'ms (n)': ps.toFixed(2),
          [`ms (${FACTOR}n)`]: pl.toFixed(2),
          growth: growth.toFixed(1),
          'baseline growth': baselineGrowth.toFixed(1),
          'vs baseline': relative.toFixed(2),
          [`ms / baseline (${FACTOR}n)`]: (pl / Math.max(bl, 1e-3)).toFixed(2),
        });
      }
    }
  }
  console.log(`\nScrub patterns on adversarial input — Node ${process.version}, n = ${SMALL} characters, best of ${ROUNDS}\n`);
  console.table(rows);

  // The whole scrubber, with a cut far larger than any default, on the same inputs glued together.
  const scrubber = createScrubber({ maxLength: SMALL * FACTOR });
  const mixed = (length) => fill(Object.values(ADVERSARIAL).flat().join(''), length);
  const [ss, sl] = [timeOf(() => scrubber(mixed(SMALL))), timeOf(() => scrubber(mixed(SMALL * FACTOR)))];
  const [bs, bl] = [timeOf(() => scan(BASELINE, mixed(SMALL))), timeOf(() => scan(BASELINE, mixed(SMALL * FACTOR)))];
  console.log(
    `Whole scrubber (maxLength ${SMALL * FACTOR}) on every adversarial unit glued together: ${ss.toFixed(2)} ms → ${sl.toFixed(2)} ms for ${FACTOR}× the input ` +
      `(growth ${(sl / ss).toFixed(1)}, baseline ${(bl / bs).toFixed(1)}); at the default cut (500) a message costs what 1,524 characters do.`,
  );
  console.log(`Worst growth relative to the baseline: ${worst.toFixed(2)} (linear ≈ 1; quadratic would be ≈ ${FACTOR}).`);
  console.log(worst < FACTOR / 2 ? 'Every pattern is linear on these inputs.' : 'A pattern grows faster than linear: see the table.');
}

main();
