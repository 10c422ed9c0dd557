import { randomFillSync } from 'node:crypto';

// Ids are minted on every run and step: drawing them from a refilled pool of
// random bytes costs one syscall per few hundred ids instead of one each.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function randomBytes(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + n);
  offset += n;
  return slice;
}

const ZEROS: Record<number, string> = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

function nonZeroHex(bytes: 8 | 16): string {
  // W3C forbids the all-zero trace and span ids.
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (hex !== ZEROS[bytes]) return hex;
  }
}

/** A W3C trace id: 32 lowercase hex characters, never all zeros. */
export function newTraceId(): string {
  return nonZeroHex(16);
}

/** A W3C span id: 16 lowercase hex characters, never all zeros. */
export function newSpanId(): string {
  return nonZeroHex(8);
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds then random bits,
 * so run ids sort by start time and index well in a database.
 */
export function newRunId(now: number = Date.now()): string {
  const b = Buffer.from(randomBytes(16));
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
