/**
 * Store paths and the names Nix leaves in the store directory.
 *
 * @module
 */

/** An absolute top-level store path, e.g. `/nix/store/<hash>-hello-2.12`. */
export type StorePath = string;

/** Characters of Nix's base-32 alphabet (no e, o, u, t). */
const STORE_ENTRY = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;

/** Suffixes of store entries that are Nix's own scratch files, never store paths. */
const SCRATCH_SUFFIXES = [".lock", ".chroot", ".check", ".tmp"];

/**
 * Whether `name` (an entry of the store directory) can be a store path:
 * a 32-character hash, a dash, a name; not a lock or other scratch file.
 */
export function isStorePathName(name: string): boolean {
  return STORE_ENTRY.test(name) && !SCRATCH_SUFFIXES.some((s) => name.endsWith(s));
}

/**
 * The store path whose lock file is `fileName`, or null when `fileName` is not
 * a lock. Nix removes `<path>.lock` once `<path>` is registered valid.
 */
export function lockedPathName(fileName: string): string | null {
  if (!fileName.endsWith(".lock")) return null;
  const name = fileName.slice(0, -".lock".length);
  return isStorePathName(name) ? name : null;
}

/** Whether the store path or entry name is a derivation file. */
export function isDerivation(pathOrName: string): boolean {
  return pathOrName.endsWith(".drv");
}

/** Joins a store directory and an entry name into a store path. */
export function storePath(storeDir: string, name: string): StorePath {
  return `${storeDir.replace(/\/+$/, "")}/${name}`;
}

/** The entry name of a store path (its last component). */
export function storePathName(path: StorePath): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Cuts a path inside the store to its top-level store path
 * (`/nix/store/<hash>-x/bin/y` → `/nix/store/<hash>-x`), or null when the path
 * is not inside `storeDir`.
 */
export function toTopLevelStorePath(storeDir: string, path: string): StorePath | null {
  const prefix = storeDir.replace(/\/+$/, "") + "/";
  if (!path.startsWith(prefix)) return null;
  const name = path.slice(prefix.length).split("/")[0] ?? "";
  return isStorePathName(name) ? prefix + name : null;
}

/**
 * The top-level store path that `path` is, is inside of, or (through
 * symlinks, e.g. `./result`) leads to; null when it leads nowhere in the store.
 */
export async function resolveStorePath(storeDir: string, path: string): Promise<StorePath | null> {
  const direct = toTopLevelStorePath(storeDir, path);
  if (direct !== null) return direct;
  try {
    return toTopLevelStorePath(storeDir, await Deno.realPath(path));
  } catch {
    return null;
  }
}
