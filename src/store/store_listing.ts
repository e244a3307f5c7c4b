/**
 * Listing the store directory: the baseline taken when watching starts, and
 * the diff against it that finds what a watcher missed.
 *
 * @module
 */

import { isStorePathName } from "./store_path.ts";

/** The names of all store-path entries in `storeDir` right now. */
export async function listStoreNames(storeDir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const entry of Deno.readDir(storeDir)) {
    if (isStorePathName(entry.name)) names.add(entry.name);
  }
  return names;
}

/** Names in `now` that are in neither `baseline` nor `known`. */
export function newNames(
  now: Iterable<string>,
  baseline: ReadonlySet<string>,
  known: ReadonlySet<string> = new Set(),
): string[] {
  const result: string[] = [];
  for (const name of now) {
    if (!baseline.has(name) && !known.has(name)) result.push(name);
  }
  return result;
}
