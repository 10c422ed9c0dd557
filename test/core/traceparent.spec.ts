import { formatTraceParent, parseTraceParent } from '../../src/core/traceparent';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, parentSpanId: SPAN, traceFlags: '01' });
  });

  it('accepts a future version with extra fields, as W3C asks', () => {
    expect(parseTraceParent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['empty', ''],
    ['not a string', 42],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['forbidden version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['control characters', `00-${TRACE}-${SPAN}-01\u001b[2J`],
    ['oversized', `cc-${TRACE}-${SPAN}-01-${'x'.repeat(10_000)}`],
    ['an array', [`00-${TRACE}-${SPAN}-01`]],
  ])('ignores a malformed header: %s', (_name, header) => {
    expect(parseTraceParent(header)).toBeUndefined();
  });

  it('formats an outbound header that parses back', () => {
    expect(parseTraceParent(formatTraceParent(TRACE, SPAN))).toEqual({ traceId: TRACE, parentSpanId: SPAN, traceFlags: '01' });
  });
});
