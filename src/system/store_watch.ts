/**
 * The store watch: the store directory's entries created and removed
 * (./dir_watch.ts: inotify asked for only those, else `Deno.watchFs`),
 * non-recursive. It reports raw removals, the creation of locks, and the
 * moments events may have been lost (a queue overflow, a watch error, the
 * watch ending); after an error it opens the watch again. What a removal
 * means is the engine's business.
 *
 * @module
 */

import { type Clock, delay } from "./clock.ts";
import { type DirWatch, openDirWatch } from "./dir_watch.ts";
import type { StoreEvent, StoreWatcher } from "./system.ts";

/** Options of {@linkcode FsStoreWatcher}. */
export interface FsStoreWatcherOptions {
  readonly clock: Clock;
  /** Delay before re-opening the watch after an error. @default 500 */
  readonly restartDelayMs?: number;
}

/** {@linkcode StoreWatcher} on a {@linkcode DirWatch} of the store directory. */
export class FsStoreWatcher implements StoreWatcher {
  readonly #storeDir: string;
  readonly #clock: Clock;
  readonly #restartDelayMs: number;
  #watcher: DirWatch | null = null;
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
    this.#watcher = this.#open();
  }

  #open(): DirWatch {
    return openDirWatch(this.#storeDir, { created: true, removed: true });
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
      let reason = "the watch ended unexpectedly";
      // Opened again at once after an unexpected end, after a pause when it failed or went away.
      let pause = false;
      try {
        this.#watcher ??= this.#open();
        for await (const event of this.#watcher) {
          if (event.kind === "overflow") {
            yield { kind: "rescan", reason: "the watch queue overflowed", at: now() };
          } else if (event.kind === "gone") {
            reason = "the store directory went away";
            pause = true;
          } else if (event.kind === "removed") {
            yield { kind: "removed", name: event.name, at: now() };
          } else if (event.name.endsWith(".lock")) {
            // Creations of locks only: the attribution asks who holds them.
            yield { kind: "created", name: event.name, at: now() };
          }
        }
      } catch (error) {
        reason = `the watch failed (${error instanceof Error ? error.message : error})`;
        pause = true;
      }
      if (this.#closed) return;
      this.#watcher?.close();
      this.#watcher = null;
      yield { kind: "rescan", reason, at: now() };
      if (pause) await delay(this.#restartDelayMs, undefined, this.#clock);
    }
  }
}
