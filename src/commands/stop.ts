/**
 * `attic-ci stop`: end a session started with `start`: stop the watcher
 * (SIGTERM, wait for its drain), push `result*` out-links and anything it
 * missed, print the report. Without a running watcher it says so and still
 * runs the final push from the recorded state.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { secondsOption } from "../options/engine_config.ts";
import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS, STOP_OPTIONS } from "../options/option_specs.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { endRecordedSession } from "../session/recorded_session.ts";
import { DONE, type Outcome } from "./outcome.ts";

/** `stop --help`. */
export const STOP_HELP = commandHelp(
  "attic-ci stop [--timeout SECONDS] [OPTIONS]",
  "Stop the watcher started by `attic-ci start`, wait for it to drain its queue, push\n" +
    "result* out-links and anything it missed, and print the report. Without a running\n" +
    "watcher it says so and still runs the final push from the recorded state.",
  [{ title: "Stopping", options: STOP_OPTIONS }, ...ENGINE_HELP_GROUPS],
);

/** Runs `stop`. */
export async function stopCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const parsed = await commandConfig(
    argv,
    [...STOP_OPTIONS, ...ENGINE_OPTIONS, ...GLOBAL_OPTIONS],
    outer,
    { useSavedSession: true },
  );
  if (parsed.help) {
    outer.system.stdout(STOP_HELP);
    return DONE;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(
      parsed.args.positionals[0]!,
      "unexpected argument",
      "stop takes no paths; use attic-ci push PATH…",
    );
  }
  const result = await endRecordedSession(parsed.ctx, parsed.config, {
    command: "stop",
    timeoutMs: secondsOption(parsed.args.values.get("timeout"), "timeout"),
    paths: [],
    quietWithoutWatcher: false,
  });
  if (result.lateError !== null) return { kind: "reported-with-error", error: result.lateError };
  return { kind: "cache", cache: { complete: result.complete, strict: parsed.config.strict } };
}
