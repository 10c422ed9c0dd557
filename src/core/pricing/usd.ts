/**
 * Dollar amounts as the log and the messages give them. A cost is a sum of
 * per-token prices, so floating point leaves dust (`0.30000000000000004`):
 * amounts are rounded to ten decimal places, far below any price, and written
 * in plain decimals (never `1e-7`, never `$0.0000` for a budget of $0.00001).
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/** `0.00001`, `0.3`, `12`: at most ten decimal places, trailing zeros dropped. */
export function plainUsd(usd: number): string {
  return roundUsd(usd).toFixed(10).replace(/\.?0+$/, '') || '0';
}
