/**
 * `attic-ci status [--json]`: what the watcher of a state directory is doing.
 *
 * @module
 */

import { commandLineOf } from "../options/command_specs.ts";
import { readArguments } from "../session/command_config.ts";
import { isWatcherAlive, readPid } from "../session/watcher_process.ts";
import { readStatus } from "../session/watcher_status.ts";
import { defaultStateDir, stateFiles } from "../state/state_dir.ts";
import { DONE, type PlainCommand } from "./outcome.ts";

const LINE = commandLineOf("status");

/** Runs `status`; its outcome says whether a watcher runs (exit 0) or not (3). */
export const statusCommand: PlainCommand = async (argv, ctx) => {
  const { system } = ctx;
  const args = await readArguments(argv, ctx, { ...LINE, positionalHint: "see status --help" });
  if (args === null) return DONE;
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
};
