/** Bucket ratio: any quantile is reported within 1% of a value actually seen. */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);

/**
 * Latency quantiles in constant memory per tool or model, whatever the number
 * of calls: logarithmic buckets (the DDSketch idea), so p50/p95/p99 over a
 * billion calls cost a few hundred counters. Quantiles are nearest-rank, within
 * 1% relative error; min and max are exact.
 */
export class LatencySketch {
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  add(ms: number): void {
    if (!(ms >= 0)) return;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (ms < 1e-3) {
      this.zeros++;
      return;
    }
    const index = Math.ceil(Math.log(ms) / LOG_GAMMA);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
  }

  /** The q-quantile (0 < q ≤ 1), or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank <= this.zeros) return this.min;
    let seen = this.zeros;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) {
        const estimate = (2 * GAMMA ** index) / (GAMMA + 1);
        return Math.min(this.max, Math.max(this.min, estimate));
      }
    }
    return this.max;
  }
}
