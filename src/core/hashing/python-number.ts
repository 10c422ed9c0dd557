/**
 * Numbers as Python writes them, for the canonical form of a hash. A number is
 * written the way Python writes what `json.loads` makes of `JSON.stringify`'s
 * text: an integral value below 1e21 in magnitude is a Python int (the exact
 * integer the double holds, so 2**60 is 1152921504606846976 where JavaScript
 * would print 1152921504606847000; -0 is `0`), any other finite value is a
 * Python float (`repr`), and the non-finite ones are Python's `NaN`,
 * `Infinity`, `-Infinity`.
 */
export function pythonNumber(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (Number.isInteger(n) && n < 1e21 && n > -1e21) return BigInt(n).toString();
  if (n !== n) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return pythonFloatRepr(n);
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (the same digits
 * JavaScript finds), in positional notation when the decimal exponent is in
 * [-4, 16), else as `d.ddde±XX` with at least two exponent digits.
 */
export function pythonFloatRepr(n: number): string {
  const [mantissa, exponent] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  const point = exp + 1; // digits are 0.d1d2... × 10^point
  let body: string;
  if (point <= -4 || point > 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    body = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (point <= 0) {
    body = `0.${'0'.repeat(-point)}${digits}`;
  } else if (point >= digits.length) {
    body = `${digits}${'0'.repeat(point - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return n < 0 ? `-${body}` : body;
}
