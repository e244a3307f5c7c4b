/**
 * `attic-ci status [--json]`: what the watcher of a state directory is doing.
 *
 * @module
 */

import { commandHelp } from "../cli/help.ts";
import { GLOBAL_OPTIONS, LOCATION_OPTIONS, STATUS_OPTIONS } from "../cli/option_specs.ts";
import { parseCommandArgs } from "../cli/parse_args.ts";
import { ConfigError } from "../errors.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";
import type { CommandContext } from "./context.ts";
import { isWatcherAlive, readPid, readStatus } from "./status_file.ts";

const STATE_DIR_OPTION = LOCATION_OPTIONS.filter((o) => o.flag === "state-dir");

/** `status --help`. */
export const STATUS_HELP = commandHelp(
  "attic-ci status [--json] [--state-dir DIR]",
  "Say whether a watcher runs for the state directory and what it has done so far.\n" +
    "Exit 0 when one runs, 3 when none does.",
  [{ title: "Options", options: [...STATUS_OPTIONS, ...STATE_DIR_OPTION, ...GLOBAL_OPTIONS] }],
);

/** Runs `status`; exit 0 when a watcher runs, 3 when none does. */
export async function statusCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = parseCommandArgs(
    argv,
    [...STATUS_OPTIONS, ...STATE_DIR_OPTION, ...GLOBAL_OPTIONS],
    ctx.env,
  );
  if (args.values.has("help")) {
    ctx.stdout(STATUS_HELP);
    return 0;
  }
  if (args.positionals.length > 0) {
    throw new ConfigError(args.positionals[0]!, "unexpected argument", "see status --help");
  }
  const files = stateFiles(String(args.values.get("state-dir")?.value ?? defaultStateDir(ctx.env)));
  const pid = await readPid(files);
  const running = pid !== null && (await isWatcherAlive(pid));
  const status = await readStatus(files);
  if (args.values.get("json")?.value === true) {
    ctx.stdout(JSON.stringify({ running, pid, stateDir: files.dir, status }, null, 2) + "\n");
    return running ? 0 : 3;
  }
  if (!running) {
    ctx.stdout(
      pid === null
        ? `no watcher is running (state dir ${files.dir})\n`
        : `no watcher is running: pid ${pid} is gone (state dir ${files.dir})\n`,
    );
    return 3;
  }
  const s = status;
  ctx.stdout(
    s
      ? `watcher pid ${pid}: ${s.state}, pushing to ${s.target}; ${s.detected} detected, ` +
        `${s.pushed} pushed, ${s.pushing} pushing, ${s.queued} queued, ${s.failed} failed` +
        (s.deferred > 0 ? `, ${s.deferred} deferred` : "") + "\n"
      : `watcher pid ${pid}: starting\n`,
  );
  return 0;
}
