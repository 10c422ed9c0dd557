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
const ZERO_SPAN = '0'.repeat(16);

function nonZeroHex(bytes: 8 | 16): string {
  const zeros = bytes === 8 ? ZERO_SPAN : ZERO_TRACE;
  // W3C forbids the all-zero trace and span ids.
  for (;;) {
    const at = take(bytes);
    const hex = pool.toString('hex', at, at + bytes);
    if (hex !== zeros) return hex;
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
