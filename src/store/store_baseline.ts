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
 * the watch's events arrive. When they do not all arrive (the kernel's
 * event queue overflowed: a burst of thousands of paths), the events cannot
 * tell, and the entries themselves do: every listed name whose entry changed
 * since the watch opened (its ctime: Nix sets a finished path's times, which
 * changes it) is left out too — one `lstat` per listed name, only then.
 *
 * @module
 */

import { lockedPathName } from "./store_path.ts";
import { changedSince, listStoreNamesAndLocks } from "./store_listing.ts";

/** How {@linkcode StoreBaseline} lists and times. */
export interface StoreBaselineParts {
  /** Lists the store's path names and locks (e.g. {@linkcode listStoreNamesAndLocks}). */
  readonly list: (storeDir: string) => Promise<Set<string>>;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /**
   * Of `names` (entries of `storeDir`), those whose entry changed at or
   * after `sinceMs` (epoch milliseconds), or is gone
   * (e.g. {@linkcode changedSince}).
   */
  readonly changedSince: (
    storeDir: string,
    names: Iterable<string>,
    sinceMs: number,
  ) => Promise<string[]>;
}

/**
 * How far before the watch opened an entry's change still counts as the
 * session's: the file system's clock and ours are the same clock, but a
 * ctime is read to the second, so one finished just after the watch opened
 * reads up to a second earlier.
 */
const CHANGE_MARGIN_MS = 1_000;

/** The store's names at the start of a session, listed in the background. */
export class StoreBaseline {
  #names: Promise<Set<string>> = Promise.resolve(new Set());
  /** Names the watch mentioned (while listing; after, they are deleted from the set at once). */
  readonly #mentioned = new Set<string>();
  #listed: Set<string> | null = null;
  #seconds: number | null = null;
  /** Whether events were lost and the listed names were checked by their entries. */
  #eventsLost = false;
  #changes = 0;
  readonly #listeners: Array<() => void> = [];

  #storeDir = "";
  #watchOpenedAt = 0;
  #changedSince: StoreBaselineParts["changedSince"] = changedSince;

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
    parts: Partial<Pick<StoreBaselineParts, "list" | "changedSince">> = {},
  ): StoreBaseline {
    const list = parts.list ?? listStoreNamesAndLocks;
    const now = () => clock.now();
    const started = now();
    const baseline = new StoreBaseline();
    baseline.#storeDir = storeDir;
    baseline.#watchOpenedAt = started;
    baseline.#changedSince = parts.changedSince ?? changedSince;
    baseline.#names = list(storeDir).then((listed) => {
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
      baseline.#seconds = (now() - started) / 1000;
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
    if (this.#listed === null) this.#mentioned.add(path);
    else if (this.#listed.delete(path)) this.#changed();
  }

  /**
   * The watch lost events (its queue overflowed): leaves out every listed
   * name whose entry changed since the watch opened. Once is enough — a name
   * made after the listing ended is not in it. {@linkcode names} resolves
   * after this check.
   */
  eventsLost(): void {
    if (this.#eventsLost) return;
    this.#eventsLost = true;
    this.#names = this.#names.then(async (listed) => {
      const since = this.#watchOpenedAt - CHANGE_MARGIN_MS;
      const changed = await this.#changedSince(this.#storeDir, listed, since);
      for (const name of changed) listed.delete(name);
      if (changed.length > 0) this.#changed();
      return listed;
    });
    this.#names.catch(() => {});
  }

  /**
   * Calls `listener` whenever names leave the baseline after it was listed
   * (a late event, lost events): a baseline kept in a file is written again.
   */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** How many times names left the baseline after it was listed. */
  get changes(): number {
    return this.#changes;
  }

  #changed(): void {
    this.#changes++;
    for (const listener of this.#listeners) listener();
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
