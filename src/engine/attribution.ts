/**
 * Attribute: of the paths that appear on the store, which are this job's.
 * One store can serve several jobs (a shell runner, a nix-daemon host): a
 * job pushes only what its own build produced or fetched, never another
 * project's private outputs into a cache that project never chose.
 *
 * How a job can tell, soundest first:
 * - `process`: where Nix runs single-user, the Nix process that builds or
 *   fetches a path holds the lock on `<path>.lock` while it does; a path is
 *   this job's when a process of the job's process group held (or waited
 *   for) it. Certain, and cheap.
 * - `closure`: where a daemon does the work (its lock holders are the
 *   daemon's), a job that names what it builds (installables) owns the
 *   outputs and sources of their derivation closure.
 * - `out-links`: a daemon and no installables: nothing can be told while the
 *   build runs; the final push takes the closures of the job's `result*`
 *   out-links, which are certainly its own.
 * - `all`: every path that appears (`watch` on a host's store, or a runner
 *   that runs one job at a time, when asked for).
 *
 * @module
 */

import type { StorePath } from "../store/store_path.ts";
import type { StoreEvent } from "../system/system.ts";

/** How paths are attributed to this job. */
export type AttributionMode = "process" | "closure" | "out-links" | "all";

/** Whether a path that appeared is this job's. */
export type Ownership =
  /** This job's: push it. */
  | "ours"
  /** Another job's (a process of another group held its lock; outside the closure). */
  | "theirs"
  /** Cannot be told (no holder seen, no closure): not pushed while streaming. */
  | "unknown";

/** The attribute stage. */
export interface Attribution {
  readonly mode: AttributionMode;
  /** Sees every store event before the detector (lock creations). */
  observe(event: StoreEvent): void;
  /** Whether `path` (finished: its lock was removed) is this job's. */
  decide(path: StorePath): Promise<Ownership>;
  /** Stops any work in the background (at the drain). */
  close(): void;
}

/** `all`: every path is this job's. */
export function allPaths(): Attribution {
  return {
    mode: "all",
    observe() {},
    decide: () => Promise.resolve("ours"),
    close() {},
  };
}

/** `out-links`: nothing can be told while streaming; the final push takes the out-links. */
export function outLinksOnly(): Attribution {
  return {
    mode: "out-links",
    observe() {},
    decide: () => Promise.resolve("unknown"),
    close() {},
  };
}

/**
 * `closure`: a path is this job's when it is in the derivation closure of
 * what the job builds (computed while the build runs; `null` when it could
 * not be, and then nothing can be told).
 */
export function closureOf(closure: Promise<ReadonlySet<StorePath> | null>): Attribution {
  return {
    mode: "closure",
    observe() {},
    async decide(path) {
      const paths = await closure;
      if (paths === null) return "unknown";
      return paths.has(path) ? "ours" : "theirs";
    },
    close() {},
  };
}
