/**
 * What reached a `file://` binary cache, read from the cache itself (its
 * narinfo files), not from the helper's account of it: a path is lost when
 * it is valid in the store and has no narinfo in the cache.
 *
 * @module
 */

/** The store hashes with a narinfo in the cache at `dir`. */
export async function cachedHashes(dir: string): Promise<Set<string>> {
  const hashes = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".narinfo")) hashes.add(entry.name.slice(0, -".narinfo".length));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return hashes;
}

/** The paths of `paths` whose narinfo is not in the cache at `dir`. */
export async function missingFrom(dir: string, paths: readonly string[]): Promise<string[]> {
  const cached = await cachedHashes(dir);
  return paths.filter((path) => !cached.has(hashOf(path)));
}

/** The hash part of a store path (`/nix/store/<hash>-<name>`). */
export function hashOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).split("-", 1)[0]!;
}
