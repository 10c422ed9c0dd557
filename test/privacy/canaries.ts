import fc from 'fast-check';

const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));

function luhnComplete(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

const b64url = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));

/** Secrets of the shapes the scrubber knows: they must never survive into an event, not even an error message. */
export const secretCanary = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{3,12}$/), fc.stringMatching(/^[a-z]{3,10}$/)).map(([u, d]) => `${u.replace(/\.$/, 'x')}@${d}.com`),
  alnum(40, 48).map((s) => `sk-${s}`),
  alnum(40, 60).map((s) => `sk-ant-api03-${s}`),
  fc.stringMatching(/^[A-Z0-9]{16}$/).map((s) => `AKIA${s}`),
  alnum(36, 36).map((s) => `ghp_${s}`),
  fc.tuple(b64url(10, 30), b64url(10, 60), b64url(20, 43)).map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`),
  fc.stringMatching(/^[0-9]{15}$/).map((d) => luhnComplete(`4${d}`)),
  fc.tuple(fc.integer({ min: 11, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.')),
);

/** Any personal value: hashed wherever it is an argument, a task or a result, so it never shows. */
export const plainCanary = fc.stringMatching(/^[a-f0-9]{24}$/).map((h) => `canary-${h}`);
