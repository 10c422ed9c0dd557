import { randomFillSync } from 'node:crypto';

// Ids are minted on every run and step: drawing them from a refilled pool of
// random bytes costs one syscall per few hundred ids instead of one each, and
// reading them straight from the pool costs no view object per id.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Takes `n` unused random bytes of the pool; returns where they start. */
function take(n: number): number {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

const ZERO_TRACE = '0'.repeat(32);

/** A W3C trace id: 32 lowercase hex characters, never all zeros. */
export function newTraceId(): string {
  // W3C forbids the all-zero trace id.
  for (;;) {
    const at = take(16);
    const hex = pool.toString('hex', at, at + 16);
    if (hex !== ZERO_TRACE) return hex;
  }
}

/** Each byte's two lowercase hex digits. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A W3C span id: 16 lowercase hex characters, never all zeros. One per step:
 * joined from a table of byte pairs, four times cheaper than a hex decode of
 * the pool (the result is two flat pieces, 12 and 4 characters).
 */
export function newSpanId(): string {
  const p = pool;
  for (;;) {
    const at = take(8);
    // W3C forbids the all-zero span id.
    if ((p[at] | p[at + 1] | p[at + 2] | p[at + 3] | p[at + 4] | p[at + 5] | p[at + 6] | p[at + 7]) === 0) continue;
    const head = HEX_PAIRS[p[at]] + HEX_PAIRS[p[at + 1]] + HEX_PAIRS[p[at + 2]] + HEX_PAIRS[p[at + 3]] + HEX_PAIRS[p[at + 4]] + HEX_PAIRS[p[at + 5]];
    return head + (HEX_PAIRS[p[at + 6]] + HEX_PAIRS[p[at + 7]]);
  }
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const uuid = Buffer.alloc(36, '-'.charCodeAt(0));
/** Where each byte's two hex digits go in the 8-4-4-4-12 layout. */
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds then random bits,
 * so run ids sort by start time and index well in a database. Written as one
 * flat string: pieces joined by a template would be kept as a tree of string
 * fragments by every run in flight.
 */
export function newRunId(now: number = Date.now()): string {
  const at = take(16);
  // Bytes taken are never handed out again: changing them in place is safe.
  pool.writeUIntBE(now, at, 6);
  pool[at + 6] = 0x70 | (pool[at + 6] & 0x0f);
  pool[at + 8] = 0x80 | (pool[at + 8] & 0x3f);
  for (let i = 0; i < 16; i++) {
    const byte = pool[at + i];
    uuid[UUID_AT[i]] = HEX[byte >> 4];
    uuid[UUID_AT[i] + 1] = HEX[byte & 15];
  }
  return uuid.toString('latin1', 0, 36);
}
