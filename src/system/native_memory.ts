/**
 * Giving back the native memory that finished child processes leave behind.
 *
 * In Deno 2.9 a spawned process's pipes and handles hold native memory
 * (~30 KB each) until V8 collects their JavaScript wrappers, and on the
 * helper's small heap a full collection rarely comes: a session that runs
 * thousands of `nix` and `attic` processes grows by tens of MiB for nothing
 * (measured: 3,000 processes took a bare script from 41 to 124 MiB; with a
 * full collection every 64 it stayed at ~55 MiB). Scripts get no
 * collection without a V8 flag; `node:v8`'s `setFlagsFromString("--expose-gc")`
 * and a fresh `node:vm` context is Node's documented way to get one at run
 * time, so it works from source and in the compiled binary alike.
 *
 * @module
 */

import v8 from "node:v8";
import vm from "node:vm";

/** Options of {@linkcode ChildMemoryReclaimer}. */
export interface ChildMemoryReclaimerOptions {
  /** Finished children between two full collections (~20 ms each). @default 50 */
  readonly every?: number;
  /** The collection itself. @default V8's, exposed at first need; none where it cannot be had */
  readonly collect?: () => void;
}

/** Counts finished child processes and runs a full collection every so many. */
export class ChildMemoryReclaimer {
  readonly #every: number;
  #collect: (() => void) | null | undefined;
  #ended = 0;
  #collections = 0;

  /** @param options how often, and the collection (tests count calls) */
  constructor(options: ChildMemoryReclaimerOptions = {}) {
    this.#every = options.every ?? 50;
    this.#collect = options.collect;
  }

  /** One more child has ended and its output was read. */
  childEnded(): void {
    if (++this.#ended % this.#every !== 0) return;
    this.#collect ??= v8Collector();
    if (this.#collect === null) return;
    this.#collect();
    this.#collections++;
  }

  /** Full collections run so far. */
  get collections(): number {
    return this.#collections;
  }
}

/** V8's full collection, or null where this runtime will not expose it. */
export function v8Collector(): (() => void) | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc: unknown = vm.runInNewContext("gc");
    return typeof gc === "function" ? () => gc() : null;
  } catch {
    return null;
  }
}
