/**
 * Record: the paths attributed to this job (see engine/attribution.ts), as
 * they are decided — so a final push in another process (after_script's, after
 * the watcher died with the script on a Docker executor) reconciles only the
 * job's own paths. Text, one store path per line under a header naming the
 * kind and version, appended as it happens.
 *
 * @module
 */

import { StateFileError } from "../errors.ts";
import { isStorePathName, type StorePath, storePathName } from "../store/store_path.ts";
import { StorePathSet } from "../store/store_path_set.ts";
import { readOptional, type StateFiles, writePrivateFile } from "./state_dir.ts";

/** The first line of the file. */
export const OWNED_HEADER = "# attic-ci/owned@1";

/** The paths attributed to this job. */
export class OwnedPaths {
  readonly #file: string;
  readonly #paths = new StorePathSet();

  private constructor(file: string) {
    this.#file = file;
  }

  /** Starts an empty record (a new session). */
  static async begin(files: StateFiles): Promise<OwnedPaths> {
    await writePrivateFile(files.owned, `${OWNED_HEADER}\n`);
    return new OwnedPaths(files.owned);
  }

  /** The record a session left; null when it left none (a session before attribution). */
  static async open(files: StateFiles): Promise<OwnedPaths | null> {
    const text = await readOptional(files.owned);
    if (text === null) return null;
    const [first, ...lines] = text.split("\n");
    if (first !== OWNED_HEADER) {
      throw new StateFileError(files.owned, `does not start with ${OWNED_HEADER}`);
    }
    const owned = new OwnedPaths(files.owned);
    for (const line of lines) {
      if (line.length === 0) continue;
      if (!isStorePathName(storePathName(line))) {
        throw new StateFileError(files.owned, `has a line that is not a store path: ${line}`);
      }
      owned.#paths.add(line);
    }
    return owned;
  }

  /** Whether `path` is this job's. */
  has(path: StorePath): boolean {
    return this.#paths.has(path);
  }

  /** How many paths are this job's. */
  get size(): number {
    return this.#paths.size;
  }

  /**
   * Records `paths` as this job's: appended to the file at once, synchronously
   * (paths come one by one, and a small append costs less than a hop to the
   * runtime's blocking pool); kept in memory if that fails (which rejects).
   */
  // deno-lint-ignore require-await -- a failed write rejects, as callers expect of a record
  async add(paths: Iterable<StorePath>): Promise<void> {
    const fresh = [...paths].filter((path) => !this.#paths.has(path));
    if (fresh.length === 0) return;
    for (const path of fresh) this.#paths.add(path);
    Deno.writeTextFileSync(this.#file, fresh.join("\n") + "\n", { append: true, mode: 0o600 });
  }
}
