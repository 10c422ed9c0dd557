import { createHash, createHmac } from 'node:crypto';

/** What a hash of an argument, task or result says about its input. */
export interface HashResult {
  /** 64 lowercase hex characters. */
  hash: string;
  /** True when the input was over the byte budget and only a prefix was hashed. */
  truncated: boolean;
}

export interface HasherOptions {
  /** With a secret the hash is HMAC-SHA256, so low-entropy values cannot be guessed back. */
  secret?: string | Buffer;
  /** Budget for the canonical JSON, in UTF-8 bytes; past it a prefix is hashed. */
  maxBytes?: number;
}

export type Hasher = (value: unknown) => HashResult;

// PLACEHOLDER, to be replaced by the full canonical hashing (issue 5).
export function createHasher(options: HasherOptions = {}): Hasher {
  return (value) => {
    let text: string;
    try {
      text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
    } catch {
      text = '"[unserialisable]"';
    }
    const h = options.secret ? createHmac('sha256', options.secret) : createHash('sha256');
    return { hash: h.update(text).digest('hex'), truncated: false };
  };
}
