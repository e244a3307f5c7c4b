/**
 * `status.json`: the detached watcher's live status, rewritten as it works,
 * for `attic-ci status` and for `stop`'s progress lines.
 *
 * @module
 */

import { z } from "zod";
import type { StreamingSession } from "../engine/streaming_session.ts";
import type { StateFiles } from "../state/state_dir.ts";
import { readStateFile, writeStateFile } from "../state/state_file.ts";
import type { Clock } from "../system/clock.ts";

/** The schema identifier of `status.json`. */
export const STATUS_SCHEMA = "attic-ci/status@1";

const count = z.number().int().nonnegative();
const WatcherStatusSchema = z.object({
  schema: z.literal(STATUS_SCHEMA),
  pid: z.number().int(),
  state: z.enum(["watching", "draining", "drained"]),
  backend: z.string(),
  target: z.string(),
  startedAt: z.number(),
  updatedAt: z.number(),
  detected: count,
  pushed: count,
  pushing: count,
  queued: count,
  deferred: count,
  failed: count,
});

/** What `status.json` holds. */
export type WatcherStatus = z.infer<typeof WatcherStatusSchema>;

/** The fixed fields of a watcher's status. */
export type WatcherIdentity = Pick<WatcherStatus, "pid" | "backend" | "target" | "startedAt">;

/** Rewrites `status.json` at most every `intervalMs` (and on demand). */
export class StatusWriter {
  readonly #files: StateFiles;
  readonly #identity: WatcherIdentity;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #timer: ReturnType<Clock["setTimeout"]> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /** @param files where to write; @param identity the fixed fields */
  constructor(files: StateFiles, identity: WatcherIdentity, clock: Clock, intervalMs = 500) {
    this.#files = files;
    this.#identity = identity;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** Schedules a write of the session's current status. */
  update(session: StreamingSession): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.write(session);
    }, this.#intervalMs);
  }

  /** Writes the status now; resolves when written (a failed write is retried at the next). */
  write(session: StreamingSession): Promise<void> {
    const status: WatcherStatus = {
      schema: STATUS_SCHEMA,
      ...this.#identity,
      state: session.state as WatcherStatus["state"],
      updatedAt: this.#clock.now(),
      detected: session.counters.detected,
      pushed: session.counters.pushed,
      pushing: session.pushing,
      queued: session.queued,
      deferred: session.counters.deferred,
      failed: session.failed.size,
    };
    this.#writing = this.#writing.then(() => writeStateFile(this.#files.status, status)).catch(
      () => {},
    );
    return this.#writing;
  }

  /** Stops scheduled writes. */
  close(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#writing;
  }
}

/** The status file's content, or null. Throws StateFileError for a foreign file. */
export async function readStatus(files: StateFiles): Promise<WatcherStatus | null> {
  return await readStateFile(files.status, WatcherStatusSchema, STATUS_SCHEMA);
}
