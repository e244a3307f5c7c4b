/**
 * Per-path timestamps (detected, queued, pushed), for the JSON report and the
 * benchmark's detection-latency figures.
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

/** The timeline of every path a session handled. */
export class PathTimeline {
  readonly #records = new Map<StorePath, PathRecord>();

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
    }
  }

  /** All records, in detection order. */
  records(): PathRecord[] {
    return [...this.#records.values()];
  }
}
