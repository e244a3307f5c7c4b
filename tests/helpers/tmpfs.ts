/**
 * A small tmpfs, for faults of the file system: a full disk, a read-only one.
 * Mounting needs root, as CI and this project's machines have.
 *
 * @module
 */

import { sh, tempDir } from "./nix.ts";

/** A tmpfs of `size` (mount `options` appended) at a new directory; throws saying why where it cannot be mounted. */
export async function tmpfs(
  size: string,
  options = "",
): Promise<{ dir: string; unmount(): Promise<void> }> {
  const dir = await tempDir("attic-ci-tmpfs-");
  const mounted = await sh("mount", ["-t", "tmpfs", "-o", `size=${size}${options}`, "tmpfs", dir]);
  if (mounted.code !== 0) {
    throw new Error(
      `these tests mount a small tmpfs (as CI's root can); mount said: ${mounted.stderr.trim()}`,
    );
  }
  return {
    dir,
    async unmount() {
      await sh("umount", [dir]);
      await Deno.remove(dir, { recursive: true });
    },
  };
}
