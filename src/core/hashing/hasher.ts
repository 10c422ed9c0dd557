import * as crypto from 'node:crypto';
import { CanonicalJsonWriter } from './canonical-json.js';

/** What a hash of an argument, task or result says about its input. */
export interface HashResult {
  /** 64 lowercase hex characters. */
  hash: string;
  /** True when the hash covers only a prefix of the value's canonical JSON (a budget or depth limit was reached). */
  truncated: boolean;
}

export interface HasherOptions {
  /** With a secret the hash is HMAC-SHA256, so low-entropy values cannot be guessed back. */
  secret?: string | Buffer;
  /** Budget for the canonical JSON, in UTF-8 bytes (and in values visited); past it a prefix is hashed. */
  maxBytes?: number;
}

export type Hasher = (value: unknown) => HashResult;

/**
 * What a call's hash (`args_hash`, `task_hash`) and capture cover: the
 * argument itself when the method is called with exactly one (the usual
 * `tool(args)` shape), else the array of its arguments.
 */
export const callSubject = (args: readonly unknown[]): unknown => (args.length === 1 ? args[0] : args);

/**
 * 64 KiB: every ordinary tool argument, prompt and result fits whole, and the
 * worst case stays a fraction of a millisecond of synchronous work on the
 * event loop, paid on every step. Raise it when exact equality of large
 * results matters more than that.
 */
export const DEFAULT_HASH_MAX_BYTES = 64 * 1024;

/** What is hashed when even the walk failed (the stack ran out, say): never thrown, always flagged. */
const UNHASHABLE = '"[Unhashable]"';

// The one-shot crypto.hash (Node >= 20.12) skips a Hash object per call: hashing is on every step's path.
const oneShot = (crypto as { hash?: (algorithm: string, data: crypto.BinaryLike, encoding: 'hex') => string }).hash;
const sha256: (data: string | Buffer) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * Builds the hash function for `args_hash`, `task_hash` and `result_hash`:
 * SHA-256 (or HMAC-SHA256 with a secret) over the value's canonical JSON in
 * UTF-8, cut to `maxBytes` bytes. Never throws, always 64 lowercase hex.
 *
 * @example createHasher({ secret: process.env.AGENT_LOG_HASH_SECRET })({ query: 'refund' }).hash
 */
export function createHasher(options: HasherOptions = {}): Hasher {
  const maxBytes = options.maxBytes ?? DEFAULT_HASH_MAX_BYTES;
  const secret = options.secret;
  const digest = secret === undefined ? sha256 : (data: string | Buffer) => crypto.createHmac('sha256', secret).update(data).digest('hex');
  const writer = new CanonicalJsonWriter(maxBytes);
  return (value) => {
    try {
      const { text, complete } = writer.write(value);
      // A UTF-16 unit is at most 3 UTF-8 bytes: short text needs no byte count.
      if (text.length * 3 <= maxBytes) return { hash: digest(text), truncated: !complete };
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length <= maxBytes) return { hash: digest(bytes), truncated: !complete };
      return { hash: digest(bytes.subarray(0, maxBytes)), truncated: true };
    } catch {
      return { hash: digest(UNHASHABLE), truncated: true };
    }
  };
}
