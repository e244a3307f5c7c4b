/**
 * Detect: watch the store directory for finished paths. Nix deletes
 * `<path>.lock` once `<path>` is registered valid, for builds and
 * substitutions alike, so a *remove* event of a lock names a candidate.
 *
 * @module
 */

import { lockedPathName } from "../store/store_path.ts";

/** What the watcher reports. */
export type StoreEvent =
  /** `name` (an entry of the store directory) was probably just finished. */
  | { readonly kind: "finished"; readonly name: string; readonly at: number }
  /** Events may have been lost (queue overflow, watcher error): diff the store. */
  | { readonly kind: "rescan"; readonly reason: string; readonly at: number };

/** A source of {@linkcode StoreEvent}s that can be closed. */
export interface StoreWatcher extends AsyncIterable<StoreEvent> {
  /** Stop watching; the iteration ends. */
  close(): void;
}

/** Options of {@linkcode FsStoreWatcher}. */
export interface FsStoreWatcherOptions {
  /** Delay before re-opening the watch after an error. @default 500 */
  readonly restartDelayMs?: number;
}

/**
 * {@linkcode StoreWatcher} on `Deno.watchFs` (inotify on Linux, FSEvents on
 * macOS), non-recursive. Queue overflows (`flag: "rescan"`) and watcher errors
 * become `rescan` events instead of silently lost paths; after an error the
 * watch is re-opened.
 */
export class FsStoreWatcher implements StoreWatcher {
  readonly #storeDir: string;
  readonly #restartDelayMs: number;
  #watcher: Deno.FsWatcher | null = null;
  #closed = false;

  /**
   * Opens the watch at once, so nothing finished after the constructor
   * returns is missed.
   *
   * @param storeDir the store directory, e.g. `/nix/store`
   */
  constructor(storeDir: string, options: FsStoreWatcherOptions = {}) {
    this.#storeDir = storeDir;
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
    while (!this.#closed) {
      try {
        this.#watcher ??= Deno.watchFs(this.#storeDir, { recursive: false });
        for await (const event of this.#watcher) {
          if (event.flag === "rescan") {
            yield { kind: "rescan", reason: "the watch queue overflowed", at: Date.now() };
          }
          if (event.kind !== "remove") continue;
          for (const path of event.paths) {
            const name = lockedPathName(path.slice(path.lastIndexOf("/") + 1));
            if (name !== null) yield { kind: "finished", name, at: Date.now() };
          }
        }
        if (this.#closed) return;
        this.#watcher = null;
        yield { kind: "rescan", reason: "the watch ended unexpectedly", at: Date.now() };
      } catch (error) {
        if (this.#closed) return;
        this.#watcher = null;
        yield {
          kind: "rescan",
          reason: `the watch failed (${error instanceof Error ? error.message : error})`,
          at: Date.now(),
        };
        await new Promise((resolve) => setTimeout(resolve, this.#restartDelayMs));
      }
    }
  }
}
