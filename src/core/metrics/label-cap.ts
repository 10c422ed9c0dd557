/** The label value every name past the cap is counted under. */
export const OTHER_LABEL = 'other';

/**
 * Keeps one label's distinct values bounded: the first `max` names seen are
 * kept, every later one is folded into `other`, so a tool or model name built
 * at run time cannot grow a metric's series without end. Names are already
 * identifier-like (the engine checks them); this bounds how many.
 */
export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(name: string): string {
    const seen = this.seen;
    if (seen.has(name)) return name;
    if (seen.size >= this.max) return OTHER_LABEL;
    seen.add(name);
    return name;
  }
}
