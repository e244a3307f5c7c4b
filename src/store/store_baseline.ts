/**
 * The baseline: the store's names when a session started, which nothing of
 * the session made. Listing a large store takes a second and more (100,000
 * entries), so it is listed while the build starts rather than before: the
 * store watch is open first, and a name is left out of the baseline when
 * the session may have made it —
 *
 * - its lock was in the listing (a build or download was in progress), or
 * - an event of the watch named it or its lock, before or after the listing
 *   ended (Nix takes `<path>.lock` before it writes `<path>`, so whatever a
 *   build makes after the watch opened is named by an event).
 *
 * A name left out wrongly is only a path the final push looks at again; a
 * name kept wrongly would be a path never pushed, and cannot happen while
 * the watch's events arrive.
 *
 * @module
 */

import { lockedPathName } from "./store_path.ts";
import { listStoreNamesAndLocks } from "./store_listing.ts";

/** How {@linkcode StoreBaseline} lists and times. */
export interface StoreBaselineParts {
  /** Lists the store's path names and locks (e.g. {@linkcode listStoreNamesAndLocks}). */
  readonly list: (storeDir: string) => Promise<Set<string>>;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** The store's names at the start of a session, listed in the background. */
export class StoreBaseline {
  #names: Promise<Set<string>> = Promise.resolve(new Set());
  /** Names the watch mentioned (while listing; after, they are deleted from the set at once). */
  readonly #mentioned = new Set<string>();
  #listed: Set<string> | null = null;
  #seconds: number | null = null;

  private constructor() {}

  /**
   * Starts listing `storeDir` now; call it once the store watch is open.
   *
   * @example
   * ```ts
   * const baseline = StoreBaseline.list("/nix/store", system.clock);
   * // … the build starts; every store event goes to baseline.mention(name) …
   * const names = await baseline.names();
   * ```
   */
  static list(
    storeDir: string,
    clock: { now(): number },
    list: StoreBaselineParts["list"] = listStoreNamesAndLocks,
  ): StoreBaseline {
    const parts: StoreBaselineParts = { list, now: () => clock.now() };
    const started = parts.now();
    const baseline = new StoreBaseline();
    baseline.#names = parts.list(storeDir).then((listed) => {
      for (const name of listed) {
        const locked = lockedPathName(name);
        if (locked !== null) {
          listed.delete(name);
          listed.delete(locked);
        }
      }
      for (const name of baseline.#mentioned) listed.delete(name);
      baseline.#mentioned.clear();
      baseline.#listed = listed;
      baseline.#seconds = (parts.now() - started) / 1000;
      return listed;
    });
    // A failed listing is the caller's to say, when it asks for the names.
    baseline.#names.catch(() => {});
    return baseline;
  }

  /** A baseline known already (a test, a session that listed before). */
  static of(names: Iterable<string>): StoreBaseline {
    const listed = new Set(names);
    const baseline = new StoreBaseline();
    baseline.#names = Promise.resolve(listed);
    baseline.#listed = listed;
    baseline.#seconds = 0;
    return baseline;
  }

  /** A store event named `name` (a path or its `.lock`): the session may have made that path. */
  mention(name: string): void {
    const path = lockedPathName(name) ?? name;
    if (this.#listed !== null) this.#listed.delete(path);
    else this.#mentioned.add(path);
  }

  /** The baseline once listed; rejects when the store could not be listed. */
  names(): Promise<ReadonlySet<string>> {
    return this.#names;
  }

  /** How long the listing took; null until it ended. */
  get seconds(): number | null {
    return this.#seconds;
  }
}
