/**
 * Record: what happens after a push call succeeds or gives up, the same for
 * the streaming and the final push. Pushed paths get their time on the
 * timeline, lose any earlier failure, and are appended to the ledger (one
 * write per batch, in order), so a later process knows what is missing.
 *
 * @module
 */

import type { Ledger } from "../state/ledger.ts";
import { reason } from "../state/state_dir.ts";
import type { StorePath } from "../store/store_path.ts";
import type { Clock } from "../system/clock.ts";
import type { PathRecord, PathTimeline } from "./path_timeline.ts";

/** What {@linkcode PushRecorder} needs. */
export interface PushRecorderParts {
  readonly ledger: Ledger;
  readonly timeline: PathTimeline;
  readonly clock: Clock;
  /**
   * Told the first time the ledger cannot be written (a full disk): the paths
   * are in the cache, and this process knows it; only a later process may
   * push them again.
   */
  readonly onRecordError: (error: Error) => void;
}

/** After-push bookkeeping of one phase of a run. */
export class PushRecorder {
  readonly #parts: PushRecorderParts;
  readonly #phase: PathRecord["phase"];
  readonly #failures = new Map<StorePath, string>();
  #unrecorded = 0;
  #writing: Promise<void> = Promise.resolve();

  /** @param parts ledger, timeline, clock; @param phase which phase's pushes these are */
  constructor(parts: PushRecorderParts, phase: PathRecord["phase"]) {
    this.#parts = parts;
    this.#phase = phase;
  }

  /**
   * Records paths the cache now has. Returns how many were not in the ledger
   * yet (a path pushed again is not counted twice).
   */
  pushed(paths: readonly StorePath[]): number {
    const { ledger, timeline, clock } = this.#parts;
    const at = clock.now();
    for (const path of paths) {
      timeline.pushed(path, at, this.#phase);
      this.#failures.delete(path);
    }
    const fresh = paths.filter((path) => !ledger.has(path)).length;
    this.#writing = this.#writing.then(() => ledger.record(paths)).catch((error) => {
      if (this.#unrecorded === 0) {
        this.#parts.onRecordError(error instanceof Error ? error : new Error(String(error)));
      }
      this.#unrecorded += paths.length;
    });
    return fresh;
  }

  /** Records a path given up on, with the last error. */
  failed(path: StorePath, reason: string): void {
    this.#failures.set(path, reason);
  }

  /** Paths given up on (and not pushed since), with their last error. */
  get failures(): ReadonlyMap<StorePath, string> {
    return this.#failures;
  }

  /** Pushed paths the ledger could not record. */
  get unrecorded(): number {
    return this.#unrecorded;
  }

  /** Resolves once every ledger write so far is done. */
  settled(): Promise<void> {
    return this.#writing;
  }
}

/** The one warning when pushed paths cannot be recorded. */
export function recordWarning(error: Error): string {
  return `cannot record pushed paths in the state directory (${reason(error)}): they are in ` +
    "the cache, but a later attic-ci push may push them again";
}
