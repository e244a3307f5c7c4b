/**
 * The store watch on `Deno.watchFs` (inotify on Linux, FSEvents on macOS),
 * non-recursive. It reports raw removals, the creation of locks, and the
 * moments events may have been lost (a queue overflow, a watch error, the watch ending); after an error it
 * opens the watch again. What a removal means is the engine's business.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { StoreEvent, StoreWatcher } from "./system.ts";

/** Options of {@linkcode FsStoreWatcher}. */
export interface FsStoreWatcherOptions {
  readonly clock: Clock;
  /** Delay before re-opening the watch after an error. @default 500 */
  readonly restartDelayMs?: number;
}

/** {@linkcode StoreWatcher} on `Deno.watchFs`. */
export class FsStoreWatcher implements StoreWatcher {
  readonly #storeDir: string;
  readonly #clock: Clock;
  readonly #restartDelayMs: number;
  #watcher: Deno.FsWatcher | null = null;
  #closed = false;

  /**
   * Opens the watch at once, so nothing removed after the constructor returns
   * is missed.
   *
   * @param storeDir the store directory, e.g. `/nix/store`
   */
  constructor(storeDir: string, options: FsStoreWatcherOptions) {
    this.#storeDir = storeDir;
    this.#clock = options.clock;
    this.#restartDelayMs = options.restartDelayMs ?? 500;
    this.#watcher = Deno.watchFs(storeDir, { recursive: false });
  }

  /** Ends the iteration. */
  close(): void {
    this.#closed = true;
    try {
      this.#watcher?.close();
    } catch { /* already closed */ }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoreEvent> {
    const now = () => this.#clock.now();
    while (!this.#closed) {
      try {
        this.#watcher ??= Deno.watchFs(this.#storeDir, { recursive: false });
        for await (const event of this.#watcher) {
          if (event.flag === "rescan") {
            yield { kind: "rescan", reason: "the watch queue overflowed", at: now() };
          }
          if (event.kind === "create") {
            // Locks only: the attribution asks who holds them.
            for (const path of event.paths) {
              if (!path.endsWith(".lock")) continue;
              yield { kind: "created", name: path.slice(path.lastIndexOf("/") + 1), at: now() };
            }
            continue;
          }
          if (event.kind !== "remove") continue;
          for (const path of event.paths) {
            yield { kind: "removed", name: path.slice(path.lastIndexOf("/") + 1), at: now() };
          }
        }
        if (this.#closed) return;
        this.#watcher = null;
        yield { kind: "rescan", reason: "the watch ended unexpectedly", at: now() };
      } catch (error) {
        if (this.#closed) return;
        this.#watcher = null;
        yield {
          kind: "rescan",
          reason: `the watch failed (${error instanceof Error ? error.message : error})`,
          at: now(),
        };
        await new Promise((resolve) =>
          this.#clock.setTimeout(() => resolve(undefined), this.#restartDelayMs)
        );
      }
    }
  }
}
