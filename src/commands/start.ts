/**
 * `attic-ci start`: set up the pull side, bootstrap, then launch the watcher
 * fully detached (no inherited stdin/stdout/stderr, or a GitLab job would
 * hang waiting for them) and return as soon as it watches. On stdout: the
 * `export` lines that make the job's own Nix substitute from the cache, for
 * `eval "$(attic-ci start)"` (the log goes to stderr).
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { EnvironmentError } from "../errors.ts";
import { prepareWatcher } from "../session/watch_session.ts";
import { startWatcher } from "../session/watcher_process.ts";
import { exportLines } from "../pull/job_nix_config.ts";
import { DONE, type EngineCommand } from "./outcome.ts";

/** `attic-ci start`. */
export const startCommand: EngineCommand = {
  ...commandLineOf("start"),
  positionalHint: "see start --help",
  async run({ argv, config, ctx }) {
    let prepared;
    try {
      prepared = await prepareWatcher(config, ctx, { pull: true });
    } catch (error) {
      if (!(error instanceof EnvironmentError) || config.strict) throw error;
      ctx.logger.info(`error: ${error.message}`);
      ctx.logger.warn(
        "caching is off for this job: nothing is streamed or recorded (--strict fails)",
      );
      return { kind: "cache", cache: { complete: false, strict: config.strict } };
    }
    const { files, setup } = prepared;
    // For the job's shell: its Nix pulls from the cache whether or not the watcher starts.
    ctx.system.stdout(exportLines(setup.pull.env));
    // The watcher reads its configuration from the same flags and variables.
    const pid = await startWatcher(
      ctx,
      files,
      argv,
      setup.bootstrap,
      setup.pull.keyName,
      await ctx.system.processGroup("self"),
    );
    if (pid !== null) {
      ctx.logger.info(`watcher started (pid ${pid}, state ${files.dir}); end with attic-ci stop`);
      return DONE;
    }
    ctx.logger.warn("nothing will be streamed; attic-ci push at the end still pushes the build");
    return { kind: "cache", cache: { complete: false, strict: config.strict } };
  },
};
