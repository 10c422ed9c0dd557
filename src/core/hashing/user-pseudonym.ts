import { createHasher } from './hasher.js';

/**
 * How a user id is written: as it is, or, for deployments that must not store
 * it, as the first 32 hex characters of its keyed hash (HMAC-SHA256 of its
 * canonical JSON, a string). Stable per key, so one user's runs still group;
 * not reversible without the key, unlike an unkeyed hash of an id.
 */
export function userPseudonymizer(options: { pseudonymize?: boolean; secret?: string | Buffer }): (userId: string) => string {
  if (!options.pseudonymize || options.secret === undefined) return (id) => id;
  const hmac = createHasher({ secret: options.secret });
  return (id) => hmac(id).hash.slice(0, 32);
}
