/**
 * The helper gives the CPU to the build it runs beside (`--nice`): from the
 * moment the build has started (`exec`, `build`), or from its own start (the
 * detached watcher, `watch`, which never start the build), it runs at a lower
 * priority, so its uploads fill the gaps the build leaves. A system that
 * refuses costs one line, never the build.
 *
 * A helper that falls behind (the build makes paths faster than it reads
 * them: the watch's queue overflowed) takes its priority back where the
 * system allows: a low-priority helper starved by a burst of thousands of
 * paths a second reads too late which Nix process rooted a path, and a path
 * nobody can tell is this job's is not pushed.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";

/** A lowered priority, which can be taken back. */
export interface CpuYield {
  /** Back to the priority the helper had, saying why in one line; once. */
  resume(why: string): void;
}

/** Lowers the helper's priority to nice `niceness`; 0 leaves it as it is (and gives null). */
export function yieldCpu(ctx: CommandContext, niceness: number): CpuYield | null {
  if (niceness === 0) return null;
  let before: number;
  try {
    before = ctx.system.lowerPriority(niceness).before;
  } catch (error) {
    ctx.logger.warn(
      `cannot lower the helper's CPU priority to nice ${niceness} (${
        error instanceof Error ? error.message : error
      }); it pushes at the build's priority (--nice)`,
    );
    return null;
  }
  let resumed = false;
  return {
    resume(why) {
      if (resumed) return;
      resumed = true;
      try {
        ctx.system.restorePriority(before);
        ctx.logger.info(`${why}: the helper is back at the build's CPU priority`);
      } catch (error) {
        ctx.logger.warn(
          `${why}, and the helper cannot take its CPU priority back (${
            error instanceof Error ? error.message : error
          }): for builds that make thousands of paths a second, run it with --nice 0`,
        );
      }
    },
  };
}

/** The reason a session that fell behind gives. */
export const FELL_BEHIND = "the build makes paths faster than the helper reads them";
