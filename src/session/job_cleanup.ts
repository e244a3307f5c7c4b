/**
 * What a job leaves behind: nothing that holds the token, and no state it no
 * longer needs. The files that hold the token (token file, attic
 * configuration, the job's netrc) go when the run that needed them ends, so
 * a later job on the same runner (every job of a shell runner runs as one
 * user) finds none. The rest of the state directory goes with the command
 * that runs last in a job (after_script's `push` or `stop`), unless paths
 * are left unpushed: then it stays, for a later `push` to finish.
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

/** Whether this process runs in a GitLab job's after_script, the last script of a job. */
export function inAfterScript(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.CI_JOB_STATUS !== undefined;
}

/**
 * The end of a job's state: the token's files always; the whole directory
 * when nothing is left to push, else it is kept and the log says how to
 * finish.
 */
export async function endJobState(
  ctx: CommandContext,
  files: StateFiles,
  options: { readonly complete: boolean },
): Promise<void> {
  await forgetSecrets(ctx, files);
  if (!options.complete) {
    ctx.logger.info(
      `the state is kept in ${files.dir}: \`attic-ci push --state-dir ${files.dir}\` ` +
        "pushes what is left",
    );
    return;
  }
  try {
    await Deno.remove(files.dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      ctx.logger.warn(
        `cannot remove the state directory ${files.dir} (${
          error instanceof Error ? error.message : error
        }); nothing in it holds the token`,
      );
    }
  }
}
