import fc from 'fast-check';
import { isoNow } from '../../src/core/clock';

describe('isoNow', () => {
  it('formats exactly as Date#toISOString, whatever the order of the instants', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -62_000_000_000_000, max: 300_000_000_000_000 }), { minLength: 1, maxLength: 50 }), (instants) => {
        for (const t of instants) {
          expect(isoNow(t)).toBe(new Date(t).toISOString());
          expect(isoNow(t + 1)).toBe(new Date(t + 1).toISOString());
          expect(isoNow(t - 1)).toBe(new Date(t - 1).toISOString());
        }
      }),
    );
  });

  it('follows the wall clock within one second and across its boundary', () => {
    const base = Date.UTC(2026, 10, 26, 7, 59, 59, 998);
    for (let t = base - 5; t < base + 1005; t++) expect(isoNow(t)).toBe(new Date(t).toISOString());
    expect(isoNow()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
