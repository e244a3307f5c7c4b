/**
 * Per-path timestamps (detected, queued, pushed), for the JSON report and the
 * benchmark's detection-latency figures. Bounded: a `watch` that runs for
 * weeks keeps the most recent paths pushed while streaming and counts the
 * older ones, so its memory does not grow with the paths it pushed.
 *
 * @module
 */

import type { StorePath } from "../store/store_path.ts";

/** When one path passed each step, in epoch milliseconds. */
export interface PathRecord {
  readonly path: StorePath;
  /** The watcher saw its lock go (or a rescan/reconcile found it). */
  detectedAt: number;
  /** It was verified valid and entered a batch. */
  queuedAt: number | null;
  /** The push that carried it succeeded. */
  pushedAt: number | null;
  /** Whether the streaming or the final push carried it. */
  phase: "incremental" | "final";
}

/** Options of {@linkcode PathTimeline}. */
export interface PathTimelineOptions {
  /**
   * Records kept of paths pushed while streaming; beyond it the oldest are
   * dropped (and counted). Paths not yet pushed, and the final push's, are
   * always kept: the report needs them. @default 10000
   */
  readonly keep?: number;
}

/** The timeline of the paths a session handled. */
export class PathTimeline {
  readonly #records = new Map<StorePath, PathRecord>();
  readonly #keep: number;
  #streamedKept = 0;
  #dropped = 0;

  /** @param options how many streamed records to keep */
  constructor(options: PathTimelineOptions = {}) {
    this.#keep = options.keep ?? 10_000;
  }

  /** Records detection of `path` (the first detection wins). */
  detected(path: StorePath, at: number, phase: PathRecord["phase"]): void {
    if (this.#records.has(path)) return;
    this.#records.set(path, { path, detectedAt: at, queuedAt: null, pushedAt: null, phase });
  }

  /** Records that `path` entered a batch. */
  queued(path: StorePath, at: number): void {
    const record = this.#records.get(path);
    if (record && record.queuedAt === null) record.queuedAt = at;
  }

  /** Records that `path` reached the cache. */
  pushed(path: StorePath, at: number, phase: PathRecord["phase"]): void {
    const record = this.#records.get(path);
    if (!record) {
      this.#records.set(path, { path, detectedAt: at, queuedAt: at, pushedAt: at, phase });
    } else if (record.pushedAt === null) {
      record.pushedAt = at;
      record.phase = phase;
    } else {
      return;
    }
    if (phase === "incremental" && ++this.#streamedKept > this.#keep) this.#dropOldest();
  }

  /** The records kept, in detection order. */
  records(): PathRecord[] {
    return [...this.#records.values()];
  }

  /** Records of streamed paths dropped to bound memory (they are still counted as pushed). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Drops the oldest record of a path pushed while streaming. */
  #dropOldest(): void {
    for (const [path, record] of this.#records) {
      if (record.pushedAt !== null && record.phase === "incremental") {
        this.#records.delete(path);
        this.#streamedKept--;
        this.#dropped++;
        return;
      }
    }
  }
}
