/**
 * What the cache gave back: of the paths that appeared in the store during a
 * session, how many Nix substituted (and how many of those the cache signed)
 * and how many it built. The number that tells a user the cache pays.
 *
 * @module
 */

import type { PathOrigin } from "../store/nix_database.ts";

/** The paths of a session by origin. */
export interface Substitution {
  /** Substituted: not built here, and signed (every binary cache Nix trusts signs its paths). */
  readonly substituted: number;
  /** Of those, signed by the cache's key; null when the key is not known. */
  readonly fromCache: number | null;
  /** Made on this machine: built, or added from local files (unsigned, e.g. a flake's source). */
  readonly built: number;
  /** The name of the cache's signing key, or null. */
  readonly cacheKey: string | null;
}

/** Counts `origins`; a path signed by `cacheKey` came from the cache. */
export function countOrigins(
  origins: Iterable<PathOrigin>,
  cacheKey: string | null,
): Substitution {
  let substituted = 0;
  let fromCache = 0;
  let built = 0;
  for (const origin of origins) {
    if (origin.built || origin.signers.length === 0) {
      built++;
      continue;
    }
    substituted++;
    if (cacheKey !== null && origin.signers.includes(cacheKey)) fromCache++;
  }
  return { substituted, fromCache: cacheKey === null ? null : fromCache, built, cacheKey };
}

/** The log line, e.g. `resumed: 14 paths substituted from the cache, 3 built`. */
export function formatSubstitution(s: Substitution): string {
  if (s.fromCache === null) {
    return `resumed: ${s.substituted} paths substituted, ${s.built} built`;
  }
  const elsewhere = s.substituted - s.fromCache;
  return `resumed: ${s.fromCache} paths substituted from the cache, ${s.built} built` +
    (elsewhere > 0 ? ` (and ${elsewhere} substituted from other caches)` : "");
}
