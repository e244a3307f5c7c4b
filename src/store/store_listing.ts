/**
 * Listing the store directory: the baseline taken when watching starts, and
 * the diff against it that finds what a watcher missed.
 *
 * @module
 */

import { dirEntryNames } from "../system/dir_listing.ts";
import { isStorePathName, lockedPathName } from "./store_path.ts";

/**
 * The names of all store-path entries in `storeDir` right now. Listed in
 * batches of names (../system/dir_listing.ts): never an object per entry nor
 * the whole directory at once.
 */
export function listStoreNames(storeDir: string): Promise<Set<string>> {
  return namesWhere(storeDir, isStorePathName);
}

/**
 * Like {@linkcode listStoreNames}, with the locks of store paths too
 * (`<name>.lock`: a build or download of `<name>` in progress).
 */
export function listStoreNamesAndLocks(storeDir: string): Promise<Set<string>> {
  return namesWhere(storeDir, (name) => isStorePathName(name) || lockedPathName(name) !== null);
}

/**
 * Store-path names in `storeDir` now that are in neither `baseline` nor
 * `known`. Streams the listing rather than building a second set of the whole
 * store, which would double the peak memory the baseline costs.
 */
export async function newNamesIn(
  storeDir: string,
  baseline: ReadonlySet<string>,
  known: { has(name: string): boolean } = new Set(),
): Promise<string[]> {
  const fresh = (name: string) => isStorePathName(name) && !baseline.has(name) && !known.has(name);
  return [...await namesWhere(storeDir, fresh)];
}

/** The entry names of `storeDir` that `keep` holds of, in listing order. */
async function namesWhere(storeDir: string, keep: (name: string) => boolean): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const batch of dirEntryNames(storeDir)) {
    for (const name of batch) if (keep(name)) names.add(name);
  }
  return names;
}

/**
 * Of `names` (entries of `storeDir`), those whose entry's status changed at
 * or after `sinceMs` (epoch milliseconds; `lstat`'s ctime), and those gone:
 * made or finished since then. A few `lstat`s at a time, so a large store
 * takes tens of milliseconds per 10,000 names without flooding the runtime.
 */
export async function changedSince(
  storeDir: string,
  names: Iterable<string>,
  sinceMs: number,
): Promise<string[]> {
  const all = [...names];
  const changed: string[] = [];
  const inFlight = 64;
  for (let start = 0; start < all.length; start += inFlight) {
    await Promise.all(
      all.slice(start, start + inFlight).map(async (name) => {
        const info = await Deno.lstat(`${storeDir}/${name}`).catch(() => null);
        const ctime = info?.ctime?.getTime() ?? null;
        if (info === null || ctime === null || ctime >= sinceMs) changed.push(name);
      }),
    );
  }
  return changed;
}
