/**
 * `attic-ci push [PATH…]`: the final push on its own (after_script): the
 * given paths, the `result*` out-links, and every path the state directory
 * shows as built but not pushed. Stops a still-running watcher first.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../options/option_specs.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { endRecordedSession } from "../session/recorded_session.ts";
import { resolveStorePath, type StorePath } from "../store/store_path.ts";
import { DONE, type Outcome } from "./outcome.ts";

/** `push --help`. */
export const PUSH_HELP = commandHelp(
  "attic-ci push [OPTIONS] [PATH…]",
  "The final push on its own (after_script): push the given PATHs (store paths or links\n" +
    "into the store), the result* out-links in the working directory, and every path the\n" +
    "state directory shows as built but not pushed. Stops a still-running watcher first.",
  ENGINE_HELP_GROUPS,
);

/** Runs `push`. */
export async function pushCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const parsed = await commandConfig(argv, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], outer, {
    useSavedSession: true,
  });
  if (parsed.help) {
    outer.system.stdout(PUSH_HELP);
    return DONE;
  }
  const { config, ctx } = parsed;
  const paths: StorePath[] = [];
  for (const given of parsed.args.positionals) {
    const path = await resolveStorePath(config.storeDir, given);
    if (path === null) {
      throw new ConfigError(
        `PATH ${given}`,
        `is not a store path or a link into ${config.storeDir}`,
        "pass store paths or out-links such as ./result",
      );
    }
    paths.push(path);
  }
  const result = await endRecordedSession(ctx, config, {
    command: "push",
    timeoutMs: config.drainTimeoutMs + 60_000,
    paths,
    quietWithoutWatcher: true,
  });
  if (result.lateError !== null) return { kind: "reported-with-error", error: result.lateError };
  return { kind: "cache", cache: { complete: result.complete, strict: config.strict } };
}
