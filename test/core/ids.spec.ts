import { newRunId, newSpanId, newTraceId } from '../../src/core/ids';

describe('ids', () => {
  it('mints W3C trace and span ids: lowercase hex of the right length, unique', () => {
    const traces = new Set(Array.from({ length: 2000 }, newTraceId));
    const spans = new Set(Array.from({ length: 2000 }, newSpanId));
    expect(traces.size).toBe(2000);
    expect(spans.size).toBe(2000);
    for (const t of traces) expect(t).toMatch(/^[0-9a-f]{32}$/);
    for (const s of spans) expect(s).toMatch(/^[0-9a-f]{16}$/);
  });

  it('mints UUID v7 run ids that carry their creation time and sort by it', () => {
    const id = newRunId(Date.UTC(2026, 10, 25, 12, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(new Date(ms).toISOString()).toBe('2026-11-25T12:00:00.123Z');
    const earlier = newRunId(1_000_000);
    const later = newRunId(2_000_000);
    expect(earlier < later).toBe(true);
  });

  it('does not repeat run ids drawn across many pool refills', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newRunId()));
    expect(ids.size).toBe(5000);
  });
});
