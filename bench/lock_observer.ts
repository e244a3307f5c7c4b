/**
 * An independent observer of the store: timestamps the first removal of each
 * `<path>.lock` (Nix removes it once the path is registered valid), so the
 * helper's own `queuedAt` can be checked against a clock it does not control.
 *
 * @module
 */

/** Options for {@linkcode LockObserver}. */
export interface LockObserverOptions {
  /** The store directory to watch. @default "/nix/store" */
  readonly storeDir?: string;
  /** Only names (without `.lock`) for which this returns true are recorded. @default all */
  readonly accept?: (name: string) => boolean;
  /** The clock, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * Watches the store directory with `Deno.watchFs` (non-recursive) and records
 * when each lock was first seen removed.
 *
 * @example
 * ```ts
 * const observer = new LockObserver({ accept: (name) => name.includes("bench-") });
 * // ... run a build ...
 * observer.close();
 * observer.removedAt.get("/nix/store/<hash>-bench-x-n1"); // epoch ms
 * ```
 */
export class LockObserver {
  /** Store path → epoch ms of the first remove event of its `.lock`. */
  readonly removedAt: Map<string, number> = new Map();
  /** Whether the kernel's queue overflowed (some events may be missing). */
  overflowed = false;
  readonly #watcher: Deno.FsWatcher;
  readonly #done: Promise<void>;

  /** Start watching at once. */
  constructor(options: LockObserverOptions = {}) {
    const storeDir = (options.storeDir ?? "/nix/store").replace(/\/+$/, "");
    const accept = options.accept ?? (() => true);
    const now = options.now ?? Date.now;
    const watcher = Deno.watchFs(storeDir, { recursive: false });
    this.#watcher = watcher;
    this.#done = (async () => {
      try {
        for await (const event of watcher) {
          const at = now();
          if (event.flag === "rescan") this.overflowed = true;
          if (event.kind !== "remove") continue;
          for (const file of event.paths) {
            if (!file.endsWith(".lock")) continue;
            const path = file.slice(0, -".lock".length);
            const name = path.slice(path.lastIndexOf("/") + 1);
            if (!accept(name) || this.removedAt.has(path)) continue;
            this.removedAt.set(path, at);
          }
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    })();
  }

  /** Stop watching; resolves when the event loop has ended. */
  async close(): Promise<void> {
    try {
      this.#watcher.close();
    } catch {
      // already closed
    }
    await this.#done;
  }
}
