/**
 * The watcher's live status in the state directory (for `status` and for
 * `stop`'s progress lines), and the checks for a watcher that is alive.
 *
 * @module
 */

import type { StreamingSession } from "../engine/streaming_session.ts";
import { readOptional, type StateFiles, writePrivateFile } from "../state/state_dir.ts";

/** What `status.json` holds. */
export interface WatcherStatus {
  readonly pid: number;
  readonly state: string;
  readonly backend: string;
  readonly target: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly detected: number;
  readonly pushed: number;
  readonly pushing: number;
  readonly queued: number;
  readonly deferred: number;
  readonly failed: number;
}

/** Rewrites `status.json` at most every `intervalMs` (and on demand). */
export class StatusWriter {
  readonly #files: StateFiles;
  readonly #base: Pick<WatcherStatus, "pid" | "backend" | "target" | "startedAt">;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /** @param files where to write; @param base the fixed fields */
  constructor(
    files: StateFiles,
    base: Pick<WatcherStatus, "pid" | "backend" | "target" | "startedAt">,
    intervalMs = 500,
  ) {
    this.#files = files;
    this.#base = base;
    this.#intervalMs = intervalMs;
  }

  /** Schedules a write of the session's current status. */
  update(session: StreamingSession): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.write(session);
    }, this.#intervalMs);
  }

  /** Writes the status now; resolves when written. */
  write(session: StreamingSession): Promise<void> {
    const status: WatcherStatus = {
      ...this.#base,
      state: session.state,
      updatedAt: Date.now(),
      detected: session.counters.detected,
      pushed: session.counters.pushed,
      pushing: session.pushing,
      queued: session.queued,
      deferred: session.counters.deferred,
      failed: session.failed.size,
    };
    this.#writing = this.#writing.then(() =>
      writePrivateFile(this.#files.status, JSON.stringify(status, null, 2) + "\n")
    ).catch(() => {});
    return this.#writing;
  }

  /** Stops scheduled writes. */
  close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#writing;
  }
}

/** The status file's content, or null. */
export async function readStatus(files: StateFiles): Promise<WatcherStatus | null> {
  const text = await readOptional(files.status);
  try {
    return text ? JSON.parse(text) as WatcherStatus : null;
  } catch {
    return null;
  }
}

/** The pid in the pidfile, or null. */
export async function readPid(files: StateFiles): Promise<number | null> {
  const text = await readOptional(files.pidfile);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether `pid` is a live attic-ci watcher. On Linux it checks the process's
 * command line (a recycled pid is not mistaken for ours; a zombie is dead);
 * elsewhere it asks the kernel whether the pid exists.
 */
export async function isWatcherAlive(pid: number): Promise<boolean> {
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return cmdline.split("\0").some((arg) => arg === "watch" || arg === "__watch");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && (await procAvailable())) return false;
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function procAvailable(): Promise<boolean> {
  try {
    await Deno.stat("/proc/self");
    return true;
  } catch {
    return false;
  }
}

/** The pid of a live watcher using this state directory, or null. */
export async function liveWatcher(files: StateFiles): Promise<number | null> {
  const pid = await readPid(files);
  return pid !== null && (await isWatcherAlive(pid)) ? pid : null;
}
