/**
 * `attic-ci status [--json]`: what the watcher of a state directory is doing.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandHelp } from "../options/help.ts";
import { GLOBAL_OPTIONS, LOCATION_OPTIONS, STATUS_OPTIONS } from "../options/option_specs.ts";
import { parseCommandArgs } from "../options/parse_args.ts";
import type { CommandContext } from "../session/context.ts";
import { isWatcherAlive, readPid } from "../session/watcher_process.ts";
import { readStatus } from "../session/watcher_status.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type Outcome } from "./outcome.ts";

const STATE_DIR_OPTION = LOCATION_OPTIONS.filter((o) => o.flag === "state-dir");

/** `status --help`. */
export const STATUS_HELP = commandHelp(
  "attic-ci status [--json] [--state-dir DIR]",
  "Say whether a watcher runs for the state directory and what it has done so far.\n" +
    "Exit 0 when one runs, 3 when none does.",
  [{ title: "Options", options: [...STATUS_OPTIONS, ...STATE_DIR_OPTION, ...GLOBAL_OPTIONS] }],
);

/** Runs `status`; its outcome says whether a watcher runs (exit 0) or not (3). */
export async function statusCommand(
  argv: readonly string[],
  ctx: CommandContext,
): Promise<Outcome> {
  const { system } = ctx;
  const args = parseCommandArgs(
    argv,
    [...STATUS_OPTIONS, ...STATE_DIR_OPTION, ...GLOBAL_OPTIONS],
    system.env,
  );
  if (args.values.has("help")) {
    system.stdout(STATUS_HELP);
    return DONE;
  }
  if (args.positionals.length > 0) {
    throw new ConfigError(args.positionals[0]!, "unexpected argument", "see status --help");
  }
  const files = stateFiles(
    String(args.values.get("state-dir")?.value ?? defaultStateDir(system.env)),
  );
  const pid = await readPid(files);
  const running = pid !== null && (await isWatcherAlive(system, pid));
  const status = await readStatus(files);
  if (args.values.get("json")?.value === true) {
    system.stdout(JSON.stringify({ running, pid, stateDir: files.dir, status }, null, 2) + "\n");
    return { kind: "watcher", running };
  }
  if (!running) {
    system.stdout(
      pid === null
        ? `no watcher is running (state dir ${files.dir})\n`
        : `no watcher is running: pid ${pid} is gone (state dir ${files.dir})\n`,
    );
    return { kind: "watcher", running };
  }
  const s = status;
  system.stdout(
    s
      ? `watcher pid ${pid}: ${s.state}, pushing to ${s.target}; ${s.detected} detected, ` +
        `${s.pushed} pushed, ${s.pushing} pushing, ${s.queued} queued, ${s.failed} failed` +
        (s.deferred > 0 ? `, ${s.deferred} deferred` : "") + "\n"
      : `watcher pid ${pid}: starting\n`,
  );
  return { kind: "watcher", running };
}
