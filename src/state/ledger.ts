/**
 * Record: the ledger of pushed store paths and the start baseline, persisted
 * as they happen so the final push knows exactly what is still missing, even
 * after the watcher was killed.
 *
 * @module
 */

import type { StorePath } from "../store/store_path.ts";
import { readOptional, type StateFiles, writePrivateFile } from "./state_dir.ts";

/** The pushed-paths ledger and the baseline of one session. */
export class Ledger {
  readonly #files: StateFiles;
  readonly #pushed = new Set<StorePath>();

  private constructor(files: StateFiles) {
    this.#files = files;
  }

  /** Starts a new session: writes the baseline and empties the ledger. */
  static async begin(files: StateFiles, baseline: Iterable<string>): Promise<Ledger> {
    await writePrivateFile(files.baseline, [...baseline].join("\n") + "\n");
    await writePrivateFile(files.ledger, "");
    return new Ledger(files);
  }

  /** Opens the state a previous session left (empty when there is none). */
  static async open(files: StateFiles): Promise<Ledger> {
    const ledger = new Ledger(files);
    for (const line of (await readOptional(files.ledger) ?? "").split("\n")) {
      if (line.length > 0) ledger.#pushed.add(line);
    }
    return ledger;
  }

  /** The baseline store entry names, or null when no session recorded one. */
  async baseline(): Promise<Set<string> | null> {
    const text = await readOptional(this.#files.baseline);
    if (text === null) return null;
    return new Set(text.split("\n").filter((l) => l.length > 0));
  }

  /** Whether `path` was recorded as pushed. */
  has(path: StorePath): boolean {
    return this.#pushed.has(path);
  }

  /** How many paths are recorded as pushed. */
  get size(): number {
    return this.#pushed.size;
  }

  /** Records pushed paths, appending to the file at once (one write per batch). */
  async record(paths: readonly StorePath[]): Promise<void> {
    const fresh = paths.filter((p) => !this.#pushed.has(p));
    if (fresh.length === 0) return;
    for (const path of fresh) this.#pushed.add(path);
    await Deno.writeTextFile(this.#files.ledger, fresh.join("\n") + "\n", {
      append: true,
      mode: 0o600,
    });
  }
}
