/**
 * Record: the ledger of pushed store paths and the start baseline, persisted
 * as they happen so the final push knows exactly what is still missing, even
 * after the watcher was killed. Both are text, one entry per line, under a
 * first line naming their kind and version: a file of another kind or
 * another helper version is refused, never misread.
 *
 * @module
 */

import { EnvironmentError, StateFileError } from "../errors.ts";
import { isStorePathName, type StorePath, storePathName } from "../store/store_path.ts";
import { StorePathSet } from "../store/store_path_set.ts";
import { changedSince } from "../store/store_listing.ts";
import {
  readOptional,
  reason,
  type StateFiles,
  writePrivateFile,
  writePrivateLines,
} from "./state_dir.ts";

/** The first line of the baseline file. */
export const BASELINE_HEADER = "# attic-ci/baseline@1";

/** The first line of the ledger file. */
export const LEDGER_HEADER = "# attic-ci/ledger@1";

/** The pushed-paths ledger and the baseline of one session. */
export class Ledger {
  readonly #files: StateFiles;
  /** Compact: the one record of a long session that grows with every path. */
  readonly #pushed = new StorePathSet();
  readonly #baseline: Promise<ReadonlySet<string> | null>;
  /** The baseline file's last write (a live session's), or null. */
  #baselineWritten: Promise<void> | null;
  /** A write of the baseline is waiting for the one before it. */
  #rewriteQueued = false;

  private constructor(
    files: StateFiles,
    baseline: Promise<ReadonlySet<string> | null>,
    baselineWritten: Promise<void> | null = null,
  ) {
    this.#files = files;
    this.#baseline = baseline;
    this.#baselineWritten = baselineWritten;
  }

  /**
   * Starts a new session: empties the ledger and removes the last session's
   * baseline at once, and writes this one's when it has been listed (the
   * build is running by then: see store/store_baseline.ts). Throws
   * {@linkcode EnvironmentError} when the ledger cannot be written (a full
   * disk); a baseline that cannot be written rejects
   * {@linkcode Ledger.baselineWritten}.
   */
  static async begin(files: StateFiles, baseline: Promise<ReadonlySet<string>>): Promise<Ledger> {
    try {
      await Deno.remove(files.baseline).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      await writePrivateFile(files.ledger, `${LEDGER_HEADER}\n`);
    } catch (error) {
      throw unwritable(files, error);
    }
    const written = baseline.then((names) => writeBaseline(files, names));
    written.catch(() => {}); // said by whoever waits for it
    return new Ledger(files, baseline, written);
  }

  /**
   * Writes a live session's baseline file again, after names left it (an
   * event that arrived after the listing ended, lost events): a `stop` in
   * another process reconciles against the file. Writes queue behind one
   * another, and several asked for meanwhile are one.
   */
  rewriteBaseline(): void {
    const previous = this.#baselineWritten;
    if (previous === null || this.#rewriteQueued) return;
    this.#rewriteQueued = true;
    const written = previous.catch(() => {}).then(async () => {
      this.#rewriteQueued = false;
      const names = await this.#baseline;
      if (names !== null) await writeBaseline(this.#files, names);
    });
    written.catch(() => {});
    this.#baselineWritten = written;
  }

  /**
   * Opens the state a previous session left (empty when there is none),
   * checking both files at once. Throws StateFileError for another kind's or
   * another version's.
   */
  static async open(files: StateFiles): Promise<Ledger> {
    const baselineText = await readOptional(files.baseline);
    const baseline = baselineText === null
      ? null
      : new Set(entries(files.baseline, baselineText, BASELINE_HEADER));
    const ledger = new Ledger(files, Promise.resolve(baseline));
    for (const line of entries(files.ledger, await readOptional(files.ledger), LEDGER_HEADER)) {
      if (!isStorePathName(storePathName(line))) {
        throw new StateFileError(files.ledger, `has a line that is not a store path: ${line}`);
      }
      ledger.#pushed.add(line);
    }
    return ledger;
  }

  /**
   * The baseline store entry names, or null when no session recorded one;
   * a live session's once its listing ended (rejects when it failed).
   */
  baseline(): Promise<ReadonlySet<string> | null> {
    return this.#baseline;
  }

  /**
   * Resolves once a live session's baseline is in its file, as last asked
   * (at once for a ledger opened from files); rejects with an
   * {@linkcode EnvironmentError} when it could not be listed or written.
   */
  baselineWritten(): Promise<void> {
    return this.#baselineWritten ?? Promise.resolve();
  }

  /**
   * Leaves out of the baseline (in memory) every name whose store entry
   * changed at or after `sinceMs` (epoch ms): for a session whose watcher
   * was killed before it could name what the build made while the baseline
   * was being listed. Returns how many names left it.
   */
  async distrustBaselineSince(storeDir: string, sinceMs: number): Promise<number> {
    const names = await this.#baseline;
    if (names === null) return 0;
    const changed = await changedSince(storeDir, names, sinceMs);
    const editable = names as Set<string>;
    for (const name of changed) editable.delete(name);
    return changed.length;
  }

  /** Whether `path` was recorded as pushed. */
  has(path: StorePath): boolean {
    return this.#pushed.has(path);
  }

  /** How many paths are recorded as pushed. */
  get size(): number {
    return this.#pushed.size;
  }

  /**
   * Records pushed paths, appending to the file at once (one write per
   * batch, synchronous: a small append costs less than a hop to the runtime's
   * blocking pool). They count as recorded here even when the write fails
   * (which rejects): this process does not push them twice.
   */
  // deno-lint-ignore require-await -- a failed write rejects, as callers expect of a record
  async record(paths: readonly StorePath[]): Promise<void> {
    const fresh = paths.filter((p) => !this.#pushed.has(p));
    if (fresh.length === 0) return;
    for (const path of fresh) this.#pushed.add(path);
    Deno.writeTextFileSync(this.#files.ledger, fresh.join("\n") + "\n", {
      append: true,
      mode: 0o600,
    });
  }
}

/** Writes the baseline file; an {@linkcode EnvironmentError} when it cannot. */
async function writeBaseline(files: StateFiles, names: ReadonlySet<string>): Promise<void> {
  try {
    await writePrivateLines(files.baseline, withHeader(BASELINE_HEADER, names));
  } catch (error) {
    throw unwritable(files, error);
  }
}

function unwritable(files: StateFiles, error: unknown): EnvironmentError {
  return new EnvironmentError(
    `cannot record the session in ${files.dir}: ${reason(error)}`,
    "free space there, or point --state-dir (ATTIC_CI_STATE_DIR) elsewhere",
    { cause: error },
  );
}

/** The entries of a file that must start with `header`; none for a missing file. */
function entries(file: string, text: string | null, header: string): string[] {
  if (text === null) return [];
  const [first, ...rest] = text.split("\n");
  if (first !== header) {
    throw new StateFileError(
      file,
      first?.startsWith("# attic-ci/")
        ? `is ${first.slice(2)}, not ${header.slice(2)}: it was written by another attic-ci version`
        : `does not start with ${header}: it is not a file attic-ci wrote`,
    );
  }
  return rest.filter((line) => line.length > 0);
}

function* withHeader(header: string, lines: Iterable<string>): Iterable<string> {
  yield header;
  yield* lines;
}
