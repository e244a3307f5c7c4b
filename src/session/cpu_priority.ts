/**
 * The helper gives the CPU to the build it runs beside (`--nice`): from the
 * moment the build has started (`exec`, `build`), or from its own start (the
 * detached watcher, `watch`, which never start the build), it runs at a lower
 * priority, so its uploads fill the gaps the build leaves. A system that
 * refuses costs one line, never the build.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";

/** Lowers the helper's priority to nice `niceness`; 0 leaves it as it is. */
export function yieldCpu(ctx: CommandContext, niceness: number): void {
  if (niceness === 0) return;
  try {
    ctx.system.lowerPriority(niceness);
  } catch (error) {
    ctx.logger.warn(
      `cannot lower the helper's CPU priority to nice ${niceness} (${
        error instanceof Error ? error.message : error
      }); it pushes at the build's priority (--nice)`,
    );
  }
}
