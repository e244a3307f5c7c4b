/**
 * Detect: store events in, candidate paths out. Nix deletes `<path>.lock`
 * once `<path>` is registered valid, for builds and substitutions alike, so
 * the removal of a lock names a candidate. When events may have been lost (a
 * `rescan`), the store is listed and diffed against the start baseline —
 * never listed per event. Each name is a candidate once, unless forgotten.
 *
 * @module
 */

import type { PathFilter } from "../store/path_filter.ts";
import type { StoreBaseline } from "../store/store_baseline.ts";
import { newNamesIn } from "../store/store_listing.ts";
import { lockedPathName, type StorePath, storePath } from "../store/store_path.ts";
import { StorePathSet } from "../store/store_path_set.ts";
import type { StoreEvent } from "../system/system.ts";

/** Options of {@linkcode Detector}. */
export interface DetectorOptions {
  readonly storeDir: string;
  /** Store entry names present at start (a rescan diffs against it, once listed). */
  readonly baseline: StoreBaseline;
  readonly filter: PathFilter;
}

/** Where the detector's findings go. */
export interface DetectorSinks {
  /** A store path that is probably finished, first seen at `at`. */
  candidate(path: StorePath, at: number): void;
  /** A path that will not be pushed, and why. */
  skipped(reason: "derivation" | "excluded"): void;
  /** Events may have been lost; a rescan runs. */
  rescan(reason: string): void;
  /** The rescan could not list the store. */
  rescanFailed(error: Error): void;
}

/** The detect stage. */
export class Detector {
  readonly #options: DetectorOptions;
  readonly #sinks: DetectorSinks;
  /** Names already handled; compact, as it grows with every path of a long session. */
  readonly #seen = new StorePathSet();

  /** @param options store and baseline; @param sinks where findings go */
  constructor(options: DetectorOptions, sinks: DetectorSinks) {
    this.#options = options;
    this.#sinks = sinks;
  }

  /** Handles every event of `events` until it ends. */
  async consume(events: AsyncIterable<StoreEvent>): Promise<void> {
    for await (const event of events) await this.handle(event);
  }

  /** Handles one event. */
  async handle(event: StoreEvent): Promise<void> {
    if (event.kind === "removed") {
      const name = lockedPathName(event.name);
      if (name !== null) this.#candidate(name, event.at);
      return;
    }
    if (event.kind === "created") return; // the attribution's business
    this.#sinks.rescan(event.reason);
    try {
      const baseline = await this.#options.baseline.names();
      const found = await newNamesIn(this.#options.storeDir, baseline, this.#seen);
      for (const name of found) {
        this.#candidate(name, event.at);
      }
    } catch (error) {
      this.#sinks.rescanFailed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Forgets `path`, so a later event or rescan makes it a candidate again (an
   * invalid path may still be finished later).
   */
  forget(path: StorePath): void {
    this.#seen.delete(path);
  }

  #candidate(name: string, at: number): void {
    if (this.#seen.has(name)) return;
    this.#seen.add(name);
    const path = storePath(this.#options.storeDir, name);
    const reason = this.#options.filter.reason(path);
    if (reason !== null) return this.#sinks.skipped(reason);
    this.#sinks.candidate(path, at);
  }
}
