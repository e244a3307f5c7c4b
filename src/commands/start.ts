/**
 * `attic-ci start`: bootstrap, then launch the watcher fully detached (no
 * inherited stdin/stdout/stderr, or a GitLab job would hang waiting for them)
 * and return as soon as it watches.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../options/option_specs.ts";
import { setUpBackend } from "../session/backend_setup.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { refuseSecondWatcher, startWatcher } from "../session/watcher_process.ts";
import { ensurePrivateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type Outcome } from "./outcome.ts";

/** `start --help`. */
export const START_HELP = commandHelp(
  "attic-ci start [OPTIONS]",
  "Fetch the attic client (substitution only), start a detached watcher that pushes every\n" +
    "finished store path, and return at once. End with `attic-ci stop` (drain, final push,\n" +
    "report); `attic-ci push` in after_script catches what a killed watcher left.",
  ENGINE_HELP_GROUPS,
);

/** Runs `start`. */
export async function startCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const parsed = await commandConfig(argv, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], outer);
  if (parsed.help) {
    outer.system.stdout(START_HELP);
    return DONE;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(parsed.args.positionals[0]!, "unexpected argument", "see start --help");
  }
  const { config, ctx } = parsed;
  const files = stateFiles(config.stateDir);
  await ensurePrivateDir(files.dir);
  await refuseSecondWatcher(ctx.system, files);
  const setup = await setUpBackend(config, ctx, files);
  const pid = await startWatcher(ctx, files, argv, setup.bootstrap);
  if (pid !== null) {
    ctx.logger.info(`watcher started (pid ${pid}, state ${files.dir}); end with attic-ci stop`);
    return DONE;
  }
  ctx.logger.warn("nothing will be streamed; attic-ci push at the end still pushes the build");
  return { kind: "cache", cache: { complete: false, strict: config.strict } };
}
