/**
 * The request that asks an Attic server for a cache's configuration, built in
 * one place. The built-in client sends it, and so does the helper's first
 * module, before the rest of the program has loaded (`src/main.ts`): the two
 * must be the same request, byte for byte, for the early answer to be used.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { normalizeEndpoint } from "./attic_config.ts";

/** Where the cache-config request of `cache` on `server` goes. */
export function cacheConfigUrl(server: string, cache: string): URL {
  return new URL(`_api/v1/cache-config/${encodeURIComponent(cache)}`, normalizeEndpoint(server));
}

/** The headers of every request to the Attic API: the token, if any, and who asks. */
export function atticHeaders(token: string | null): Record<string, string> {
  return {
    ...(token === null ? {} : { authorization: `bearer ${token}` }),
    "user-agent": `attic-ci/${VERSION}`,
  };
}
