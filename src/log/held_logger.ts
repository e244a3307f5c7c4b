/**
 * A logger whose lines wait: what a step says while another decides whether
 * the run goes on at all is written only once that is known (`release`), or
 * never (a configuration error that must be the only line).
 *
 * @module
 */

import type { Logger } from "./logger.ts";

/** A logger holding its lines for `target`, and the way to let them through. */
export interface HeldLogger {
  readonly logger: Logger;
  /** Writes the held lines to the target, in order; later lines go straight through. */
  release(): void;
}

/** Holds the lines given to the returned logger until {@linkcode HeldLogger.release}. */
export function heldLogger(target: Logger): HeldLogger {
  let held: (() => void)[] | null = [];
  const hold = (write: () => void) => held === null ? write() : held.push(write);
  return {
    logger: {
      plain: (line) => hold(() => target.plain(line)),
      info: (line) => hold(() => target.info(line)),
      warn: (line) => hold(() => target.warn(line)),
      sectionStart: (id, title) => hold(() => target.sectionStart(id, title)),
      sectionEnd: (id) => hold(() => target.sectionEnd(id)),
      get folds() {
        return target.folds;
      },
    },
    release() {
      const lines = held ?? [];
      held = null;
      for (const write of lines) write();
    },
  };
}
