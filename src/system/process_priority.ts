/**
 * Giving the CPU to the build: the helper lowers its own scheduling priority
 * (raises its nice value) once the build it runs beside has started, so that
 * its pushing, hashing and bookkeeping run in the gaps the build leaves
 * instead of taking cores from the compilers. On a build that computes, every
 * CPU second the helper takes at the same priority lengthens the build.
 *
 * On Linux a nice value belongs to a thread, not to a process: every thread
 * of the process is lowered (each listed in `/proc/self/task`), and threads
 * and children started later inherit it from the thread that starts them.
 * The build itself was started before, so it keeps its priority; the
 * `nix-store` and `attic` processes the helper starts after share the lower
 * one. A nice value is never raised here (a helper started at 15 stays there).
 *
 * A helper that falls behind (the store watch's queue overflowed: the build
 * makes paths faster than a low-priority helper reads whose they are) goes
 * back to the priority it had ({@linkcode restoreOwnPriority}) where the
 * system lets it — root, or a raised `RLIMIT_NICE`; elsewhere it says so.
 *
 * @module
 */

import { getPriority, setPriority } from "node:os";

/** The most a nice value may be (the lowest priority). */
export const MAX_NICENESS = 19;

/** What lowering the priority did. */
export interface PriorityChange {
  /** The nice value the threads have now (the larger of theirs and the one asked for). */
  readonly niceness: number;
  /** The nice value the process had before (its main thread's). */
  readonly before: number;
  /** Threads lowered (0 when every thread was at that value or lower already). */
  readonly threads: number;
}

/**
 * Lowers every thread of this process to `niceness` (0–19), where it is at a
 * higher priority. Throws when the system refuses (the caller says so in one
 * line and goes on at the priority it has).
 *
 * @example
 * ```ts
 * lowerOwnPriority(10); // { niceness: 10, threads: 6 }
 * ```
 */
export function lowerOwnPriority(niceness: number): PriorityChange {
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > MAX_NICENESS) {
    throw new RangeError(`a nice value is 0 to ${MAX_NICENESS}, not ${niceness}`);
  }
  const before = getPriority(0);
  let highest = niceness;
  let threads = 0;
  for (const { tid, current } of ownThreadPriorities()) {
    highest = Math.max(highest, current);
    if (current >= niceness) continue;
    setPriority(tid, niceness);
    threads++;
  }
  return { niceness: highest, before, threads };
}

/** Each live thread of this process with its nice value (a thread that ended meanwhile is left out). */
function ownThreadPriorities(): Array<{ tid: number; current: number }> {
  const threads: Array<{ tid: number; current: number }> = [];
  for (const tid of ownThreads()) {
    try {
      threads.push({ tid, current: getPriority(tid) });
    } catch { /* the thread ended meanwhile */ }
  }
  return threads;
}

/** The thread ids of this process (Linux); elsewhere 0, the whole process. */
function ownThreads(): number[] {
  try {
    return [...Deno.readDirSync("/proc/self/task")].map((entry) => Number(entry.name))
      .filter((tid) => Number.isInteger(tid) && tid > 0);
  } catch {
    return [0];
  }
}

/**
 * Brings every thread of this process back to nice `niceness` where it is
 * at a lower priority (a higher value), e.g. to the value it had before
 * {@linkcode lowerOwnPriority}. Returns the threads changed. Throws when the
 * system refuses (an unprivileged process may not lower its nice value
 * unless `RLIMIT_NICE` allows).
 */
export function restoreOwnPriority(niceness: number): number {
  let threads = 0;
  for (const { tid, current } of ownThreadPriorities()) {
    if (current <= niceness) continue;
    setPriority(tid, niceness);
    threads++;
  }
  return threads;
}
