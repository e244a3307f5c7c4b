/**
 * The end of a job's secrets: every file of the state directory that holds
 * the token (token file, attic configuration, netrc) is removed when the run
 * that needed it ends, so a later job on the same runner (every job of a
 * shell runner runs as one user) finds none.
 *
 * @module
 */

import { removeSecrets, type StateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";

/** Removes the token's files; a failure is one warning naming the file (never the token). */
export async function forgetSecrets(ctx: CommandContext, files: StateFiles): Promise<void> {
  try {
    await removeSecrets(files);
  } catch (error) {
    ctx.logger.warn(
      `${error instanceof Error ? error.message : error}; it holds the token: remove it by hand`,
    );
  }
}
