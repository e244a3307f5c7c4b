/**
 * `attic-ci exec [options] -- COMMAND…`: stream while the build runs, then
 * drain, final push, report; its outcome carries the build's own status.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { commandHelp, ENGINE_HELP_GROUPS } from "../options/help.ts";
import { ENGINE_OPTIONS, GLOBAL_OPTIONS } from "../options/option_specs.ts";
import { runBuildSession } from "../session/build_session.ts";
import { commandConfig } from "../session/command_config.ts";
import type { CommandContext } from "../session/context.ts";
import { buildOutcome, DONE, type Outcome } from "./outcome.ts";

/** `exec --help`. */
export const EXEC_HELP = commandHelp(
  "attic-ci exec [OPTIONS] -- COMMAND [ARGS…]",
  "Run COMMAND (your build) while pushing every store path Nix finishes to the cache.\n" +
    "Then drain the queue, push result* out-links and anything missed, print the report,\n" +
    "and exit with COMMAND's status (128+N if a signal N killed it).\n\n" +
    "Example: attic-ci exec --cache main --server https://attic.example.com/ -- nix build .#all",
  ENGINE_HELP_GROUPS,
);

/** Runs `exec`. */
export async function execCommand(
  argv: readonly string[],
  outer: CommandContext,
): Promise<Outcome> {
  const separator = argv.indexOf("--");
  const ours = separator < 0 ? argv : argv.slice(0, separator);
  const build = separator < 0 ? [] : argv.slice(separator + 1);
  const parsed = await commandConfig(ours, [...ENGINE_OPTIONS, ...GLOBAL_OPTIONS], outer);
  if (parsed.help) {
    outer.system.stdout(EXEC_HELP);
    return DONE;
  }
  if (parsed.args.positionals.length > 0) {
    throw new ConfigError(
      parsed.args.positionals[0]!,
      "unexpected argument before --",
      "write the build after --, e.g. attic-ci exec -- nix build .#all",
    );
  }
  if (build.length === 0) {
    throw new ConfigError(
      "COMMAND",
      "no command to run",
      "write the build after --, e.g. attic-ci exec -- nix build .#all",
    );
  }
  const result = await runBuildSession(parsed.config, build, parsed.ctx, "exec");
  return buildOutcome(result, parsed.config.strict);
}
